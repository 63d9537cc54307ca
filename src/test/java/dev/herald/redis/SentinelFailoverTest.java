package dev.herald.redis;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.StartupException;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod on {@code redis-sentinel://…/mymaster} follows a failover: while no master answers, publishes answer 503
 * and readiness is DOWN; once the sentinels promote the replica, publishes answer 202 again and open streams go on
 * with the next events, with no silent gap. A replica that lagged (it lost events the old master acknowledged and
 * delivered) makes ids restart under the same epoch: the streams get a {@code resync} before the new events.
 */
class SentinelFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void masterKilled_publishes503AndNotReady_untilThePromotion_thenStreamsContinueWithEveryEvent() throws Exception {
        try (SentinelSetup sentinel = SentinelSetup.start();
             TestPod pod = TestPod.start(Map.of("herald.redis.url", sentinel.url(), "herald.sse.heartbeat", "PT0.5S"))) {
            String room = "channel:failover";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                assertEquals(List.of(1L, 2L, 3L), publish(pod, room, 1, 3));
                sse.awaitEvents("seq", 3, WAIT);
                sentinel.awaitReplicaInSync();

                sentinel.master().kill();
                long killed = System.nanoTime();
                Await.until("readiness DOWN while there is no master", Duration.ofSeconds(5), () -> !ready(pod));
                HttpResponse<String> refused = post(pod, room, 99);
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("broker_unavailable"), refused.body());

                AtomicReference<HttpResponse<String>> accepted = new AtomicReference<>();
                Await.until("a publish accepted by the promoted replica", WAIT, () -> {
                    HttpResponse<String> res = post(pod, room, 4);
                    accepted.set(res);
                    return res.statusCode() == 202;
                });
                long millis = (System.nanoTime() - killed) / 1_000_000;
                assertEquals(sentinel.replica().port(), sentinel.masterPort(), "the replica is the master now");
                assertEquals(4, TestPod.json(accepted.get().body()).get("id").asLong());
                assertEquals(List.of(5L, 6L), publish(pod, room, 5, 6));
                Await.until("readiness UP again", WAIT, () -> ready(pod));

                List<JsonNode> after = eventsAfter(sse, 3, 6);
                assertEquals(List.of("seq", "seq", "seq"), after.stream().map(e -> e.get("type").asText()).toList(),
                             "the same stream, no resync: the replica had everything");
                assertEquals(List.of(4, 5, 6), after.stream().map(e -> e.get("n").asInt()).toList());
                assertEquals(List.of(4L, 5L, 6L), after.stream().map(e -> e.get("id").asLong()).toList());
                assertFalse(sse.ended(), "the stream stayed open");
                System.out.println("sentinel failover: first 202 after " + millis + " ms");

                // a new stream after the failover: its lease, presence and history read go to the new master
                try (SseClient ada = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("ada"), room)) {
                    ada.awaitCursor(WAIT);
                    sse.await("ada online", WAIT, c -> c.events("presence").stream()
                            .anyMatch(e -> e.toString().contains("\"ada\"")));
                    String users = pod.get(HttpClient.Version.HTTP_1_1, "/api/channels/" + room + "/presence",
                                           pod.token("watcher")).body();
                    assertTrue(users.contains("\"userId\":\"ada\""), users);
                    assertEquals("1", sentinel.replica().command("ZCARD", "realtime:conn:{user:ada}"),
                                 "the lease is on the new master");
                }
            }
        }
    }

    @Test
    void replicaLagged_andLostAcknowledgedEvents_streamsResyncBeforeTheEventsThatReuseTheIds() throws Exception {
        try (SentinelSetup sentinel = SentinelSetup.start();
             TestPod pod = TestPod.start(Map.of("herald.redis.url", sentinel.url(), "herald.sse.heartbeat", "PT0.5S"))) {
            String room = "channel:lagged";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                publish(pod, room, 1, 3);
                sentinel.awaitReplicaInSync();

                // events 4 and 5 are acknowledged and delivered, but never reach the replica
                sentinel.cutReplication();
                assertEquals(List.of(4L, 5L), publish(pod, room, 4, 5));
                sse.awaitEvents("seq", 5, WAIT);
                sentinel.master().kill();

                sentinel.awaitPromotion(WAIT);
                Await.until("readiness UP on the promoted replica", WAIT, () -> ready(pod));
                AtomicReference<Long> first = new AtomicReference<>();
                Await.until("a publish accepted by the promoted replica", WAIT, () -> {
                    HttpResponse<String> res = post(pod, room, 101);
                    if (res.statusCode() == 202) {
                        first.set(TestPod.json(res.body()).get("id").asLong());
                    }
                    return first.get() != null;
                });
                assertEquals(4, first.get(), "ids 4 and 5 went back with the lost events");
                assertEquals(List.of(5L, 6L), publish(pod, room, 102, 103));

                List<JsonNode> after = eventsAfter(sse, 5, 103);
                assertEquals(List.of("resync", "seq", "seq", "seq"),
                             after.stream().map(e -> e.get("type").asText()).toList(),
                             "a resync, never ids 4 and 5 again as if nothing happened");
                assertEquals(3, after.get(0).get("id").asLong());
                assertEquals(List.of(101, 102, 103), after.subList(1, 4).stream().map(e -> e.get("n").asInt()).toList());
                assertEquals(1.0, pod.metric("herald_history_breaks_total", "reason=\"ids_restarted\""));
            }
        }
    }

    @Test
    void manualFailover_withTheOldMasterAlive_theSubscriberMovesToTheNewMaster_andStreamsContinue() throws Exception {
        try (SentinelSetup sentinel = SentinelSetup.start();
             TestPod pod = TestPod.start(Map.of("herald.redis.url", sentinel.url(), "herald.sse.heartbeat", "PT0.5S"))) {
            String room = "channel:switched";
            String pubsub = "realtime:" + room;
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                publish(pod, room, 1, 2);
                sentinel.awaitReplicaInSync();
                assertEquals(1, subscribers(sentinel.master(), pubsub));

                try (redis.clients.jedis.Jedis any = new redis.clients.jedis.Jedis("127.0.0.1",
                                                                                     sentinelPort(sentinel))) {
                    assertEquals("OK", any.sentinelFailover(SentinelSetup.MASTER_NAME));
                }
                long failover = System.nanoTime();
                sentinel.awaitPromotion(WAIT);
                long promoted = System.nanoTime();
                // Sentinel reconfigures the demoted master (and drops its clients) only seconds later; the pod does
                // not wait for that: its subscriber follows the command client's +switch-master
                Await.until("the subscriber on the new master", Duration.ofSeconds(3),
                            () -> subscribers(sentinel.replica(), pubsub) == 1);
                System.out.println("manual failover: promoted after " + (promoted - failover) / 1_000_000
                                   + " ms, subscriber moved " + (System.nanoTime() - promoted) / 1_000_000
                                   + " ms later");
                assertEquals(0, subscribers(sentinel.master(), pubsub), "and no longer on the demoted one");
                Await.until("a publish accepted by the new master", WAIT, () -> post(pod, room, 3).statusCode() == 202);
                List<JsonNode> after = eventsAfter(sse, 2, 3);
                assertEquals(List.of(3), after.stream().map(e -> e.get("n").asInt()).toList());
                assertEquals(3, after.get(0).get("id").asLong());
            }
            StartupException unknown = assertThrows(StartupException.class, () -> TestPod.start(Map.of(
                    "herald.redis.url", sentinel.url().replace("/" + SentinelSetup.MASTER_NAME, "/othermaster"))));
            assertTrue(unknown.getMessage().contains("master othermaster via sentinels 127.0.0.1:")
                       && unknown.getMessage().contains("herald.redis.url"), unknown.getMessage());
        }
    }

    @Test
    void noSentinelAnswers_startIsRefused_namingTheSentinels() throws Exception {
        int closed = dev.herald.HeraldProcess.freePort();
        StartupException down = assertThrows(StartupException.class, () -> TestPod.start(Map.of(
                "herald.redis.url", "redis-sentinel://:s3cret-pw@127.0.0.1:" + closed + "/mymaster",
                "herald.redis.timeout", "PT0.5S")));
        assertTrue(down.getMessage().contains("master mymaster via sentinels 127.0.0.1:" + closed), down.getMessage());
        assertFalse(down.getMessage().contains("s3cret-pw"), down.getMessage());
    }

    private static int sentinelPort(SentinelSetup sentinel) {
        String url = sentinel.url();
        return Integer.parseInt(url.substring(url.lastIndexOf("127.0.0.1:") + 10, url.lastIndexOf('/')));
    }

    private static int subscribers(RedisProcess redis, String pubsub) {
        try {
            return Integer.parseInt(redis.command("PUBSUB", "NUMSUB", pubsub).split("\n")[1]);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static boolean ready(TestPod pod) {
        int status = pod.get(HttpClient.Version.HTTP_1_1, "/observe/health/ready", null).statusCode();
        return status >= 200 && status < 300;
    }

    private static HttpResponse<String> post(TestPod pod, String channel, int n) {
        return pod.post(HttpClient.Version.HTTP_1_1, "/api/publish", pod.serviceToken(),
                        "{\"channel\":\"" + channel + "\",\"type\":\"seq\",\"n\":" + n + "}");
    }

    private static List<Long> publish(TestPod pod, String channel, int from, int to) {
        return java.util.stream.IntStream.rangeClosed(from, to)
                .mapToObj(n -> pod.publish(channel, "seq", "\"n\":" + n)).toList();
    }

    /** The JSON messages after the {@code seen}-th {@code seq} event, once the one with {@code "n": lastN} is in. */
    private static List<JsonNode> eventsAfter(SseClient sse, int seen, int lastN) {
        sse.await("event n=" + lastN, WAIT, c -> c.events("seq").stream().anyMatch(e -> e.get("n").asInt() == lastN));
        List<JsonNode> messages = sse.messages().stream().map(SseClient.Message::json)
                .filter(json -> json != null && json.has("type")).toList();
        int count = 0;
        for (int i = 0; i < messages.size(); i++) {
            if ("seq".equals(messages.get(i).get("type").asText()) && ++count == seen) {
                return messages.subList(i + 1, messages.size());
            }
        }
        throw new AssertionError("fewer than " + seen + " seq events: " + messages);
    }
}
