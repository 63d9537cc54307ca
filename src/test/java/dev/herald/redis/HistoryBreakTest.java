package dev.herald.redis;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No silent gap: when a channel's history breaks under open streams (an outage longer than history, Redis going
 * back to an older copy under the same epoch), every stream of the channel gets a {@code resync} for it first, then
 * the events after, in order; nothing it had passed is delivered again, nothing new is dropped.
 */
class HistoryBreakTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void pubsubOutageLongerThanHistory_streamsResync_thenContinueWithWhatHistoryHolds() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.history.size", "50"))) {
            String room = "channel:outage";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                publish(pod, room, 1, 5);
                sse.awaitEvents("seq", 5, WAIT);

                keepSubscriberOut(redis);
                publish(pod, room, 6, 305);
                letClientsIn(redis);

                List<SseClient.Message> after = awaitMessagesAfter(sse, 5, "seq", 305);
                assertEquals("resync", after.get(0).json().get("type").asText(), "the break comes first: " + types(after));
                long from = after.get(0).json().get("id").asLong();
                assertTrue(from >= 50 && from < 305, "resync from just before the oldest retained event: " + from);
                List<Long> ids = after.subList(1, after.size()).stream().map(m -> m.json().get("id").asLong()).toList();
                assertEquals(305 - from, ids.size(), "everything history holds after the break, once: " + ids);
                for (int i = 0; i < ids.size(); i++) {
                    assertEquals(from + 1 + i, ids.get(i), "in order, no gap after the resync");
                }
                assertEquals(1.0, pod.metric("herald_history_breaks_total", "reason=\"gap\""));
            }
        }
    }

    @Test
    void redisGoesBackToAnOlderCopyWhileConnected_streamsResync_andGetTheNewEventsWithReusedIds() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            String room = "channel:restore";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                publish(pod, room, 1, 5);
                assertEquals("OK", redis.command("SAVE"));
                publish(pod, room, 6, 50);
                sse.awaitEvents("seq", 50, WAIT);

                // the same epoch, the counter and history back at 5: the next events reuse ids 6, 7, 8
                assertEquals("OK", redis.command("DEBUG", "RELOAD", "NOSAVE"));
                assertEquals(List.of(6L, 7L, 8L), publish(pod, room, 101, 103));

                List<SseClient.Message> after = awaitMessagesAfter(sse, 50, "seq", 103);
                assertEquals(List.of("resync", "seq", "seq", "seq"), types(after));
                assertEquals(5, after.get(0).json().get("id").asLong());
                assertEquals(List.of(101, 102, 103), after.subList(1, 4).stream().map(m -> m.json().get("n").asInt()).toList());
                assertEquals(1.0, pod.metric("herald_history_breaks_total", "reason=\"ids_restarted\""));
            }
        }
    }

    @Test
    void redisGoesBackToAnOlderCopyWhileDisconnected_andIdsPassTheStreamsAgain_streamsResync() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            String room = "channel:restore2";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                publish(pod, room, 1, 5);
                assertEquals("OK", redis.command("SAVE"));
                publish(pod, room, 6, 50);
                sse.awaitEvents("seq", 50, WAIT);

                keepSubscriberOut(redis);
                assertEquals("OK", redis.command("DEBUG", "RELOAD", "NOSAVE"));
                // ids 6..65 again: by the time the pod is back, the head is past what its streams saw, under new events
                publish(pod, room, 101, 160);
                letClientsIn(redis);
                Await.until("the pod to see the break", WAIT,
                            () -> pod.metric("herald_history_breaks_total", "reason=\"ids_restarted\"") == 1.0);
                assertEquals(List.of(66L), publish(pod, room, 161, 161));

                List<SseClient.Message> after = awaitMessagesAfter(sse, 50, "seq", 161);
                assertEquals(List.of("resync", "seq"), types(after), "a resync, never ids 51-65 as if nothing happened");
                assertEquals(65, after.get(0).json().get("id").asLong());
                assertEquals(66, after.get(1).json().get("id").asLong());
            }
        }
    }

    @Test
    void subscriberDroppedAgainAndAgain_comesBackQuicklyEveryTime() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            String room = "channel:flaky";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                double reconnects = pod.metric("herald_redis_subscriber_reconnects_total", null);
                for (int drop = 1; drop <= 8; drop++) {
                    redis.command("CLIENT", "KILL", "TYPE", "pubsub");
                    long killed = System.nanoTime();
                    // a held connection starts the backoff over: every drop costs the first step (100 ms, jittered),
                    // not a doubling one (0.8, 1.6, 3.2, 5 s…)
                    Await.until("the subscriber back after drop " + drop, Duration.ofMillis(1200),
                                () -> subscribers(redis, "realtime:" + room) == 1);
                    long millis = (System.nanoTime() - killed) / 1_000_000;
                    assertTrue(millis < 1200, "drop " + drop + " took " + millis + " ms");
                }
                assertEquals(reconnects + 8, pod.metric("herald_redis_subscriber_reconnects_total", null));
                publish(pod, room, 1, 3);
                assertEquals(3, sse.awaitEvents("seq", 3, WAIT).size());
            }
        }
    }

    /** Publishes events {@code "n": from..to} as a service and returns their ids. */
    private static List<Long> publish(TestPod pod, String channel, int from, int to) {
        return java.util.stream.IntStream.rangeClosed(from, to)
                .mapToObj(n -> pod.publish(channel, "seq", "\"n\":" + n)).toList();
    }

    /** The messages after the {@code seen}-th event of {@code type}, once the last one ({@code "n": lastN}) is in. */
    private static List<SseClient.Message> awaitMessagesAfter(SseClient sse, int seen, String type, int lastN) {
        sse.await("event n=" + lastN, WAIT, c -> c.events(type).stream().anyMatch(e -> e.get("n").asInt() == lastN));
        List<SseClient.Message> messages = sse.messages();
        int count = 0;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode json = messages.get(i).json();
            if (json != null && type.equals(json.path("type").asText()) && ++count == seen) {
                return messages.subList(i + 1, messages.size());
            }
        }
        throw new AssertionError("fewer than " + seen + " " + type + " events: " + messages);
    }

    private static List<String> types(List<SseClient.Message> messages) {
        return messages.stream().map(m -> m.json().path("type").asText()).toList();
    }

    /**
     * Drops the pod's pub/sub connection and keeps it from coming back (SUBSCRIBE is refused to Herald's Redis user;
     * its command connections keep working, so publishes are still accepted meanwhile).
     */
    private static void keepSubscriberOut(RedisProcess redis) throws IOException {
        assertEquals("OK", redis.command("ACL", "SETUSER", "default", "-subscribe"));
        redis.command("CLIENT", "KILL", "TYPE", "pubsub");
    }

    private static void letClientsIn(RedisProcess redis) throws IOException {
        assertEquals("OK", redis.command("ACL", "SETUSER", "default", "+subscribe"));
    }

    private static int subscribers(RedisProcess redis, String pubsub) {
        try {
            String[] reply = redis.command("PUBSUB", "NUMSUB", pubsub).split("\n");
            return Integer.parseInt(reply[1]);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
