package dev.herald.redis;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The redis-server is killed mid-stream and started again on the same port. */
class RedisFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PUBLISH_ERRORS = "redis_publish_errors_total";

    /** Redis drops every pod's pub/sub connection while events keep coming: each pod fills the gap from history. */
    @org.junit.jupiter.api.Test
    void subscriberConnectionsKilled_eventsPublishedMeanwhileAreFilledFromHistory() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(), "herald.sse.heartbeat", "PT0.3S");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                String room = "channel:gap";
                List<SseClient> streams = List.of(a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(), room),
                                                  b.subscribe(HttpClient.Version.HTTP_2, b.serviceToken(), room));
                try {
                    streams.forEach(sse -> sse.awaitCursor(WAIT));
                    double reconnectsBefore = a.metric("herald_redis_subscriber_reconnects_total", null);
                    redis.command("CLIENT", "KILL", "TYPE", "pubsub");
                    for (int i = 1; i <= 30; i++) {
                        (i % 2 == 0 ? a : b).publish(room, "seq", "\"n\":" + i);
                    }
                    for (SseClient sse : streams) {
                        List<JsonNode> seq = sse.awaitEvents("seq", 30, WAIT);
                        for (int i = 0; i < 30; i++) {
                            assertEquals(i + 1, seq.get(i).get("n").asInt(), "every event once, in order");
                        }
                        assertEquals(0, sse.events("resync").size());
                    }
                    Await.until("pod A to count its reconnect", WAIT,
                                () -> a.metric("herald_redis_subscriber_reconnects_total", null) > reconnectsBefore);
                } finally {
                    streams.forEach(SseClient::close);
                }
            }
        }
    }

    /**
     * A POST that could not be stored because Redis failed counts once in {@code redis_publish_errors_total}, whichever
     * step failed: the chat budget (a Redis script run before the publish) or the publish itself. Redis stopped, then
     * refusing connections, then slower than {@code herald.redis.timeout}; after each, posts are stored again.
     */
    @org.junit.jupiter.api.Test
    void redisStoppedRefusingOrSlow_eachPostAnswered503CountsOnePublishError() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.redis.timeout", "PT0.5S"))) {
            String token = pod.token("writer");
            pod.chat(token, "channel:errors", "stored");
            assertEquals(0.0, pod.metric(PUBLISH_ERRORS, null));

            redis.kill();
            refusedPosts_countOneErrorEach(pod, token, true);
            redis.restart();
            awaitStoredAgain(pod, token);

            // refusing: no new connection is admitted and the pod's pooled ones are closed
            assertEquals("OK", redis.command("CONFIG", "SET", "maxclients", "1"));
            redis.command("CLIENT", "KILL", "TYPE", "normal"); // all but this test's own connection
            refusedPosts_countOneErrorEach(pod, token, true);
            assertEquals("OK", redis.command("CONFIG", "SET", "maxclients", "10000"));
            awaitStoredAgain(pod, token);

            // slower than the timeout: Redis answers nothing for 3 s (a publish is left out: Redis runs a paused
            // command once the pause ends, so its outcome would be unknown, not refused)
            assertEquals("OK", redis.command("CLIENT", "PAUSE", "3000", "ALL"));
            refusedPosts_countOneErrorEach(pod, token, false);
            awaitStoredAgain(pod, token);
        }
    }

    private static void refusedPosts_countOneErrorEach(TestPod pod, String token, boolean withPublish) {
        double errors = pod.metric(PUBLISH_ERRORS, null);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> chat = pod.post(HttpClient.Version.HTTP_1_1, "/api/chat/messages", token,
                                                 "{\"channel\":\"channel:errors\",\"content\":\"lost\"}");
            assertEquals(503, chat.statusCode(), chat.body());
            assertEquals("broker_unavailable", TestPod.json(chat.body()).get("error").asText());
            assertEquals(++errors, pod.metric(PUBLISH_ERRORS, null), 0.0, "one error per refused chat");
        }
        if (withPublish) {
            HttpResponse<String> publish = pod.post(HttpClient.Version.HTTP_1_1, "/api/publish", pod.serviceToken(),
                                                    "{\"channel\":\"channel:errors\",\"type\":\"lost\"}");
            assertEquals(503, publish.statusCode(), publish.body());
            assertEquals(++errors, pod.metric(PUBLISH_ERRORS, null), 0.0, "one error per refused publish");
        }
    }

    /** Redis answers again; the failed attempts while the pod's pool finds out are counted too, before the next step. */
    private static void awaitStoredAgain(TestPod pod, String token) {
        Await.until("chat messages to be stored again", WAIT, () -> pod.post(HttpClient.Version.HTTP_1_1,
                "/api/chat/messages", token, "{\"channel\":\"channel:errors\",\"content\":\"back\"}")
                .statusCode() == 204);
    }

    /**
     * @param persistent true: Redis comes back with its data, streams just continue; false: it comes back empty
     *                   and every open stream gets a resync, then continues
     */
    @ParameterizedTest(name = "redis comes back with its data: {0}")
    @ValueSource(booleans = {true, false})
    void killAndRestart_streamsStayOpen_postsDuringOutage503_everyAcceptedEventDelivered(boolean persistent)
            throws Exception {
        try (RedisProcess redis = RedisProcess.start(persistent)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(), "herald.sse.heartbeat", "PT0.3S",
                                                "herald.redis.timeout", "PT0.5S");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                String room = "channel:outage";
                List<SseClient> streams = List.of(a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(), room),
                                                  a.subscribe(HttpClient.Version.HTTP_2, a.serviceToken(), room),
                                                  b.subscribe(HttpClient.Version.HTTP_1_1, b.serviceToken(), room));
                try {
                    List<Integer> accepted = new ArrayList<>();
                    for (int i = 1; i <= 10; i++) {
                        (i % 2 == 0 ? a : b).publish(room, "seq", "\"n\":" + i);
                        accepted.add(i);
                    }
                    for (SseClient sse : streams) {
                        sse.awaitEvents("seq", 10, WAIT);
                    }

                    redis.kill();
                    for (TestPod pod : List.of(a, b)) {
                        Await.until("readiness to go down", WAIT, () -> pod.get(HttpClient.Version.HTTP_1_1,
                                "/observe/health/ready", null).statusCode() == 503);
                    }
                    for (int i = 0; i < 3; i++) {
                        HttpResponse<String> refused = (i % 2 == 0 ? a : b).post(HttpClient.Version.HTTP_1_1,
                                "/api/publish", a.serviceToken(), "{\"channel\":\"" + room + "\",\"type\":\"seq\",\"n\":-1}");
                        assertEquals(503, refused.statusCode(), refused.body());
                        assertEquals("broker_unavailable", TestPod.json(refused.body()).get("error").asText());
                    }
                    assertTrue(a.metric("redis_publish_errors_total", null) >= 1);
                    for (SseClient sse : streams) {
                        int pings = sse.comments().size();
                        sse.await("heartbeats during the outage", WAIT, c -> c.comments().size() >= pings + 2);
                        assertFalse(sse.ended(), "streams stay open while Redis is down");
                    }

                    redis.restart();
                    for (TestPod pod : List.of(a, b)) {
                        Await.until("readiness to come back", WAIT, () -> pod.get(HttpClient.Version.HTTP_1_1,
                                "/observe/health/ready", null).statusCode() == 200);
                    }
                    for (int i = 11; i <= 20; i++) {
                        (i % 2 == 0 ? a : b).publish(room, "seq", "\"n\":" + i);
                        accepted.add(i);
                    }
                    for (SseClient sse : streams) {
                        List<JsonNode> seq = sse.awaitEvents("seq", 20, WAIT);
                        assertEquals(accepted, seq.stream().map(e -> e.get("n").asInt()).toList(),
                                     "every accepted event, once, in order, none of the refused");
                        assertFalse(sse.ended());
                        assertEquals(persistent ? 0 : 1, sse.events("resync").size(),
                                     persistent ? "history survived: no resync" : "history was lost: one resync");
                    }
                    assertTrue(a.metric("herald_redis_subscriber_reconnects_total", null) >= 1);
                    assertEquals(persistent ? 0.0 : 1.0,
                                 a.metric("herald_history_breaks_total", "reason=\"history_lost\""),
                                 "one new epoch seen by pod A when Redis came back empty");
                } finally {
                    streams.forEach(SseClient::close);
                }
            }
        }
    }
}
