package dev.herald.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * State a client can make a pod keep is bounded (issue 12, item 8): every Redis key Herald writes expires (the
 * epoch aside), a channel nobody publishes to or reads is forgotten, yet a cursor never resumes into a channel whose
 * ids started over; a reconnect replays at most {@code herald.sse.max-replay-bytes}, read from Redis in pages.
 */
class BoundedStateTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /**
     * A cursor TTL short enough to wait out (channels are forgotten after it plus as much again, the slack), and a
     * short heartbeat so that a stream whose client left ends at once.
     */
    private static final Map<String, String> SHORT = Map.of("herald.history.ttl", "PT1S",
                                                             "herald.history.cursor-ttl", "PT2S",
                                                             "herald.sse.heartbeat", "PT0.2S");

    @Test
    void everyRedisKeyHeraldWrites_expires_exceptTheEpoch() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            String room = "channel:keys";
            // a stream (a lease, presence), a publish with an idempotency key, a chat message (a user's budget),
            // a publish on a user channel
            try (SseClient ann = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("ann"), room, "user:ann")) {
                ann.awaitCursor(WAIT);
                var request = java.net.http.HttpRequest.newBuilder(pod.uri("/api/publish"))
                        .header("Content-Type", "application/json").header("Idempotency-Key", "k-1")
                        .header("Authorization", "Bearer " + pod.serviceToken())
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                "{\"channel\":\"" + room + "\",\"type\":\"t\"}")).build();
                assertEquals(202, pod.send(HttpClient.Version.HTTP_1_1, request).statusCode());
                pod.chat(pod.token("ann"), room, "hello");
                pod.publish("user:ann", "note", "");
                ann.awaitEvents("note", 1, WAIT);
                List<String> withoutTtl = new ArrayList<>();
                List<String> keys = keys(redis);
                for (String key : keys) {
                    if (Long.parseLong(redis.command("PTTL", key)) < 0) {
                        withoutTtl.add(key);
                    }
                }
                assertTrue(keys.size() >= 8, "the pod wrote its kinds of keys: " + keys);
                assertTrue(keys.stream().anyMatch(k -> k.startsWith("realtime:seq:")), "" + keys);
                assertTrue(keys.stream().anyMatch(k -> k.startsWith("realtime:presence:")), "" + keys);
                assertEquals(List.of("realtime:epoch"), withoutTtl, "keys that would stay for ever, of " + keys);
            }
        }
    }

    @Test
    void clustered_aChannelsIdCounterLivesWhileAPodReadsIt_andExpiresOnceNobodyDoes() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(with(SHORT, "herald.redis.url", redis.url()))) {
            String seq = "realtime:seq:{channel:counted}";
            pod.publish("channel:counted", "t", "");
            long ttl = Long.parseLong(redis.command("PTTL", seq));
            // cursor TTL 2 s, two refresh periods of 1 s, 2 s of slack
            assertTrue(ttl > 0 && ttl <= 6000, "seq PTTL " + ttl);
            try (SseClient reader = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("rae"), "channel:counted")) {
                reader.awaitCursor(WAIT);
                long first = Long.parseLong(redis.command("PTTL", seq));
                Await.until("the reading pod to refresh the counter", WAIT,
                            () -> Long.parseLong(command(redis, "PTTL", seq)) > first);
            }
            Await.until("the counter to expire once nobody reads it", WAIT,
                        () -> "0".equals(command(redis, "EXISTS", seq)));
        }
    }

    @Test
    void embedded_aForgottenChannelsIdsStartOver_butAnOldCursorResyncs_neverResumesIntoTheNewIds() throws Exception {
        try (TestPod pod = TestPod.start(SHORT)) {
            idsStartOverUnderNoLiveCursor(pod, () -> pod.metric("herald_channels_held", null) == 1,
                                          () -> pod.metric("herald_channels_held", null) == 0);
        }
    }

    @Test
    void clustered_aForgottenChannelsIdsStartOver_butAnOldCursorResyncs_neverResumesIntoTheNewIds() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(with(SHORT, "herald.redis.url", redis.url()))) {
            idsStartOverUnderNoLiveCursor(pod, () -> "1".equals(command(redis, "EXISTS", "realtime:seq:{channel:reborn}")),
                                          () -> "0".equals(command(redis, "EXISTS", "realtime:seq:{channel:reborn}")));
        }
    }

    /**
     * A client reads three events and leaves; the channel is forgotten (nobody publishes or reads for the cursor
     * TTL) and five new events take ids 1..5. The client's cursor (position 3) must not resume into them as if 4 and
     * 5 followed its 3: it resyncs and gets every retained event.
     */
    private static void idsStartOverUnderNoLiveCursor(TestPod pod, java.util.function.BooleanSupplier held,
                                                      java.util.function.BooleanSupplier forgotten) {
        String room = "channel:reborn";
        String token = pod.token("olga");
        String cursor;
        try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, token, room)) {
            sse.awaitCursor(WAIT);
            for (int i = 1; i <= 3; i++) {
                pod.publish(room, "old", "\"n\":" + i);
            }
            sse.awaitEvents("old", 3, WAIT);
            cursor = sse.lastEventId();
            assertTrue(held.getAsBoolean(), "the pod (or Redis) holds the channel while it is used");
        }
        // forgotten once nobody published or read for the cursor TTL (2 s) and its slack (2 s)
        Await.until("the channel to be forgotten", WAIT, forgotten);
        assertEquals(1, pod.publish(room, "new", "\"n\":1"), "a forgotten channel starts over");
        for (int i = 2; i <= 5; i++) {
            pod.publish(room, "new", "\"n\":" + i);
        }
        try (SseClient back = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1), pod.uri(TestPod.eventsPath(room)),
                                             Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
            back.await("the resync and the five new events", WAIT, c -> c.events("new").size() >= 5);
            List<String> types = new ArrayList<>();
            for (SseClient.Message message : back.messages()) {
                if (!message.data().isEmpty() && !message.json().get("type").asText().equals("presence")) {
                    types.add(message.json().get("type").asText() + "#" + message.json().get("id").asLong());
                }
            }
            assertEquals(List.of("resync#0", "new#1", "new#2", "new#3", "new#4", "new#5"), types,
                         "not new#4, new#5 as if they followed old#3");
        }
    }

    @Test
    void embedded_aReconnectReplaysAtMostMaxReplayBytes_aLargerChannelResyncsFromItsHead() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.max-replay-bytes", "4096"))) {
            replayIsCapped(pod);
        }
    }

    @Test
    void clustered_aReconnectReplaysAtMostMaxReplayBytes_andHistoryIsReadInPages() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(),
                                                "herald.sse.max-replay-bytes", "4096"))) {
            replayIsCapped(pod);
            // a long replay within the budget is read 200 entries at a time, never in one answer
            try (TestPod wide = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.pod-id", "wide"))) {
                String room = "channel:paged";
                String token = wide.token("pia");
                String cursor;
                try (SseClient sse = wide.subscribe(HttpClient.Version.HTTP_1_1, token, room)) {
                    cursor = sse.awaitCursor(WAIT);
                }
                for (int i = 1; i <= 450; i++) {
                    wide.publish(room, "p", "\"n\":" + i);
                }
                long before = xranges(redis);
                try (SseClient back = SseClient.open(wide.client(HttpClient.Version.HTTP_1_1),
                                                     wide.uri(TestPod.eventsPath(room)),
                                                     Map.of("Authorization", "Bearer " + token,
                                                            "Last-Event-ID", cursor))) {
                    List<JsonNode> events = back.awaitEvents("p", 450, WAIT);
                    for (int i = 0; i < 450; i++) {
                        assertEquals(i + 1, events.get(i).get("n").asInt());
                    }
                    assertEquals(0, back.events("resync").size());
                }
                assertTrue(xranges(redis) - before >= 3, "450 entries in pages of 200: at least 3 XRANGE calls");
            }
        }
    }

    /**
     * 100 events of about 100 bytes on one channel (10 KB) and 3 on another: a client coming back from before all of
     * them gets the small channel's 3 events and a resync of the big one from its head (nothing of it replayed), and
     * then the big channel's next event live.
     */
    private static void replayIsCapped(TestPod pod) {
        String big = "channel:big";
        String small = "channel:small";
        String token = pod.token("cara");
        String cursor;
        try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, token, big, small)) {
            cursor = sse.awaitCursor(WAIT);
        }
        String pad = "\"pad\":\"" + "x".repeat(60) + "\"";
        long head = 0;
        for (int i = 1; i <= 100; i++) {
            head = pod.publish(big, "b", "\"n\":" + i + "," + pad);
        }
        for (int i = 1; i <= 3; i++) {
            pod.publish(small, "s", "\"n\":" + i);
        }
        try (SseClient back = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1), pod.uri(TestPod.eventsPath(big, small)),
                                             Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
            back.awaitEvents("s", 3, WAIT);
            List<JsonNode> resyncs = back.events("resync");
            assertEquals(1, resyncs.size(), "resyncs: " + resyncs + ", big events: " + back.events("b").size());
            assertEquals(big, resyncs.get(0).get("channel").asText());
            assertEquals(head, resyncs.get(0).get("id").asLong(), "the big channel continues after its head");
            assertEquals(0, back.events("b").size(), "nothing of the big channel is replayed");
            pod.publish(big, "b", "\"n\":101");
            List<JsonNode> live = back.awaitEvents("b", 1, WAIT);
            assertEquals(101, live.get(0).get("n").asInt());
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> config = new HashMap<>(base);
        config.put(key, value);
        return config;
    }

    private static String command(RedisProcess redis, String... args) {
        try {
            return redis.command(args);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> keys(RedisProcess redis) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : redis.command("KEYS", "*").split("\n")) {
            if (!line.isBlank()) {
                keys.add(line.trim());
            }
        }
        keys.sort(null);
        return keys;
    }

    private static long xranges(RedisProcess redis) throws IOException {
        for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_xrange:calls=")) {
                return Long.parseLong(line.substring("cmdstat_xrange:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }
}
