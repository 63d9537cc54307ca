package dev.herald.http;

import java.util.Map;

import io.helidon.http.Status;

/** An error answer: status, a stable machine-readable code, a human message and optional headers. */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Status status;
    private final String error;
    private final transient Map<String, String> headers;

    public ApiException(Status status, String error, String message) {
        this(status, error, message, Map.of());
    }

    public ApiException(Status status, String error, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
        this.headers = headers;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(Status.BAD_REQUEST_400, "bad_request", message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(Status.FORBIDDEN_403, "forbidden", message);
    }

    public Status status() {
        return status;
    }

    public String error() {
        return error;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
