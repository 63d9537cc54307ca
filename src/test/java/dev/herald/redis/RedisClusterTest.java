package dev.herald.redis;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.Await;
import dev.herald.HeraldProcess;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.Jedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two pods on a real Redis Cluster of three masters, each with a replica ({@code redis-cluster://}): sharded pub/sub
 * delivers every event of channels spread over every shard, presence (with the sweep of a killed pod) and the
 * per-user cap hold across pods, a moved slot is followed, one shard losing its data resyncs its channels only, and
 * a master killed is followed to its promoted replica.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RedisClusterProcess cluster;
    private static TestPod a;
    private static TestPod b;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterProcess.start(3, 1);
        Map<String, String> settings = Map.of("herald.redis.url", cluster.url(), "herald.sse.heartbeat", "PT0.5S",
                                              "herald.sse.max-connections-per-user", "2",
                                              "herald.presence.ttl", "PT3S");
        a = TestPod.start(settings);
        b = TestPod.start(settings);
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void eventsOnChannelsOfEveryShard_reachEveryStreamOnceInOrder_andEachShardHoldsBothPodsSubscriptions() {
        Map<String, Integer> channels = spread("spread", 2);
        String[] names = channels.keySet().toArray(String[]::new);
        try (SseClient onA = a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(), names);
             SseClient onB = b.subscribe(HttpClient.Version.HTTP_2, b.serviceToken(), names)) {
            onA.awaitCursor(WAIT);
            onB.awaitCursor(WAIT);
            channels.forEach((channel, master) -> {
                for (int node : cluster.masters()) {
                    try (Jedis jedis = cluster.node(node)) {
                        Map<String, Long> counts = jedis.pubsubShardNumSub("realtime:{" + channel + "}");
                        assertEquals(node == master ? 2L : 0L, counts.get("realtime:{" + channel + "}"),
                                     "both pods subscribed at the master of " + channel + ", and only there");
                    }
                }
            });
            int events = 20;
            for (int n = 1; n <= events; n++) {
                for (String channel : names) {
                    (n % 2 == 0 ? a : b).publish(channel, "load", "\"n\":" + n);
                }
            }
            for (SseClient stream : List.of(onA, onB)) {
                List<JsonNode> received = stream.awaitEvents("load", events * names.length, WAIT);
                for (String channel : names) {
                    List<Integer> seen = received.stream().filter(e -> e.get("channel").asText().equals(channel))
                            .map(e -> e.get("n").asInt()).toList();
                    List<Long> ids = received.stream().filter(e -> e.get("channel").asText().equals(channel))
                            .map(e -> e.get("id").asLong()).toList();
                    assertEquals(range(1, events), seen, channel + ": every event once, in order");
                    assertEquals(ids.stream().sorted().distinct().toList(), ids, channel + ": ids in order");
                }
                assertEquals(0, stream.events("resync").size());
            }
        }
    }

    @Test
    @Order(2)
    void presenceAndThePerUserCap_holdAcrossPodsOnTheCluster() {
        String room = "channel:cluster-room";
        try (SseClient watcher = b.subscribe(HttpClient.Version.HTTP_1_1, b.token("watcher"), room)) {
            watcher.awaitCursor(WAIT);
            String ada = a.token("ada");
            SseClient tab1 = a.subscribe(HttpClient.Version.HTTP_1_1, ada, room);
            SseClient tab2 = b.subscribe(HttpClient.Version.HTTP_1_1, b.token("ada"), room);
            tab1.awaitCursor(WAIT);
            tab2.awaitCursor(WAIT);
            HttpResponse<String> third = a.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath(room), ada);
            assertEquals(429, third.statusCode(), "a third stream of ada on either pod is over the cap of 2");
            for (TestPod pod : List.of(a, b)) {
                JsonNode users = TestPod.json(pod.get(HttpClient.Version.HTTP_1_1, "/api/channels/" + room
                                                                                   + "/presence", ada).body());
                assertTrue(users.toString().contains("\"userId\":\"ada\""), "listed by both pods: " + users);
            }
            tab1.close();
            tab2.close();
            watcher.await("ada offline", WAIT, x -> !presence(x, "offline").isEmpty());
            b.publish(room, "marker", "\"n\":1");
            watcher.awaitEvents("marker", 1, WAIT);
            assertEquals(1, presence(watcher, "online").size(), "one online for two tabs on two pods");
            assertEquals(1, presence(watcher, "offline").size(), "one offline after the last tab");
        }
    }

    /** A disconnect travels on the shard channel every pod holds at its slot's master: pod b's streams end. */
    @Test
    @Order(2)
    void aDisconnectOnOnePod_endsTheUsersStreamsOnTheOther_withinTwoSeconds() {
        try (SseClient onB = b.subscribe(HttpClient.Version.HTTP_1_1, b.token("eve"), "channel:cluster-kick")) {
            onB.awaitCursor(WAIT);
            HttpResponse<String> res = a.post(HttpClient.Version.HTTP_1_1, "/api/users/eve/disconnect",
                                              a.serviceToken(), "{\"reason\":\"kicked\"}");
            assertEquals(202, res.statusCode(), res.body());
            onB.awaitEnd(Duration.ofSeconds(2));
            assertEquals("kicked", onB.events("disconnect").getFirst().get("reason").asText());
        }
    }

    /** Channel counts across pods on a cluster: each pod's keys in its own slot, read in one cluster pipeline. */
    @Test
    @Order(2)
    void channelInfo_addsUpOverPods_andTheListingMerges() {
        try (SseClient onA = a.subscribe(HttpClient.Version.HTTP_1_1, a.token("gina"), "channel:cl-info", "channel:cl-1");
             SseClient onB = b.subscribe(HttpClient.Version.HTTP_1_1, b.token("hank"), "channel:cl-info", "channel:cl-2")) {
            onA.awaitCursor(WAIT);
            onB.awaitCursor(WAIT);
            long last = a.publish("channel:cl-info", "hi", "\"n\":1");
            Await.until("two streams on two pods", WAIT, () -> TestPod.json(
                    b.get(HttpClient.Version.HTTP_1_1, "/api/channels/channel:cl-info", b.serviceToken()).body())
                    .path("subscribers").asLong() == 2);
            JsonNode info = TestPod.json(b.get(HttpClient.Version.HTTP_1_1, "/api/channels/channel:cl-info",
                                               b.serviceToken()).body());
            assertEquals(2, info.get("users").asLong(), info.toString());
            assertEquals(last, info.get("lastId").asLong());
            JsonNode page = TestPod.json(a.get(HttpClient.Version.HTTP_1_1, "/api/channels?prefix=channel:cl-",
                                               a.serviceToken()).body());
            assertEquals(3, page.get("channels").size(), page.toString());
        }
    }

    /** A revocation is stored in the cluster and told on the shard channel: pod b refuses the old token at once. */
    @Test
    @Order(2)
    void aRevocationOnOnePod_isRefusedOnTheOther() {
        String old = a.token("frank", java.time.Instant.now().minusSeconds(5));
        try (SseClient onB = b.subscribe(HttpClient.Version.HTTP_1_1, old, "channel:cluster-ban")) {
            onB.awaitCursor(WAIT);
            HttpResponse<String> res = a.post(HttpClient.Version.HTTP_1_1, "/api/users/frank/disconnect",
                                              a.serviceToken(), "{\"revokeTokensIssuedBefore\":\"now\"}");
            assertEquals(202, res.statusCode(), res.body());
            onB.awaitEnd(Duration.ofSeconds(2));
        }
        HttpResponse<String> chat = b.post(HttpClient.Version.HTTP_1_1, "/api/chat/messages", old,
                                           "{\"channel\":\"channel:cluster-ban\",\"text\":\"hi\"}");
        assertEquals(401, chat.statusCode(), chat.body());
        assertEquals("revoked", TestPod.json(chat.body()).get("error").asText());
    }

    /**
     * A pod killed without cleanup: a survivor's sweep (the index in one slot, each entry swept by a script in its
     * channel's slot) announces its user offline once.
     */
    @Test
    @Order(3)
    void aPodKilledWithoutCleanup_itsUserGoesOfflineOnce_announcedByTheOtherPod() throws Exception {
        String room = "channel:cluster-ttl";
        int port = HeraldProcess.freePort();
        HeraldProcess doomed = HeraldProcess.start(
                Map.of("SERVER_PORT", String.valueOf(port), "HERALD_REDIS_URL", cluster.url(),
                       "HERALD_JWT_SECRET", TestPod.SECRET, "HERALD_DEV_MODE", "false"),
                List.of("-Dherald.presence.ttl=PT3S", "-Dherald.pod-id=doomed"));
        try (SseClient watcher = a.subscribe(HttpClient.Version.HTTP_1_1, a.token("watcher"), room)) {
            watcher.awaitCursor(WAIT);
            String zed = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8))
                    .issue("zed", "Zed", List.of(), Duration.ofMinutes(5));
            try (SseClient onDoomed = SseClient.open(HttpClient.newHttpClient(),
                                                     URI.create("http://127.0.0.1:" + port
                                                                + TestPod.eventsPath(room)),
                                                     Map.of("Authorization", "Bearer " + zed))) {
                watcher.await("zed online", WAIT, c -> !presence(c, "zed", "online").isEmpty());
                doomed.process().destroyForcibly();
                assertTrue(doomed.process().waitFor(10, TimeUnit.SECONDS));
                watcher.await("zed offline", WAIT, c -> !presence(c, "zed", "offline").isEmpty());
            }
            b.publish(room, "marker", "\"n\":1");
            watcher.awaitEvents("marker", 1, WAIT);
            assertEquals(1, presence(watcher, "zed", "offline").size(), "announced once");
        } finally {
            doomed.process().destroyForcibly();
        }
    }

    /**
     * A resharding moves a followed channel's slot to another master: Redis unsubscribes both pods there
     * (SUNSUBSCRIBE); they subscribe at the new master and fill what was published meanwhile from history.
     */
    @Test
    @Order(4)
    void aSlotMovedToAnotherMaster_streamsGetEveryEventOnceInOrder_andBothPodsSubscribeAtTheNewMaster() {
        Map<String, Integer> channels = spread("moved", 1);
        List<String> names = new ArrayList<>(channels.keySet());
        String moved = names.get(0);
        int target = channels.get(names.get(1));
        try (SseClient onA = a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(), moved);
             SseClient onB = b.subscribe(HttpClient.Version.HTTP_2, b.serviceToken(), moved)) {
            onA.awaitCursor(WAIT);
            onB.awaitCursor(WAIT);
            for (int n = 1; n <= 3; n++) {
                a.publish(moved, "load", "\"n\":" + n);
            }
            cluster.moveSlot(RedisKeys.slot(moved), target);
            for (int n = 4; n <= 10; n++) {
                (n % 2 == 0 ? a : b).publish(moved, "load", "\"n\":" + n);
            }
            for (SseClient stream : List.of(onA, onB)) {
                List<JsonNode> received = stream.awaitEvents("load", 10, WAIT);
                assertEquals(range(1, 10), received.stream().map(e -> e.get("n").asInt()).toList(),
                             "every event once, in order");
                assertEquals(0, stream.events("resync").size(), "the epoch moved with the slot");
            }
            Await.until("both pods subscribed at the new master", WAIT, () -> {
                try (Jedis node = cluster.node(target)) {
                    return Long.valueOf(2).equals(node.pubsubShardNumSub("realtime:{" + moved + "}")
                                                           .get("realtime:{" + moved + "}"));
                }
            });
        }
    }

    /** FLUSHALL on one master (replicated to its replica): that shard lost its data, the other shards did not. */
    @Test
    @Order(5)
    void oneShardLosesItsData_onlyItsChannelsResync_andTheNewCursorResumesExactly() {
        Map<String, Integer> channels = spread("lost", 1);
        List<String> names = new ArrayList<>(channels.keySet());
        String lost = names.get(0);
        int master = channels.get(lost);
        try (SseClient stream = a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(),
                                            names.toArray(String[]::new))) {
            stream.awaitCursor(WAIT);
            for (String channel : names) {
                a.publish(channel, "load", "\"n\":1");
                a.publish(channel, "load", "\"n\":2");
            }
            stream.awaitEvents("load", 2 * names.size(), WAIT);
            try (Jedis node = cluster.node(master)) {
                assertEquals("OK", node.flushAll());
            }
            for (String channel : names) {
                assertEquals(channel.equals(lost) ? 1 : 3, b.publish(channel, "load", "\"n\":3"),
                             "ids start over on the shard that lost its data only");
            }
            stream.awaitEvents("load", 3 * names.size(), WAIT);
            List<JsonNode> resyncs = stream.events("resync");
            assertEquals(1, resyncs.size(), "one resync: " + resyncs);
            assertEquals(lost, resyncs.get(0).get("channel").asText());
            assertEquals(0, resyncs.get(0).get("id").asLong());
            String cursor = stream.messages().get(stream.messages().size() - 1).lastEventId();
            for (String channel : names) {
                b.publish(channel, "load", "\"n\":4");
            }
            try (SseClient resumed = SseClient.open(b.client(HttpClient.Version.HTTP_1_1),
                                                    b.uri(TestPod.eventsPath(names.toArray(String[]::new))),
                                                    Map.of("Authorization", "Bearer " + b.serviceToken(),
                                                           "Last-Event-ID", cursor))) {
                List<JsonNode> missed = resumed.awaitEvents("load", names.size(), WAIT);
                assertTrue(missed.stream().allMatch(e -> e.get("n").asInt() == 4), "exactly the missed: " + missed);
                assertEquals(0, resumed.events("resync").size(), "the cursor carries the shard's new epoch");
            }
        }
    }

    /** Last: it kills a master. */
    @Test
    @Order(6)
    void aMasterKilled_publishesSucceedOnceItsReplicaIsPromoted_andStreamsContinueWithoutSilentGap()
            throws Exception {
        Map<String, Integer> channels = spread("failover", 1);
        List<String> names = new ArrayList<>(channels.keySet());
        String doomed = names.get(0);
        String other = names.get(1);
        List<SseClient> streams = List.of(a.subscribe(HttpClient.Version.HTTP_1_1, a.serviceToken(), doomed, other),
                                          b.subscribe(HttpClient.Version.HTTP_2, b.serviceToken(), doomed, other));
        try {
            for (SseClient stream : streams) {
                stream.awaitCursor(WAIT);
            }
            List<Long> accepted = new ArrayList<>();
            for (int n = 1; n <= 5; n++) {
                accepted.add(a.publish(doomed, "load", "\"n\":" + n));
            }
            for (SseClient stream : streams) {
                stream.awaitEvents("load", 5, WAIT);
            }
            cluster.kill(channels.get(doomed));
            int refused = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int n = 6; accepted.size() < 10; n++) {
                assertTrue(System.nanoTime() < deadline, "publishes to the failed shard succeed again in time");
                HttpResponse<String> res = a.post(HttpClient.Version.HTTP_1_1, "/api/publish", a.serviceToken(),
                                                  "{\"channel\":\"" + doomed + "\",\"type\":\"load\",\"n\":" + n
                                                  + "}");
                if (res.statusCode() == 202) {
                    accepted.add(TestPod.json(res.body()).get("id").asLong());
                } else {
                    assertEquals(503, res.statusCode(), res.body());
                    refused++;
                }
            }
            System.out.println("publishes refused while the replica took over: " + refused);
            cluster.awaitServed(WAIT);
            b.publish(other, "load", "\"n\":1");
            for (SseClient stream : streams) {
                stream.await("every event accepted after the failover", WAIT, s -> ids(s, doomed).containsAll(
                        accepted.subList(5, accepted.size())));
                assertNoSilentGap(stream, doomed, accepted);
                stream.await("the other shard's event", WAIT, s -> !ids(s, other).isEmpty());
            }
        } finally {
            streams.forEach(SseClient::close);
        }
    }

    /**
     * The channel's events in the stream: ids rising, each accepted id received unless a resync of the channel came
     * before it (the promoted replica may lack the last acknowledged writes; then the stream is told).
     */
    private static void assertNoSilentGap(SseClient stream, String channel, List<Long> accepted) {
        long position = 0;
        List<Long> received = new ArrayList<>();
        boolean resynced = false;
        for (SseClient.Message message : stream.messages()) {
            JsonNode json = message.json();
            if (!json.path("channel").asText().equals(channel)) {
                continue;
            }
            if (json.get("type").asText().equals("resync")) {
                resynced = true;
                position = json.get("id").asLong();
            } else if (json.get("type").asText().equals("load")) {
                long id = json.get("id").asLong();
                assertTrue(id > position, "ids rise: " + id + " after " + position);
                position = id;
                received.add(id);
            }
        }
        if (!resynced) {
            assertEquals(accepted, received, "every accepted event, once, in order");
        }
    }

    private static List<Long> ids(SseClient stream, String channel) {
        return stream.events("load").stream().filter(e -> e.get("channel").asText().equals(channel))
                .map(e -> e.get("id").asLong()).toList();
    }

    /** Channel names ({@code channel:<prefix>-<i>}), {@code perMaster} on each master, in master order. */
    private static Map<String, Integer> spread(String prefix, int perMaster) {
        Map<Integer, List<String>> byMaster = new LinkedHashMap<>();
        for (int master : cluster.masters()) {
            byMaster.put(master, new ArrayList<>());
        }
        for (int i = 0; byMaster.values().stream().anyMatch(list -> list.size() < perMaster); i++) {
            String channel = "channel:" + prefix + "-" + i;
            List<String> list = byMaster.get(cluster.masterOf(channel));
            if (list.size() < perMaster) {
                list.add(channel);
            }
        }
        Map<String, Integer> channels = new LinkedHashMap<>();
        for (int round = 0; round < perMaster; round++) {
            for (Map.Entry<Integer, List<String>> entry : byMaster.entrySet()) {
                channels.put(entry.getValue().get(round), entry.getKey());
            }
        }
        return channels;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    private static List<JsonNode> presence(SseClient client, String status) {
        return presence(client, "ada", status);
    }

    private static List<JsonNode> presence(SseClient client, String user, String status) {
        return client.events("presence").stream()
                .filter(e -> e.get("userId").asText().equals(user) && e.get("status").asText().equals(status))
                .toList();
    }
}
