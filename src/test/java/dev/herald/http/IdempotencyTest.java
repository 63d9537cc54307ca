package dev.herald.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Idempotency-Key} on the publish routes, embedded mode: a retry never publishes twice. */
class IdempotencyTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void publishWithAKey_retried_answersTheSameId_andSubscribersGetItOnce() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:idem")) {
            sse.awaitCursor(WAIT);
            String body = "{\"channel\":\"channel:idem\",\"type\":\"order\",\"n\":1}";
            HttpResponse<String> first = post(pod, "/api/publish", pod.serviceToken(), body, "order-1");
            HttpResponse<String> retry = post(pod, "/api/publish", pod.serviceToken(), body, "\"order-1\"");
            assertEquals(202, first.statusCode(), first.body());
            assertEquals(202, retry.statusCode(), retry.body());
            assertEquals(first.body(), retry.body(), "the first answer, its id included");
            assertTrue(first.headers().firstValue("idempotent-replayed").isEmpty());
            assertEquals("true", retry.headers().firstValue("idempotent-replayed").orElseThrow());
            pod.publish("channel:idem", "order", "\"n\":2");
            sse.await("the next event", WAIT, c -> c.events("order").size() >= 2);
            assertEquals(java.util.List.of(1, 2), sse.events("order").stream().map(e -> e.get("n").asInt()).toList());
            assertEquals(2.0, pod.metric("herald_events_published_total", null));
            assertEquals(1.0, pod.metric("herald_idempotent_replays_total", null));
        }
    }

    @Test
    void chatWithAKey_retried_is204Again_evenWhenTheChatBudgetIsSpent_andPostsOnce() {
        try (TestPod pod = TestPod.start(Map.of("herald.rate.chat.per-second", "0.01", "herald.rate.chat.burst", "1"));
             SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:talk")) {
            sse.awaitCursor(WAIT);
            String token = pod.token("ann");
            String body = "{\"channel\":\"channel:talk\",\"content\":\"hello\"}";
            assertEquals(204, post(pod, "/api/chat/messages", token, body, "msg-1").statusCode());
            HttpResponse<String> retry = post(pod, "/api/chat/messages", token, body, "msg-1");
            assertEquals(204, retry.statusCode(), "a replay is never refused for the budget the first one spent");
            assertEquals("true", retry.headers().firstValue("idempotent-replayed").orElseThrow());
            assertEquals(429, post(pod, "/api/chat/messages", token, body, "msg-2").statusCode(), "a new message is");
            assertEquals(1, sse.awaitEvents("chat", 1, WAIT).size());
            assertEquals(1.0, pod.metric("herald_events_published_total", null));
        }
    }

    @Test
    void theSameKeyWithAnotherRequest_is422_andPublishesNothing() {
        try (TestPod pod = TestPod.start(Map.of())) {
            String token = pod.serviceToken();
            assertEquals(202, post(pod, "/api/publish", token,
                                   "{\"channel\":\"channel:k\",\"type\":\"t\",\"n\":1}", "k").statusCode());
            for (String other : new String[] {"{\"channel\":\"channel:k\",\"type\":\"t\",\"n\":2}",
                                              "{\"channel\":\"channel:k\",\"type\":\"u\",\"n\":1}"}) {
                HttpResponse<String> reused = post(pod, "/api/publish", token, other, "k");
                assertEquals(422, reused.statusCode(), reused.body());
                assertEquals("idempotency_key_reused", TestPod.json(reused.body()).get("error").asText());
            }
            HttpResponse<String> chat = post(pod, "/api/chat/messages", token,
                                             "{\"channel\":\"channel:k\",\"content\":\"x\"}", "k");
            assertEquals(422, chat.statusCode(), "the same key on another route is another request: " + chat.body());
            assertEquals(1.0, pod.metric("herald_events_published_total", null));
            assertEquals(202, post(pod, "/api/publish", token,
                                   "{\"channel\":\"channel:k\",\"type\":\"t\",\"n\":1}", " k ").statusCode(),
                         "keys are compared exactly: a key with spaces is another key");
        }
    }

    @Test
    void aMalformedKey_is400_andPublishesNothing() {
        try (TestPod pod = TestPod.start(Map.of())) {
            String body = "{\"channel\":\"channel:bad\",\"type\":\"t\"}";
            for (String key : new String[] {"", "x".repeat(256), "two words", "\"\""}) {
                HttpResponse<String> res = post(pod, "/api/publish", pod.serviceToken(), body, key);
                assertEquals(400, res.statusCode(), key + ": " + res.body());
                assertTrue(res.body().contains("Idempotency-Key"), res.body());
            }
            assertEquals(0.0, pod.metric("herald_events_published_total", null));
        }
    }

    private static HttpResponse<String> post(TestPod pod, String path, String token, String json, String key) {
        HttpRequest request = HttpRequest.newBuilder(pod.uri(path))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return pod.send(HttpClient.Version.HTTP_1_1, request);
    }
}
