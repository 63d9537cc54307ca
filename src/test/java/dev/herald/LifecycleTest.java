package dev.herald;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.herald.redis.RedisProcess;

import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build, then start, then stop: building wires objects only, a start that fails undoes what it started, a stop leaves
 * no thread and no meter behind. Threads are compared by name before and after (platform threads; the streams'
 * virtual threads end with their connections).
 */
class LifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void build_startsNoThread_bindsNoPort_registersNoMeter_thenStartAndStopLeaveNothingBehind() throws IOException {
        int port = HeraldProcess.freePort();
        Set<Thread> before = threads();
        long timersBefore = helidonTimers();
        Herald herald = Herald.build(HeraldConfig.withOverrides(config("lifecycle-embedded", port)));
        assertEquals(Set.of(), newThreads(before), "build started threads");
        assertEquals(timersBefore, helidonTimers(), "build built the web server (it starts a timer)");
        assertTrue(canBind(port), "build bound the port");
        assertEquals(List.of(), meters("lifecycle-embedded"), "build registered meters");

        herald.start();
        assertEquals(port, herald.port());
        assertTrue(newThreads(before).contains("herald-heartbeat"), newThreads(before).toString());
        assertNotEquals(List.of(), meters("lifecycle-embedded"));

        herald.stop();
        awaitNoNewThreads(before);
        assertEquals(List.of(), meters("lifecycle-embedded"), "stop removed the meters");
        Await.until("the port to be free", WAIT, () -> canBind(port));
    }

    @Test
    void clusteredBuild_opensNoConnectionToRedis_andStopClosesEveryOne() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = config("lifecycle-clustered", 0);
            config.put("herald.redis.url", redis.url());
            int clientsBefore = redis.clientCount();
            Set<Thread> before = threads();
            Herald herald = Herald.build(HeraldConfig.withOverrides(config));
            assertEquals(clientsBefore, redis.clientCount(), "build connected to Redis");
            assertEquals(Set.of(), newThreads(before));

            herald.start();
            assertTrue(newThreads(before).containsAll(Set.of("herald-redis-subscriber", "herald-redis-leases",
                                                             "herald-presence", "herald-leases")),
                       newThreads(before).toString());
            assertTrue(redis.clientCount() > clientsBefore);

            herald.stop();
            awaitNoNewThreads(before);
            Await.until("the pod's Redis connections to close", WAIT, () -> clients(redis) == clientsBefore);
            assertEquals(List.of(), meters("lifecycle-clustered"));
        }
    }

    @Test
    void portTaken_startFails_namingThePort_andLeavesNoThreadOrMeter() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Set<Thread> before = threads();
            Herald herald = Herald.build(HeraldConfig.withOverrides(config("lifecycle-port", taken.getLocalPort())));
            StartupException e = assertThrows(StartupException.class, herald::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertTrue(e.getMessage().contains("server.port"), e.getMessage());
            awaitNoNewThreads(before);
            assertEquals(List.of(), meters("lifecycle-port"));
            assertThrows(IllegalStateException.class, herald::start, "a pod starts once");
        }
    }

    @Test
    void redisRefusing_startFails_namingRedis_andLeavesNoThreadOrMeter() throws Exception {
        int closed = HeraldProcess.freePort();
        Map<String, String> config = config("lifecycle-redis", 0);
        config.put("herald.redis.url", "redis://127.0.0.1:" + closed);
        config.put("herald.redis.timeout", "PT0.5S");
        Set<Thread> before = threads();
        StartupException down = assertThrows(StartupException.class,
                                             () -> Herald.build(HeraldConfig.withOverrides(config)).start());
        assertTrue(down.getMessage().contains("127.0.0.1:" + closed) && down.getMessage().contains("herald.redis.url"),
                   down.getMessage());
        awaitNoNewThreads(before);
        assertEquals(List.of(), meters("lifecycle-redis"));

        try (RedisProcess redis = RedisProcess.start(false)) {
            redis.command("CONFIG", "SET", "requirepass", "s3cret-s3cret");
            config.put("herald.redis.url", redis.url());
            StartupException refused = assertThrows(StartupException.class,
                                                    () -> Herald.build(HeraldConfig.withOverrides(config)).start());
            assertTrue(refused.getMessage().contains("herald.redis.url"), refused.getMessage());
            awaitNoNewThreads(before);
            Await.until("the refused pod to close its connections", WAIT, () -> clients(redis) == 0);

            config.put("herald.redis.url", "redis://:wrong-password@127.0.0.1:" + redis.port());
            StartupException wrong = assertThrows(StartupException.class,
                                                  () -> Herald.build(HeraldConfig.withOverrides(config)).start());
            assertTrue(!wrong.getMessage().contains("wrong-password"), "never the password: " + wrong.getMessage());
        }
    }

    @Test
    void settingOutOfRange_buildFails_namingTheSetting() {
        Map<String, String> config = config("lifecycle-settings", 0);
        config.put("herald.sse.queue-capacity", "0");
        StartupException e = assertThrows(StartupException.class,
                                          () -> Herald.build(HeraldConfig.withOverrides(config)));
        assertEquals("herald.sse.queue-capacity must be between 1 and 1000000 (is 0)", e.getMessage());
        config.put("herald.sse.queue-capacity", "64");
        config.put("server.port", "70000");
        StartupException port = assertThrows(StartupException.class,
                                             () -> Herald.build(HeraldConfig.withOverrides(config)));
        assertEquals("server.port must be between 0 and 65535 (is 70000)", port.getMessage());
        config.put("server.port", "0");
        config.put("herald.redis.url", "http://example.com");
        StartupException url = assertThrows(StartupException.class,
                                            () -> Herald.build(HeraldConfig.withOverrides(config)));
        assertTrue(url.getMessage().startsWith("herald.redis.url"), url.getMessage());
    }

    private static Map<String, String> config(String podId, int port) {
        Map<String, String> config = new HashMap<>();
        config.put("server.port", Integer.toString(port));
        config.put("server.host", "127.0.0.1");
        config.put("herald.auth.jwt.secret", TestPod.SECRET);
        config.put("herald.pod-id", podId);
        config.put("herald.presence.ttl", "PT3S");
        return config;
    }

    /**
     * The live platform threads. Compared by identity, not name: a thread of the same name that an earlier test class
     * left alive must neither hide this pod's nor count as it.
     */
    private static Set<Thread> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    private static long helidonTimers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("helidon-idle-connection-timer")).count();
    }

    private static void awaitNoNewThreads(Set<Thread> before) {
        try {
            Await.until("the pod's threads to end", WAIT, () -> newThreads(before).isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError("threads left behind: " + newThreads(before), e);
        }
    }

    /** The names of the threads started since {@code before}. */
    private static Set<String> newThreads(Set<Thread> before) {
        Set<Thread> started = threads();
        started.removeAll(before);
        Set<String> now = started.stream().map(Thread::getName).collect(Collectors.toSet());
        // the JDK's own helpers, started on first use by whoever runs first (HTTP client, common pool, processes, the
        // virtual threads' I/O pollers: MasterPoller, Read-Poller, Write-Poller);
        // and Helidon 4.5's per-server idle timer, a daemon its stop() never cancels (it ends once the server is
        // garbage): Herald builds the server only in start(), so a pod that fails earlier has none
        now.removeIf(name -> name.startsWith("HttpClient-") || name.startsWith("ForkJoinPool")
                             || name.startsWith("process reaper") || name.startsWith("InnocuousThread")
                             || name.equals("VirtualThread-unblocker") || name.endsWith("Poller")
                             || name.equals("helidon-idle-connection-timer"));
        return now;
    }

    private static List<Meter> meters(String podId) {
        return globalRegistry().meters().stream()
                .filter(m -> java.util.stream.StreamSupport.stream(m.id().tags().spliterator(), false)
                        .anyMatch(t -> t.key().equals("pod") && t.value().equals(podId)))
                .toList();
    }

    /**
     * The JVM's one registry, which the pod registers its meters into (see {@code Herald.globalRegistry()}).
     * Deprecated for removal in Helidon 4.5, which has no other way to reach it yet; this stays until Helidon
     * removes it.
     */
    @SuppressWarnings("removal")
    private static MeterRegistry globalRegistry() {
        return Metrics.globalRegistry();
    }

    private static int clients(RedisProcess redis) {
        try {
            return redis.clientCount();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
