package dev.herald.redis;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.HeraldProcess;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pod killed without cleanup: its users go offline within the presence TTL, announced once by a survivor. */
class PresenceTtlTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofSeconds(3);

    @Test
    void killedPod_usersGoOfflineWithinTtl_announcedOnce() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(), "herald.presence.ttl", "PT3S");
            try (TestPod survivor1 = TestPod.start(config); TestPod survivor2 = TestPod.start(config)) {
                int port = HeraldProcess.freePort();
                HeraldProcess doomed = HeraldProcess.start(
                        Map.of("SERVER_PORT", String.valueOf(port), "HERALD_REDIS_URL", redis.url(),
                               "HERALD_JWT_SECRET", TestPod.SECRET, "HERALD_DEV_MODE", "false"),
                        List.of("-Dherald.presence.ttl=PT3S", "-Dherald.pod-id=doomed"));
                String room = "channel:ttl";
                try (SseClient observer = survivor1.subscribe(HttpClient.Version.HTTP_1_1,
                                                              survivor1.token("watcher"), room)) {
                    observer.awaitCursor(WAIT);
                    String zed = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8))
                            .issue("zed", "Zed", List.of(), Duration.ofMinutes(5));
                    SseClient onDoomed = SseClient.open(HttpClient.newHttpClient(),
                                                        URI.create("http://127.0.0.1:" + port + TestPod.eventsPath(room)),
                                                        Map.of("Authorization", "Bearer " + zed));
                    try {
                        observer.await("zed online", WAIT, c -> !zed(c, "online").isEmpty());
                    } catch (AssertionError e) {
                        String state;
                        try (RedisClient client = RedisClient.create(
                                java.net.URI.create(redis.url()))) {
                            state = "history: " + client.xrange("realtime:history:{" + room + "}", "-", "+")
                                    + "\nusers: " + client.hgetAll("realtime:presence:{" + room + "}:users")
                                    + "\nzed: " + client.zrangeWithScores("realtime:presence:{" + room + "}:u:zed", 0, -1)
                                    + "\nall: " + client.zrangeWithScores("realtime:presence:all", 0, -1)
                                    + "\nnow: " + System.currentTimeMillis()
                                    + "\nnumsub: " + redis.command("PUBSUB", "NUMSUB", "realtime:" + room);
                        }
                        throw new AssertionError(e.getMessage() + "\n" + state + "\nopen on doomed: "
                                                 + onDoomed.lastEventId() + " " + onDoomed.messages()
                                                 + "\nthe doomed pod's log:\n" + doomed.output(), e);
                    }
                    long killedAt = System.nanoTime();
                    doomed.process().destroyForcibly();
                    assertTrue(doomed.process().waitFor(10, TimeUnit.SECONDS));
                    observer.await("zed offline", WAIT, c -> !zed(c, "offline").isEmpty());
                    Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
                    onDoomed.close();
                    assertTrue(took.compareTo(TTL.plusMillis(500)) <= 0, "offline after " + took + ", TTL " + TTL);
                    // later sweeps announce nothing more
                    survivor2.publish(room, "marker", "\"n\":1");
                    observer.awaitEvents("marker", 1, WAIT);
                    assertEquals(1, zed(observer, "offline").size(), "announced once");
                    JsonNode users = TestPod.json(survivor2.get(HttpClient.Version.HTTP_1_1,
                            "/api/channels/" + room + "/presence", survivor2.token("watcher")).body()).get("users");
                    assertTrue(!users.toString().contains("\"zed\""), "zed is no longer listed: " + users);
                }
            }
        }
    }

    private static List<JsonNode> zed(SseClient client, String status) {
        return client.events("presence").stream()
                .filter(e -> e.get("userId").asText().equals("zed") && e.get("status").asText().equals(status))
                .toList();
    }
}
