package dev.herald.http;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connection caps, channel limits and bad bodies: each a clear 4xx/503 JSON error, never a stack trace. */
class LimitsAndBadInputTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestPod pod;

    @BeforeAll
    static void start() {
        pod = TestPod.start(Map.of("herald.sse.max-connections", "4",
                                   "herald.sse.max-connections-per-user", "2",
                                   "herald.sse.heartbeat", "PT0.1S",
                                   "herald.events.max-bytes", "1024"));
    }

    @AfterAll
    static void stop() {
        pod.close();
    }

    /** Closed streams are noticed at the next heartbeat; each test starts with every slot free. */
    @AfterEach
    void allStreamsGone() {
        Await.until("every stream to be released", WAIT, () -> pod.metric("sse_connections_total", null) == 0);
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void perUserCap_answers429WithRetryAfter(HttpClient.Version version) {
        String token = pod.token("lena");
        try (SseClient one = pod.subscribe(version, token, "channel:x");
             SseClient two = pod.subscribe(version, token, "channel:y")) {
            double refused = pod.metric("sse_connections_rejected_total", "reason=\"user_full\"");
            HttpResponse<String> third = pod.get(version, TestPod.eventsPath("channel:z"), token);
            assertError(third, 429, "too_many_connections");
            assertEquals(refused + 1, pod.metric("sse_connections_rejected_total", "reason=\"user_full\""), 0.0);
            assertEquals("5", third.headers().firstValue("retry-after").orElseThrow());
            try (SseClient other = pod.subscribe(version, pod.token("mo"), "channel:x")) {
                assertFalse(other.ended(), "another user is not affected");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void podCap_answers503WithRetryAfter(HttpClient.Version version) {
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                open.add(pod.subscribe(version, pod.token("u" + i), "channel:full"));
            }
            HttpResponse<String> fifth = pod.get(version, TestPod.eventsPath("channel:full"), pod.token("u9"));
            assertError(fifth, 503, "unavailable");
            assertEquals("5", fifth.headers().firstValue("retry-after").orElseThrow());
            assertTrue(pod.metric("sse_connections_rejected_total", "pod_full") >= 1);
        } finally {
            open.forEach(SseClient::close);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void badChannels_are400(HttpClient.Version version) {
        String token = pod.token("nia");
        StringBuilder seventeen = new StringBuilder("/api/events?");
        for (int i = 0; i < 17; i++) {
            seventeen.append("channel=channel:c").append(i).append('&');
        }
        for (String path : List.of(seventeen.toString(), "/api/events", "/api/events?channel=channel:bad%20name",
                                   "/api/events?channel=room:x", "/api/events?channel=channel:",
                                   "/api/events?channel=user:", "/api/events?channel=channel:" + "a".repeat(129),
                                   "/api/events?channel=channel:%0d%0aX-Injected:%20yes")) {
            assertError(pod.get(version, path, token), 400, "bad_request");
        }
        try (SseClient ok = pod.subscribe(version, token, "channel:" + "a".repeat(128), "channel:A-Z.a_z~0@9")) {
            assertFalse(ok.ended(), "the longest id and every allowed character are accepted");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void badBodies_getClearErrors(HttpClient.Version version) {
        String token = pod.token("omar");
        record Case(String contentType, String body, int status, String error) {
        }
        List<Case> cases = List.of(
                new Case("application/json", "{\"channel\":\"channel:a\",\"content\":\"" + "x".repeat(2000) + "\"}",
                         413, "payload_too_large"),
                new Case("application/json", "{\"channel\":\"channel:a\",\"content\":\"" + "\\u00e9".repeat(300) + "\"}",
                         413, "payload_too_large"),
                new Case("application/json", "not json", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"channel:a\",", 400, "bad_request"),
                new Case("application/json", "[1,2]", 400, "bad_request"),
                new Case("application/json", "{\"content\":\"hi\"}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"channel:a\"}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"channel:a\",\"content\":42}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"channel:a\",\"content\":\"  \"}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":7,\"content\":\"hi\"}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"nope\",\"content\":\"hi\"}", 400, "bad_request"),
                new Case("application/json", "{\"channel\":\"user:someone-else\",\"content\":\"hi\"}", 403, "forbidden"),
                new Case("application/json", "{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}", 400, "bad_request"),
                new Case("text/plain", "{\"channel\":\"channel:a\",\"content\":\"hi\"}", 415, "unsupported_media_type"));
        for (Case c : cases) {
            HttpResponse<String> res = pod.send(version, HttpRequest.newBuilder(pod.uri("/api/chat/messages"))
                    .header("Content-Type", c.contentType()).header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(c.body())).build());
            assertError(res, c.status(), c.error());
        }
        HttpResponse<String> noType = pod.send(version, HttpRequest.newBuilder(pod.uri("/api/chat/messages"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError(noType, 415, "unsupported_media_type");
        assertError(pod.get(version, "/api/nothing-here", token), 404, "not_found");
        assertError(pod.get(version, "/api/channels/user:omar/presence", token), 400, "bad_request");
    }

    @Test
    void publish_refusesServerFieldsAndReservedTypes() {
        String service = pod.serviceToken();
        for (String body : List.of("{\"channel\":\"channel:a\",\"type\":\"x\",\"id\":5}",
                                   "{\"channel\":\"channel:a\",\"type\":\"x\",\"userId\":\"alice\"}",
                                   "{\"channel\":\"channel:a\",\"type\":\"resync\"}",
                                   "{\"channel\":\"channel:a\",\"type\":\"Bad Type\"}",
                                   "{\"channel\":\"channel:a\",\"type\":\"" + "t".repeat(65) + "\"}",
                                   "{\"channel\":\"channel:a\"}")) {
            assertError(pod.post(HttpClient.Version.HTTP_1_1, "/api/publish", service, body), 400, "bad_request");
        }
    }

    static void assertError(HttpResponse<?> res, int status, String error) {
        String body = res.body() instanceof InputStream in ? read(in) : String.valueOf(res.body());
        assertEquals(status, res.statusCode(), body);
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("application/json"), body);
        JsonNode json = TestPod.json(body);
        assertEquals(error, json.get("error").asText(), body);
        assertFalse(json.get("message").asText().isBlank(), body);
        assertFalse(body.contains("Exception") || body.contains("\tat ") || body.contains(".java:"), body);
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
