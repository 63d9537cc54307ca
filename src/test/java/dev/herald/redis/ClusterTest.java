package dev.herald.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three pods on one real redis-server behave as one service. */
class ClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RedisProcess redis;
    private static List<TestPod> pods;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(false);
        pods = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pods.add(TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.sse.heartbeat", "PT0.5S",
                                          "herald.sse.max-connections", "1000")));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        pods.forEach(TestPod::close);
        redis.close();
    }

    @Test
    void eventsPostedToAnyPod_reachEverySubscriberOnEveryPod_onceAndInOrder() throws Exception {
        String room = "channel:cluster-fanout";
        int subscribers = 60;
        int events = 200;
        List<SseClient> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<SseClient>> opening = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                TestPod pod = pods.get(i % 3);
                String token = pod.token("member" + i);
                HttpClient.Version version = i % 2 == 0 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2;
                opening.add(pool.submit(() -> pod.subscribe(version, token, room)));
            }
            for (Future<SseClient> f : opening) {
                clients.add(f.get());
            }
        }
        try {
            List<Future<?>> publishing = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int p = 0; p < 3; p++) {
                    TestPod pod = pods.get(p);
                    int first = p;
                    publishing.add(pool.submit(() -> {
                        for (int n = first; n < events; n += 3) {
                            pod.publish(room, "load", "\"n\":" + n);
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : publishing) {
                f.get(); // done once the pool has closed; rethrows what a publisher threw
            }
            for (SseClient sse : clients) {
                List<JsonNode> received = sse.awaitEvents("load", events, WAIT);
                assertEquals(events, received.size());
                Set<Integer> seen = new HashSet<>();
                long previous = 0;
                for (JsonNode event : received) {
                    assertTrue(event.get("id").asLong() > previous, "in id order");
                    previous = event.get("id").asLong();
                    seen.add(event.get("n").asInt());
                }
                assertEquals(events, seen.size(), "each event exactly once");
            }
        } finally {
            clients.forEach(SseClient::close);
        }
    }

    /** Read on pod A, reconnect to pod B and then C with the cursor while a publisher keeps going on all pods. */
    @Test
    void resumeAcrossPods_withEventsPublishedDuringReconnects_noDuplicateNoGap() throws Exception {
        String room = "channel:cluster-resume";
        String token = pods.get(0).token("rover");
        int total = 120;
        AtomicBoolean failed = new AtomicBoolean();
        List<Integer> received = new ArrayList<>();
        String cursor;
        try (SseClient first = pods.get(0).subscribe(HttpClient.Version.HTTP_1_1, token, room)) {
            cursor = first.awaitCursor(WAIT);
        }
        Thread publisher = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 1; i <= total; i++) {
                    pods.get(i % 3).publish(room, "seq", "\"n\":" + i);
                }
            } catch (Throwable t) {
                failed.set(true);
            }
        });
        int hop = 1;
        boolean done = false;
        while (!done) {
            TestPod pod = pods.get(hop++ % 3);
            try (SseClient sse = SseClient.open(pod.client(HttpClient.Version.HTTP_2),
                                                pod.uri(TestPod.eventsPath(room)),
                                                Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
                sse.awaitCursor(WAIT);
                sse.await("20 more events or the last", WAIT, c -> c.events("seq").size() >= 20
                        || c.events("seq").stream().anyMatch(n -> n.get("n").asInt() == total));
                List<SseClient.Message> messages = sse.messages();
                for (SseClient.Message m : messages) {
                    JsonNode json = m.json();
                    assertFalse(json.get("type").asText().equals("resync"), "no resync across pods");
                    if (json.get("type").asText().equals("seq")) {
                        received.add(json.get("n").asInt());
                        done |= json.get("n").asInt() == total;
                    }
                }
                cursor = messages.isEmpty() ? sse.lastEventId() : messages.get(messages.size() - 1).lastEventId();
            }
        }
        publisher.join(WAIT);
        assertFalse(failed.get());
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= total; i++) {
            expected.add(i);
        }
        assertEquals(expected, received, "every event once, in order, across " + (hop - 1) + " pods");
    }

    @Test
    void presenceAcrossPods_oneOnlineAndOneOfflineWhateverTheTabs() {
        String room = "channel:cluster-presence";
        TestPod a = pods.get(0);
        TestPod b = pods.get(1);
        TestPod c = pods.get(2);
        try (SseClient observer = c.subscribe(HttpClient.Version.HTTP_1_1, c.token("watcher"), room)) {
            observer.awaitCursor(WAIT);
            String ada = a.token("ada");
            SseClient tab1 = a.subscribe(HttpClient.Version.HTTP_1_1, ada, room);
            SseClient tab2 = a.subscribe(HttpClient.Version.HTTP_2, ada, room);
            SseClient tab3 = b.subscribe(HttpClient.Version.HTTP_1_1, ada, room);
            observer.await("ada online", WAIT, x -> !adaEvents(x, "online").isEmpty());
            for (TestPod pod : pods) {
                JsonNode users = TestPod.json(pod.get(HttpClient.Version.HTTP_1_1, "/api/channels/" + room + "/presence",
                                                      pod.token("watcher")).body()).get("users");
                assertTrue(users.toString().contains("\"userId\":\"ada\""), "listed by every pod: " + users);
            }
            tab1.close();
            tab3.close();
            Await.until("pods A and B to notice the closed tabs", WAIT,
                        () -> a.metric("sse_connections_total", null) == 1 && b.metric("sse_connections_total", null) == 0);
            // a marker event orders the observer's stream: nothing about ada may come before it
            c.publish(room, "marker", "\"n\":1");
            observer.awaitEvents("marker", 1, WAIT);
            assertEquals(0, adaEvents(observer, "offline").size(), "tabs remain open on pod A");
            tab2.close();
            observer.await("ada offline", WAIT, x -> !adaEvents(x, "offline").isEmpty());
            c.publish(room, "marker", "\"n\":2");
            observer.awaitEvents("marker", 2, WAIT);
            assertEquals(1, adaEvents(observer, "online").size(), "one online for three tabs on two pods");
            assertEquals(1, adaEvents(observer, "offline").size(), "one offline after the last tab");
        }
    }

    /** Each pod subscribes in Redis to exactly the channels its connections need, and drops them after. */
    @Test
    void podsSubscribeOnlyToChannelsWithLocalSubscribers() {
        String room = "channel:cluster-only-needed";
        assertEquals(0L, numSub("realtime:" + room));
        try (SseClient one = pods.get(0).subscribe(HttpClient.Version.HTTP_1_1, pods.get(0).serviceToken(), room);
             SseClient two = pods.get(1).subscribe(HttpClient.Version.HTTP_1_1, pods.get(1).serviceToken(), room)) {
            one.awaitCursor(WAIT);
            two.awaitCursor(WAIT);
            assertEquals(2L, numSub("realtime:" + room), "pods 1 and 2 subscribed, pod 3 not");
        }
        Await.until("both pods to unsubscribe", WAIT,
                    () -> numSub("realtime:" + room) == 0L);
        assertEquals(0L, Long.parseLong(redisCommand("PUBSUB", "NUMPAT")), "no pattern subscriptions");
    }

    /** PUBSUB NUMSUB for one channel: the reply is the channel, then its subscriber count. */
    private static long numSub(String channel) {
        String reply = redisCommand("PUBSUB", "NUMSUB", channel);
        return Long.parseLong(reply.substring(reply.lastIndexOf('\n') + 1));
    }

    private static String redisCommand(String... args) {
        try {
            return redis.command(args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> adaEvents(SseClient client, String status) {
        return client.events("presence").stream()
                .filter(e -> e.get("userId").asText().equals("ada") && e.get("status").asText().equals(status))
                .toList();
    }
}
