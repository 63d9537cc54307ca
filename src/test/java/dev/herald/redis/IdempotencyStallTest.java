package dev.herald.redis;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A publish that times out may still have happened: Redis stalls past the command timeout, the POST answers 503, yet
 * the event is stored and delivered once Redis wakes. A retry with the same {@code Idempotency-Key} gets the first id
 * and publishes nothing; subscribers see the event once.
 */
class IdempotencyStallTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void publishTimedOutButStored_retryWithTheKey_getsItsId_andSubscribersGetItOnce() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.redis.timeout", "PT0.5S"));
             SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:stall")) {
            sse.awaitCursor(WAIT);
            String body = "{\"channel\":\"channel:stall\",\"type\":\"order\",\"n\":1}";
            warmPool(pod);

            CompletableFuture<String> stall = stall(redis, 2);
            HttpResponse<String> timedOut = post(pod, body, "order-1");
            assertEquals(503, timedOut.statusCode(), "Redis answered after the timeout: " + timedOut.body());
            stall.get();
            long stored = sse.awaitEvents("order", 1, WAIT).get(0).get("id").asLong();

            HttpResponse<String> retry = post(pod, body, "order-1");
            assertEquals(202, retry.statusCode(), retry.body());
            assertEquals(stored, TestPod.json(retry.body()).get("id").asLong(), "the id of the event that was stored");
            assertEquals("true", retry.headers().firstValue("idempotent-replayed").orElseThrow());

            pod.publish("channel:stall", "order", "\"n\":2");
            sse.await("the next event", WAIT, c -> c.events("order").size() >= 2);
            assertEquals(List.of(1, 2), sse.events("order").stream().map(e -> e.get("n").asInt()).toList(),
                         "the timed-out event once, not once more for the retry");
            assertEquals(1.0, pod.metric("herald_idempotent_replays_total", null));
        }
    }

    @Test
    void chatTimedOut_retryWithTheKey_is204_andTheMessageExistsOnce() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.redis.timeout", "PT0.5S"));
             SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:talk")) {
            sse.awaitCursor(WAIT);
            String token = pod.token("ann");
            String body = "{\"channel\":\"channel:talk\",\"content\":\"hello\"}";
            warmPool(pod);
            CompletableFuture<String> stall = stall(redis, 2);
            HttpResponse<String> timedOut = chat(pod, token, body, "msg-1");
            assertEquals(503, timedOut.statusCode(), timedOut.body());
            stall.get();
            // stored or not (the lookup of the key, the chat budget or the publish script timed out), the retry with
            // the same key leaves exactly one message
            HttpResponse<String> retry = chat(pod, token, body, "msg-1");
            assertEquals(204, retry.statusCode(), retry.body());
            pod.chat(token, "channel:talk", "next");
            sse.await("the next chat", WAIT, c -> c.events("chat").size() >= 2);
            assertEquals(List.of("hello", "next"),
                         sse.events("chat").stream().map(e -> e.get("content").asText()).toList());
        }
    }

    /**
     * Opens several pooled connections (concurrent publishes on another channel), so that a request during the stall
     * is sent on an idle one and runs when Redis wakes, instead of failing to connect (then it is not stored at all).
     */
    private static void warmPool(TestPod pod) throws Exception {
        List<CompletableFuture<Long>> publishes = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            publishes.add(CompletableFuture.supplyAsync(() -> pod.publish("channel:warm", "warm", "\"n\":" + n)));
        }
        for (CompletableFuture<Long> publish : publishes) {
            publish.get();
        }
    }

    /** Makes Redis sleep {@code seconds} (on this test's admin connection) and returns once it is stalled. */
    private static CompletableFuture<String> stall(RedisProcess redis, int seconds) {
        CompletableFuture<String> done = CompletableFuture.supplyAsync(() -> {
            try {
                return redis.command("DEBUG", "SLEEP", Integer.toString(seconds));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Await.until("Redis to stall", WAIT, () -> !redis.answersWithin(Duration.ofMillis(200)));
        return done;
    }

    private static HttpResponse<String> post(TestPod pod, String json, String key) {
        return pod.send(HttpClient.Version.HTTP_1_1, HttpRequest.newBuilder(pod.uri("/api/publish"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + pod.serviceToken())
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static HttpResponse<String> chat(TestPod pod, String token, String json, String key) {
        return pod.send(HttpClient.Version.HTTP_1_1, HttpRequest.newBuilder(pod.uri("/api/chat/messages"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }
}
