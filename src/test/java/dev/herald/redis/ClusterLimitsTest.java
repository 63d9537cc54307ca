package dev.herald.redis;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.Await;
import dev.herald.HeraldProcess;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Budgets and caps hold across pods, kept in Redis; a crashed pod does not lock its users out. */
class ClusterLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void chatBudget_isSharedByThreePods() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.rate.chat.per-second", "1", "herald.rate.chat.burst", "20");
            List<TestPod> pods = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    pods.add(TestPod.start(config));
                }
                String token = pods.get(0).token("spray");
                for (int i = 0; i < 20; i++) {
                    assertEquals(204, chat(pods.get(i % 3), token).statusCode(), "message " + i);
                }
                for (TestPod pod : pods) {
                    HttpResponse<String> limited = chat(pod, token);
                    assertEquals(429, limited.statusCode(), "one budget for all pods");
                    assertEquals("rate_limited", TestPod.json(limited.body()).get("error").asText());
                    assertEquals("1", limited.headers().firstValue("retry-after").orElseThrow());
                }
            } finally {
                pods.forEach(TestPod::close);
            }
        }
    }

    /**
     * The channel budget is checked in the publish script itself: one budget for every pod, and a refused publish
     * stores nothing and takes no id.
     */
    @Test
    void channelBudget_isSharedByPods_andARefusedPublishStoresNothing() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.rate.channel.per-second", "0.1", "herald.rate.channel.burst", "10");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                for (int i = 1; i <= 10; i++) {
                    assertEquals(i, (i % 2 == 0 ? a : b).publish("channel:budget", "tick", "\"n\":" + i));
                }
                for (TestPod pod : List.of(a, b)) {
                    HttpResponse<String> limited = pod.post(HttpClient.Version.HTTP_1_1, "/api/publish",
                            pod.serviceToken(), "{\"channel\":\"channel:budget\",\"type\":\"tick\"}");
                    assertEquals(429, limited.statusCode(), limited.body());
                    assertEquals("rate_limited", TestPod.json(limited.body()).get("error").asText());
                    long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
                    assertTrue(retryAfter >= 1 && retryAfter <= 10, "a token every 10 s: " + retryAfter);
                    assertEquals(1, pod.metric("herald_rate_limited_total", "channel"), 0.0);
                }
                try (SseClient all = SseClient.open(a.client(HttpClient.Version.HTTP_1_1),
                        a.uri(TestPod.eventsPath("channel:budget") + "&lastEventId=earliest&ready"),
                        Map.of("Authorization", "Bearer " + a.serviceToken()))) {
                    all.awaitEvents("ready", 1, WAIT);
                    List<Long> ids = all.events("tick").stream().map(e -> e.get("id").asLong()).toList();
                    assertEquals(java.util.stream.LongStream.rangeClosed(1, 10).boxed().toList(), ids,
                                 "the refused publishes stored nothing and took no id");
                }
            }
        }
    }

    @Test
    void perUserConnectionCap_holdsAcrossPods_andACrashedPodsLeasesExpire() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.sse.max-connections-per-user", "2",
                                                "herald.sse.heartbeat", "PT0.2S", "herald.presence.ttl", "PT3S");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                String token = a.token("capped");
                SseClient one = a.subscribe(HttpClient.Version.HTTP_1_1, token, "channel:cap");
                SseClient two = b.subscribe(HttpClient.Version.HTTP_2, token, "channel:cap");
                HttpResponse<String> third = a.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:cap"), token);
                assertEquals(429, third.statusCode(), "two streams on two pods fill the cap");
                assertEquals("too_many_connections", TestPod.json(third.body()).get("error").asText());
                assertEquals(1, a.metric("sse_connections_rejected_total", "reason=\"user_full\""), 0.0,
                             "counted by the pod that refused the stream");
                assertEquals(0, b.metric("sse_connections_rejected_total", "reason=\"user_full\""), 0.0);
                one.close();
                // the slot is freed before the lease writer has sent the release: wait for Redis itself
                Await.until("the closed stream's lease to be released", WAIT,
                            () -> a.metric("sse_connections_total", null) == 0
                                  && "1".equals(zcard(redis, "realtime:conn:{user:capped}")));
                try (SseClient again = b.subscribe(HttpClient.Version.HTTP_1_1, token, "channel:cap")) {
                    again.awaitCursor(WAIT);
                }
                two.close();

                // a pod that dies holding a lease: the user is locked out only until the lease expires
                Map<String, String> env = new HashMap<>(Map.of("HERALD_REDIS_URL", redis.url(),
                                                               "HERALD_JWT_SECRET", TestPod.SECRET,
                                                               "HERALD_DEV_MODE", "false"));
                int port = HeraldProcess.freePort();
                env.put("SERVER_PORT", String.valueOf(port));
                HeraldProcess doomed = HeraldProcess.start(env, List.of("-Dherald.presence.ttl=PT3S",
                                                                         "-Dherald.sse.max-connections-per-user=1"));
                String solo = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8))
                        .issue("solo", "Solo", List.of(), Duration.ofMinutes(5));
                SseClient held = SseClient.open(HttpClient.newHttpClient(),
                                                URI.create("http://127.0.0.1:" + port + TestPod.eventsPath("channel:cap")),
                                                Map.of("Authorization", "Bearer " + solo));
                held.awaitCursor(WAIT);
                try (TestPod strict = TestPod.start(Map.of("herald.redis.url", redis.url(),
                                                           "herald.sse.max-connections-per-user", "1",
                                                           "herald.presence.ttl", "PT3S"))) {
                    assertEquals(429, strict.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:cap"), solo)
                            .statusCode(), "the live pod's lease counts");
                    long killedAt = System.nanoTime();
                    doomed.process().destroyForcibly();
                    assertTrue(doomed.process().waitFor(10, TimeUnit.SECONDS));
                    held.close();
                    Await.until("the dead pod's lease to expire", WAIT, () -> strict.get(HttpClient.Version.HTTP_1_1,
                            "/api/channels/channel:cap/presence", solo).statusCode() == 200
                            && opens(strict, solo));
                    Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
                    assertTrue(took.compareTo(Duration.ofSeconds(4)) <= 0, "locked out for " + took);
                }
            }
        }
    }

    /**
     * Redis comes back empty while a user holds the cap in open streams: their pod recreates the leases at its
     * next refresh (a third of {@code herald.presence.ttl}), so the cap counts them again on every pod; a stream
     * closed afterwards gives its lease back and the refresh does not revive it.
     *
     * @param restart true: Redis is killed and started again empty; false: {@code FLUSHALL}
     */
    @ParameterizedTest(name = "restarted empty: {0}")
    @ValueSource(booleans = {true, false})
    void redisLosesItsData_leasesOfOpenStreamsAreRecreated_andTheCapHoldsAgain(boolean restart) throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.sse.max-connections-per-user", "2",
                                                "herald.sse.heartbeat", "PT0.2S", "herald.presence.ttl", "PT3S");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                String token = a.token("kept");
                String leases = "realtime:conn:{user:kept}";
                try (SseClient one = a.subscribe(HttpClient.Version.HTTP_1_1, token, "channel:kept");
                     SseClient two = a.subscribe(HttpClient.Version.HTTP_2, token, "channel:kept")) {
                    one.awaitCursor(WAIT);
                    two.awaitCursor(WAIT);
                    assertEquals(429, b.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:kept"), token)
                            .statusCode(), "two streams on pod A fill the cap");

                    if (restart) {
                        redis.kill();
                        redis.restart();
                    } else {
                        assertEquals("OK", redis.command("FLUSHALL"));
                    }
                    long lostAt = System.nanoTime();
                    // the refresh runs every second (PT3S / 3); after a restart, a stale pooled connection can
                    // cost one; within the TTL, the leases are back before they would have expired had Redis kept them
                    Await.until("pod A to recreate the leases of its two open streams", Duration.ofSeconds(3),
                                () -> "2".equals(zcard(redis, leases)));
                    Duration took = Duration.ofNanos(System.nanoTime() - lostAt);
                    HttpResponse<String> third = b.get(HttpClient.Version.HTTP_1_1,
                                                       TestPod.eventsPath("channel:kept"), token);
                    assertEquals(429, third.statusCode(), "the cap counts the streams that stayed open (after "
                                                          + took + ")");
                    assertEquals("too_many_connections", TestPod.json(third.body()).get("error").asText());

                    one.close();
                    Await.until("the closed stream's lease to be released", WAIT, () -> "1".equals(zcard(redis, leases)));
                    String expiry = redis.command("ZRANGE", leases, "0", "-1", "WITHSCORES").split("\n")[1];
                    Await.until("pod A to refresh its remaining lease", WAIT, () -> !expiry.equals(
                            command(redis, "ZRANGE", leases, "0", "-1", "WITHSCORES").split("\n")[1]));
                    assertEquals("1", redis.command("ZCARD", leases), "a released lease is not recreated");
                }
            }
        }
    }

    private static String zcard(RedisProcess redis, String key) {
        return command(redis, "ZCARD", key);
    }

    private static String command(RedisProcess redis, String... args) {
        try {
            return redis.command(args);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A reconnect storm: 320 streams of one user open at once against a cap of 300. Leases are batched into
     * pipelines; the cap must still be exact, nobody may be refused for anything but the cap, and closed streams
     * must give their leases back.
     */
    @Test
    void connectStorm_admitsExactlyTheCap() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(),
                                                "herald.sse.max-connections-per-user", "300",
                                                "herald.sse.heartbeat", "PT0.2S"))) {
            String token = pod.token("stormy");
            for (int round = 0; round < 2; round++) {
                List<java.net.Socket> sockets = new ArrayList<>();
                Map<Integer, Integer> statuses = storm(pod, token, 320, sockets);
                try {
                    assertEquals(Map.of(200, 300, 429, 20), statuses, "round " + round);
                    assertEquals(300, pod.metric("sse_connections_total", null), 0.0);
                } finally {
                    for (java.net.Socket socket : sockets) {
                        socket.close();
                    }
                }
                Await.until("every lease released", WAIT, () -> pod.metric("sse_connections_total", null) == 0
                        && redisLeases(redis) == 0);
            }
        }
    }

    private static long redisLeases(RedisProcess redis) {
        try {
            return countLeases(redis);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long countLeases(RedisProcess redis) throws Exception {
        Process cli = new ProcessBuilder("redis-cli", "-p", String.valueOf(redis.port()), "--scan", "--pattern", "*:conn:*")
                .redirectErrorStream(true).start();
        String keys = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        cli.waitFor(10, TimeUnit.SECONDS);
        long total = 0;
        for (String key : keys.isEmpty() ? new String[0] : keys.split("\n")) {
            Process card = new ProcessBuilder("redis-cli", "-p", String.valueOf(redis.port()), "ZCARD", key)
                    .redirectErrorStream(true).start();
            total += Long.parseLong(new String(card.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            card.waitFor(10, TimeUnit.SECONDS);
        }
        return total;
    }

    /** Opens {@code n} streams at once on raw sockets (kept open in {@code sockets}); status code → count. */
    private static Map<Integer, Integer> storm(TestPod pod, String token, int n, List<java.net.Socket> sockets)
            throws Exception {
        Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        byte[] request = ("GET " + TestPod.eventsPath("channel:storm") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<?>> opening = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", pod.port());
                socket.setSoTimeout((int) WAIT.toMillis());
                sockets.add(socket);
                opening.add(threads.submit(() -> {
                    go.await();
                    socket.getOutputStream().write(request);
                    byte[] line = new byte[12];
                    int read = 0;
                    while (read < 12) {
                        int r = socket.getInputStream().read(line, read, 12 - read);
                        if (r < 0) {
                            throw new java.io.EOFException("closed before the status line");
                        }
                        read += r;
                    }
                    int status = Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
                    statuses.merge(status, 1, Integer::sum);
                    return null;
                }));
            }
            go.countDown();
        }
        for (java.util.concurrent.Future<?> f : opening) {
            f.get(); // done once the executor has closed; rethrows what a stream's thread threw
        }
        return statuses;
    }

    private static boolean opens(TestPod pod, String token) {
        HttpResponse<java.io.InputStream> res = SseClient.openRaw(pod.client(HttpClient.Version.HTTP_1_1),
                pod.uri(TestPod.eventsPath("channel:cap")), Map.of("Authorization", "Bearer " + token));
        try (java.io.InputStream ignored = res.body()) {
            return res.statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static HttpResponse<String> chat(TestPod pod, String token) {
        return pod.post(HttpClient.Version.HTTP_1_1, "/api/chat/messages", token,
                        "{\"channel\":\"channel:spray\",\"content\":\"hi\"}");
    }
}
