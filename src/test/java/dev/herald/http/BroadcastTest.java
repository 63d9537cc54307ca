package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code POST /api/broadcast}: one event to many channels, each a publish of its own, on one pod and across pods. */
class BroadcastTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;

    @Test
    void broadcast_reachesEveryChannelsStreams_withEachChannelsOwnId() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient a = pod.subscribe(H1, pod.serviceToken(), "channel:a");
             SseClient b = pod.subscribe(H1, pod.serviceToken(), "channel:b", "user:carol")) {
            a.awaitCursor(WAIT);
            b.awaitCursor(WAIT);
            pod.publish("channel:a", "earlier", "\"n\":0");
            HttpResponse<String> res = pod.post(H1, "/api/broadcast", pod.serviceToken(),
                    "{\"channels\":[\"channel:a\",\"channel:b\",\"user:carol\"],\"type\":\"notice\",\"text\":\"hi\"}");
            assertEquals(202, res.statusCode(), res.body());
            JsonNode ids = TestPod.json(res.body()).get("ids");
            assertEquals(2, ids.get("channel:a").asLong(), "channel:a had one event before: " + res.body());
            assertEquals(1, ids.get("channel:b").asLong());
            assertEquals(1, ids.get("user:carol").asLong());
            JsonNode atA = a.awaitEvents("notice", 1, WAIT).getFirst();
            assertEquals("channel:a", atA.get("channel").asText());
            assertEquals("hi", atA.get("text").asText());
            assertFalse(atA.has("channels"), "the list of channels is not part of the event: " + atA);
            List<JsonNode> atB = b.awaitEvents("notice", 2, WAIT);
            assertEquals(List.of("channel:b", "user:carol"), atB.stream().map(e -> e.get("channel").asText()).sorted().toList());
            assertEquals(4.0, pod.metric("herald_events_published_total", null));
        }
    }

    @Test
    void badBroadcasts_are4xxJson_andPublishNothing() {
        try (TestPod pod = TestPod.start(Map.of("herald.publish.max-broadcast", "3"))) {
            String service = pod.serviceToken();
            expect(pod, service, "{\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[],\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":\"channel:a\",\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[1],\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[\"channel:a\",\"nope\"],\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[\"channel:a\",\"channel:a\"],\"type\":\"x\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[\"channel:a\",\"channel:b\",\"channel:c\",\"channel:d\"],\"type\":\"x\"}",
                   400, "bad_request");
            expect(pod, service, "{\"channels\":[\"channel:a\"],\"type\":\"presence\"}", 400, "bad_request");
            expect(pod, service, "{\"channels\":[\"channel:a\"],\"type\":\"x\",\"id\":5}", 400, "bad_request");
            expect(pod, pod.token("mallory"), "{\"channels\":[\"channel:a\"],\"type\":\"x\"}", 403, "forbidden");
            double published = pod.metric("herald_events_published_total", null);
            assertTrue(Double.isNaN(published) || published == 0.0, "published: " + published);
        }
    }

    @Test
    void aChannelOverItsBudget_isReportedOnItsOwn_theOthersArePublished_207() {
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", "0.01",
                                                "herald.rate.channel.burst", "1"));
             SseClient b = pod.subscribe(H1, pod.serviceToken(), "channel:b")) {
            b.awaitCursor(WAIT);
            pod.publish("channel:a", "spend", "\"n\":0");
            HttpResponse<String> res = pod.post(H1, "/api/broadcast", pod.serviceToken(),
                    "{\"channels\":[\"channel:a\",\"channel:b\"],\"type\":\"notice\"}");
            assertEquals(207, res.statusCode(), res.body());
            JsonNode answer = TestPod.json(res.body());
            assertEquals(1, answer.get("ids").get("channel:b").asLong());
            assertFalse(answer.get("ids").has("channel:a"));
            assertEquals("rate_limited", answer.get("errors").get("channel:a").get("error").asText());
            assertTrue(res.headers().firstValue("retry-after").isPresent());
            assertEquals(1, b.awaitEvents("notice", 1, WAIT).size());
            // nothing goes through: the common answer, still per channel
            HttpResponse<String> none = pod.post(H1, "/api/broadcast", pod.serviceToken(),
                    "{\"channels\":[\"channel:a\",\"channel:b\"],\"type\":\"notice\"}");
            assertEquals(429, none.statusCode(), none.body());
            JsonNode refused = TestPod.json(none.body());
            assertEquals("rate_limited", refused.get("error").asText());
            assertEquals(2, refused.get("errors").size());
            assertTrue(refused.get("ids").isEmpty());
        }
    }

    @Test
    void aRetryWithTheSameKey_answersTheSameIds_andNoStreamSeesItTwice() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:a", "channel:b")) {
            sse.awaitCursor(WAIT);
            String body = "{\"channels\":[\"channel:a\",\"channel:b\"],\"type\":\"order\",\"n\":1}";
            HttpResponse<String> first = post(pod, body, "bc-1");
            HttpResponse<String> retry = post(pod, body, "bc-1");
            assertEquals(202, first.statusCode(), first.body());
            assertEquals(first.body(), retry.body());
            assertEquals("true", retry.headers().firstValue("idempotent-replayed").orElseThrow());
            // the same key on /api/publish is another request: it publishes
            HttpResponse<String> publish = pod.send(H1, HttpRequest.newBuilder(pod.uri("/api/publish"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + pod.serviceToken())
                    .header("Idempotency-Key", "bc-1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"channel:a\",\"type\":\"order\",\"n\":2}"))
                    .build());
            assertEquals(202, publish.statusCode(), publish.body());
            sse.await("three orders", WAIT, c -> c.events("order").size() >= 3);
            assertEquals(List.of(1, 1, 2), sse.events("order").stream().map(e -> e.get("n").asInt()).sorted().toList());
            assertEquals(3.0, pod.metric("herald_events_published_total", null));
        }
    }

    /** A retry after a 207, with the same key: only the channel that failed is published; the other answers its id. */
    @Test
    void aRetryAfterA207_publishesOnlyTheChannelThatFailed_andAnswersEveryId() {
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", "2",
                                                "herald.rate.channel.burst", "1"));
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:a", "channel:b")) {
            sse.awaitCursor(WAIT);
            pod.publish("channel:a", "spend", "\"n\":0");
            String body = "{\"channels\":[\"channel:a\",\"channel:b\"],\"type\":\"order\"}";
            HttpResponse<String> first = post(pod, body, "partial-1");
            assertEquals(207, first.statusCode(), first.body());
            long idOfB = TestPod.json(first.body()).get("ids").get("channel:b").asLong();
            java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> retry =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Await.until("channel:a's budget to refill and the retry to go through", WAIT, () -> {
                retry.set(post(pod, body, "partial-1"));
                return retry.get().statusCode() == 202;
            });
            JsonNode ids = TestPod.json(retry.get().body()).get("ids");
            assertEquals(idOfB, ids.get("channel:b").asLong(), "channel:b's first id, not a new one");
            assertEquals(2, ids.get("channel:a").asLong());
            sse.await("both orders", WAIT, c -> c.events("order").size() >= 2);
            assertEquals(List.of("channel:a", "channel:b"),
                         sse.events("order").stream().map(e -> e.get("channel").asText()).sorted().toList(),
                         "each channel got the order once");
        }
    }

    @Test
    void acrossPods_aBroadcastOnOnePod_reachesStreamsOnTheOther() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()));
             SseClient onB = b.subscribe(H1, b.serviceToken(), "channel:x", "channel:y")) {
            onB.awaitCursor(WAIT);
            HttpResponse<String> res = a.post(H1, "/api/broadcast", a.serviceToken(),
                    "{\"channels\":[\"channel:x\",\"channel:y\"],\"type\":\"notice\"}");
            assertEquals(202, res.statusCode(), res.body());
            List<JsonNode> got = onB.awaitEvents("notice", 2, WAIT);
            assertEquals(List.of("channel:x", "channel:y"), got.stream().map(e -> e.get("channel").asText()).sorted().toList());
            JsonNode ids = TestPod.json(res.body()).get("ids");
            for (JsonNode event : got) {
                assertEquals(ids.get(event.get("channel").asText()).asLong(), event.get("id").asLong());
            }
        }
    }

    private static void expect(TestPod pod, String token, String body, int status, String error) {
        HttpResponse<String> res = pod.post(H1, "/api/broadcast", token, body);
        assertEquals(status, res.statusCode(), body + " -> " + res.body());
        assertEquals(error, TestPod.json(res.body()).get("error").asText(), res.body());
    }

    private static HttpResponse<String> post(TestPod pod, String json, String key) {
        return pod.send(H1, HttpRequest.newBuilder(pod.uri("/api/broadcast"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + pod.serviceToken())
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build());
    }
}
