package dev.herald.http;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.auth.AuthException;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.EventJson;
import dev.herald.hub.LogText;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpException;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** Turns every failure into a JSON {@code {"error", "message"}} answer; no stack trace ever reaches a client. */
public final class Errors {
    private static final Logger LOG = Logger.getLogger(Errors.class.getName());
    /** Helidon 4.5's message for a request head whose header block is larger than {@code max-headers-size}. */
    private static final String HEADERS_TOO_LARGE = "Header size exceeded";
    private static final Status HEADER_FIELDS_TOO_LARGE_431 = Status.create(431, "Request Header Fields Too Large");

    private Errors() {
    }

    /** Registers the error handlers of the routing. */
    public static void register(HttpRouting.Builder routing) {
        routing.error(ApiException.class, (req, res, e) -> send(res, e));
        routing.error(BrokerUnavailableException.class, (req, res, e) -> send(res, answer(e, req)));
        routing.error(HttpException.class, (req, res, e) -> send(res, e.status(), code(e.status()), safeMessage(e)));
        routing.error(Exception.class, (req, res, e) -> send(res, answer(e, req)));
    }

    /** A JSON error answer: status, {@code error} code, message, extra headers. */
    record Answer(Status status, String error, String message, Map<String, String> headers) {
    }

    private static Answer answer(Exception e, ServerRequest req) {
        return answer(e, req.prologue().method().text(), req.prologue().uriPath().rawPath());
    }

    /**
     * The answer to a request that failed with {@code e} (an unexpected failure is logged with its stack trace,
     * which never reaches the client).
     */
    static Answer answer(Exception e, String method, String rawPath) {
        return switch (e) {
            case ApiException api -> new Answer(api.status(), api.error(), api.getMessage(), api.headers());
            case AuthException auth -> new Answer(Status.UNAUTHORIZED_401, auth.error(), auth.getMessage(),
                                                  Map.of(HeaderNames.WWW_AUTHENTICATE.defaultCase(), "Bearer"));
            case BrokerUnavailableException broker -> {
                LOG.warning("Broker unavailable on " + LogText.escape(rawPath) + ": " + LogText.escape(broker.getMessage()));
                yield new Answer(Status.SERVICE_UNAVAILABLE_503, "broker_unavailable",
                                 "the event broker is unreachable; retry later",
                                 Map.of(HeaderNames.RETRY_AFTER.defaultCase(), "1"));
            }
            default -> {
                LOG.log(Level.SEVERE, "Unhandled error on " + LogText.escape(method) + " " + LogText.escape(rawPath), e);
                yield new Answer(Status.INTERNAL_SERVER_ERROR_500, "internal", "internal server error", Map.of());
            }
        };
    }

    /** The answer to a request head Helidon's parsers refused (Helidon's {@code status} and message). */
    static Answer headAnswer(Status status, String message) {
        // Helidon answers a header block over its limit with a plain 400; the message is the only sign of it
        Status answer = status.code() == 400 && HEADERS_TOO_LARGE.equals(message) ? HEADER_FIELDS_TOO_LARGE_431 : status;
        return new Answer(answer, code(answer), answer.code() >= 500 ? "internal server error" : answer.reasonPhrase(),
                          Map.of());
    }

    private static void send(ServerResponse res, Answer answer) {
        answer.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
        send(res, answer.status(), answer.error(), answer.message());
    }

    /** JSON answers for errors found before routing (malformed requests, oversized headers). */
    public static DirectHandlers directHandlers() {
        DirectHandler json = (request, eventType, status, headers, message) -> {
            headers.set(HeaderValues.CONTENT_TYPE_JSON);
            Answer answer = headAnswer(status, message);
            return DirectHandler.TransportResponse.builder()
                    .status(answer.status())
                    .headers(headers)
                    .entity(body(answer.error(), answer.message()))
                    .build();
        };
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            builder.addHandler(type, json);
        }
        return builder.build();
    }

    public static void send(ServerResponse res, ApiException e) {
        send(res, new Answer(e.status(), e.error(), e.getMessage(), e.headers()));
    }

    public static void send(ServerResponse res, Status status, String error, String message) {
        res.status(status);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.header(HeaderValues.CACHE_NO_CACHE);
        res.send(body(error, message));
    }

    static byte[] body(String error, String message) {
        ObjectNode node = EventJson.MAPPER.createObjectNode();
        node.put("error", error);
        node.put("message", message);
        return EventJson.bytes(node);
    }

    private static String safeMessage(HttpException e) {
        return e.status().code() == Status.NOT_FOUND_404.code() ? "no such endpoint" : e.status().reasonPhrase();
    }

    private static String code(Status status) {
        return switch (status.code()) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 415 -> "unsupported_media_type";
            case 429 -> "too_many_requests";
            case 503 -> "unavailable";
            default -> status.code() >= 500 ? "internal" : "http_" + status.code();
        };
    }
}
