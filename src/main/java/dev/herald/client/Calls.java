package dev.herald.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * One call to the server with its retries: sends, reads the JSON answer, waits and sends again (the same body and
 * {@code Idempotency-Key}) as the {@link RetryPolicy} says, and turns a final failure into a {@link HeraldException}.
 * Immutable and thread-safe; a call blocks its caller's thread, waits included.
 */
final class Calls {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The longest piece of a non-JSON error body kept in a message. */
    private static final int MAX_TEXT = 200;

    /**
     * A successful answer (2xx).
     *
     * @param status its status
     * @param body its JSON body ({@link NullNode} when empty or not JSON)
     */
    record Answer(int status, JsonNode body) {
    }

    private final String base;
    private final HttpClient http;
    private final Supplier<String> token;
    private final Duration requestTimeout;
    private final RetryPolicy policy;
    private final Consumer<RetryEvent> onRetry;

    Calls(URI baseUrl, HttpClient http, Supplier<String> token, Duration requestTimeout, RetryPolicy policy,
          Consumer<RetryEvent> onRetry) {
        String url = baseUrl.toString();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.http = http;
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.policy = policy;
        this.onRetry = onRetry;
    }

    RetryPolicy policy() {
        return policy;
    }

    /** The same calls with another bearer token (a job's worker token), on the same HttpClient and policy. */
    Calls withToken(String bearer) {
        return new Calls(URI.create(base), http, () -> bearer, requestTimeout, policy, onRetry);
    }

    /**
     * Sends {@code method path} (with the JSON {@code body} when not null, and the key when not null) until it
     * succeeds, fails for good or the attempts are spent.
     *
     * @param again for a 2xx answer: the code of a failure inside it that is worth a retry (a 207's), or null when
     *              the answer is final; after the last attempt the answer is returned as it is
     * @throws HeraldException the last failure
     */
    Answer send(String method, String path, JsonNode body, String idempotencyKey, Function<Answer, String> again) {
        return send(method, path, body, idempotencyKey, again, true);
    }

    /**
     * {@link #send(String, String, JsonNode, String, Function)} for a call that must not run twice and has no
     * idempotency key: only a failure to connect (nothing was sent) is retried; a lost answer, a timeout once the
     * request went out and every error answer are thrown at once, since the server may have acted on them.
     */
    Answer sendOnce(String method, String path, JsonNode body) {
        return send(method, path, body, null, a -> null, false);
    }

    private Answer send(String method, String path, JsonNode body, String idempotencyKey,
                        Function<Answer, String> again, boolean idempotent) {
        byte[] bytes = body == null ? null : json(body);
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> response;
            try {
                response = http.send(request(method, path, bytes, idempotencyKey),
                                     HttpResponse.BodyHandlers.ofByteArray());
            } catch (HttpTimeoutException e) {
                HeraldException failure = new HeraldException(
                        0, "timeout", "no answer within " + requestTimeout, Optional.empty(), true, attempt, e);
                if (!idempotent && !(e instanceof HttpConnectTimeoutException)) {
                    throw failure;
                }
                retryOrThrow(method, path, attempt, Optional.empty(), failure);
                continue;
            } catch (IOException e) {
                HeraldException failure = new HeraldException(
                        0, "unreachable", "no answer: " + e, Optional.empty(), true, attempt, e);
                if (!idempotent && !(e instanceof ConnectException)) {
                    throw failure;
                }
                retryOrThrow(method, path, attempt, Optional.empty(), failure);
                continue;
            } catch (InterruptedException e) {
                throw interrupted(attempt, e);
            }
            int status = response.statusCode();
            Optional<Duration> retryAfter = RetryPolicy.retryAfter(
                    response.headers().firstValue("Retry-After").orElse(null), Instant.now());
            if (status / 100 == 2) {
                Answer answer = new Answer(status, parse(response.body()));
                String failure = again.apply(answer);
                if (failure == null || attempt >= policy.maxAttempts()) {
                    return answer;
                }
                pause(method, path, attempt, status, failure, retryAfter);
                continue;
            }
            HeraldException failure = error(response, retryAfter, attempt);
            if (!idempotent) {
                throw failure;
            }
            retryOrThrow(method, path, attempt, retryAfter, failure);
        }
    }

    /** Waits before the next attempt when the failure is retryable and attempts are left; throws it otherwise. */
    private void retryOrThrow(String method, String path, int attempt, Optional<Duration> retryAfter,
                              HeraldException failure) {
        boolean again = failure.status() == 0 || policy.retryable(failure.status());
        if (!again || attempt >= policy.maxAttempts()) {
            throw failure;
        }
        pause(method, path, attempt, failure.status(), failure.error(), retryAfter);
    }

    private void pause(String method, String path, int attempt, int status, String error,
                       Optional<Duration> retryAfter) {
        Duration delay = policy.delay(attempt, retryAfter, () -> ThreadLocalRandom.current().nextDouble());
        onRetry.accept(new RetryEvent(method, path, attempt, status, error, delay));
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            throw interrupted(attempt, e);
        }
    }

    private HttpRequest request(String method, String path, byte[] body, String idempotencyKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(requestTimeout)
                .header("Accept", "application/json");
        String bearer = token.get();
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        return request.build();
    }

    /** The failure an error answer describes: Herald's {@code {"error", "message"}}, or the status and the text. */
    private HeraldException error(HttpResponse<byte[]> response, Optional<Duration> retryAfter, int attempt) {
        int status = response.statusCode();
        JsonNode body = parse(response.body());
        String error = body.path("error").isTextual() ? body.path("error").asText() : "http_" + status;
        String message;
        if (body.path("message").isTextual()) {
            message = body.path("message").asText();
        } else {
            String text = new String(response.body(), StandardCharsets.UTF_8).strip();
            message = text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "…" : text;
        }
        // temporary, whether or not this client retries it (a 429 it was told not to)
        boolean temporary = status == 429 || policy.retryable(status);
        return new HeraldException(status, error, message, retryAfter, temporary, attempt, null);
    }

    private static HeraldException interrupted(int attempt, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new HeraldException(0, "interrupted", "interrupted while calling the server", Optional.empty(), false,
                                   attempt, e);
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return NullNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return NullNode.getInstance();
        }
    }

    private static byte[] json(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the event's fields cannot be written as JSON: " + e.getMessage(), e);
        }
    }
}
