package dev.herald;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings are read once, with the documented defaults, and a wrong value stops the pod naming its key. */
@Tag("unit")
class SettingsTest {

    @Test
    void defaults_areTheDocumentedOnes() {
        Settings settings = read(Map.of("herald.pod-id", "p1"));
        assertEquals("p1", settings.podId());
        assertEquals(Duration.ofSeconds(15), settings.sse().heartbeat());
        assertEquals(1024, settings.sse().queueCapacity());
        assertEquals(10_000, settings.sse().maxConnections());
        assertEquals(20, settings.sse().maxConnectionsPerUser());
        assertEquals(16, settings.sse().maxChannels());
        assertEquals(1000, settings.history().size());
        assertEquals(16 * 1024, settings.events().maxBytes());
        assertEquals(5.0, settings.rate().chatPerSecond());
        assertEquals(200, settings.rate().channelBurst());
        assertEquals(Duration.ofSeconds(30), settings.presence().ttl());
        assertEquals("realtime", settings.redis().prefix());
        assertTrue(settings.redis().url().isEmpty(), "embedded unless a URL is set");
        assertTrue(settings.accessLog());
        assertEquals(Duration.ofSeconds(30), settings.auth().clockSkew());
    }

    @Test
    void everyBound_isInclusive_andOneStepPastItIsRefused_namingTheKey() {
        Map<String, List<String>> cases = Map.of(
                "herald.sse.queue-capacity", List.of("1", "1000000", "0", "1000001"),
                "herald.sse.max-channels", List.of("1", "1000", "0", "1001"),
                "herald.sse.max-connections-per-user", List.of("1", "1000000", "0", "-1"),
                "herald.history.size", List.of("0", "10000000", "-1", "10000001"),
                "herald.events.max-bytes", List.of("256", "16777216", "255", "16777217"),
                "herald.sse.heartbeat", List.of("PT0.05S", "PT1H", "PT0.049S", "PT1H0.001S"),
                "herald.presence.ttl", List.of("PT0.3S", "P1D", "PT0.299S", "P2D"),
                "herald.redis.timeout", List.of("PT0.01S", "PT1M", "PT0S", "PT61S"),
                "herald.publish.idempotency-ttl", List.of("PT1S", "P7D", "PT0.999S", "P8D"),
                "herald.auth.jwt.clock-skew", List.of("PT0S", "PT60S", "-PT0.001S", "PT60.001S"));
        cases.forEach((key, values) -> {
            read(Map.of(key, values.get(0)));
            read(Map.of(key, values.get(1)));
            for (String refused : values.subList(2, 4)) {
                StartupException e = assertThrows(StartupException.class, () -> read(Map.of(key, refused)),
                                                  key + "=" + refused);
                assertTrue(e.getMessage().startsWith(key + " must be between "), e.getMessage());
            }
        });
    }

    @Test
    void wrongTypes_areRefused_sayingWhatWasExpected() {
        assertEquals("herald.sse.queue-capacity must be a whole number (is 'many')",
                     message(Map.of("herald.sse.queue-capacity", "many")));
        assertEquals("herald.sse.heartbeat must be an ISO-8601 duration such as PT15S (is '15s')",
                     message(Map.of("herald.sse.heartbeat", "15s")));
        assertEquals("herald.rate.chat.per-second must be a number (is 'fast')",
                     message(Map.of("herald.rate.chat.per-second", "fast")));
        assertEquals("herald.access-log must be true or false (is 'yes')",
                     message(Map.of("herald.access-log", "yes")));
    }

    @Test
    void rates_mustBePositive() {
        assertEquals("herald.rate.channel.per-second must be above 0 and at most 1e9 (is 0.0)",
                     message(Map.of("herald.rate.channel.per-second", "0")));
        assertTrue(message(Map.of("herald.rate.chat.per-second", "NaN")).startsWith("herald.rate.chat.per-second"));
        assertEquals(0.1, read(Map.of("herald.rate.channel.per-second", "0.1")).rate().channelPerSecond());
        assertTrue(message(Map.of("herald.rate.chat.burst", "0")).startsWith("herald.rate.chat.burst must be"));
    }

    @Test
    void cursorTtl_defaultsToADayOrTheHistoryTtl_andIsNeverShorterThanIt() {
        assertEquals(Duration.ofDays(1), read(Map.of()).history().cursorTtl());
        assertEquals(Duration.ofDays(3), read(Map.of("herald.history.ttl", "P3D")).history().cursorTtl());
        assertEquals(Duration.ofSeconds(2), read(Map.of("herald.history.ttl", "PT1S",
                                                        "herald.history.cursor-ttl", "PT2S")).history().cursorTtl());
        assertEquals("herald.history.cursor-ttl must be at least herald.history.ttl (PT30M < PT1H)",
                     message(Map.of("herald.history.cursor-ttl", "PT30M")));
        assertEquals(4 * 1024 * 1024, read(Map.of()).sse().maxReplayBytes());
        assertTrue(message(Map.of("herald.sse.max-replay-bytes", "1023"))
                           .startsWith("herald.sse.max-replay-bytes must be between 1024"));
    }

    @Test
    void streamPathsAndBroadcast_haveTheirDefaults_andRanges() {
        Settings defaults = read(Map.of());
        assertTrue(defaults.sse().directHttp1());
        assertTrue(defaults.sse().warmUp());
        assertEquals(1000, defaults.publish().maxBroadcast());
        assertEquals(5, read(Map.of("herald.publish.max-broadcast", "5")).publish().maxBroadcast());
        assertTrue(message(Map.of("herald.publish.max-broadcast", "0"))
                           .startsWith("herald.publish.max-broadcast must be between 1"));
        assertTrue(message(Map.of("herald.sse.direct-http1", "maybe")).startsWith("herald.sse.direct-http1"));
    }

    @Test
    void podId_isOneTokenSafeInRedisNames() {
        assertEquals("web-7f9c.default:1", read(Map.of("herald.pod-id", "web-7f9c.default:1")).podId());
        for (String bad : List.of("two words", "new\nline", "x".repeat(129), "brace{")) {
            assertTrue(message(Map.of("herald.pod-id", bad)).startsWith("herald.pod-id must be"), bad);
        }
    }

    @Test
    void booleans_acceptTrueAndFalseInAnyCase() {
        assertTrue(read(Map.of("herald.auth.dev-mode", "TRUE")).auth().devMode());
        assertFalse(read(Map.of("herald.access-log", "False")).accessLog());
    }

    @Test
    void aKeystoreThatCannotBeRead_isRefused_atRead() {
        assertEquals("herald.tls.keystore: no readable keystore at /nonexistent/keystore.p12",
                     message(Map.of("herald.tls.keystore", "/nonexistent/keystore.p12")));
    }

    @Test
    void minReplicasAck_isOffByDefault_andItsWaitStaysWithinHalfTheRedisTimeout() {
        Settings.Redis redis = read(Map.of()).redis();
        assertEquals(0, redis.minReplicasAck());
        assertEquals(Duration.ofMillis(100), redis.minReplicasTimeout());
        assertTrue(redis.tls().trustStore().isEmpty());
        assertEquals(Duration.ofMillis(50), read(Map.of("herald.redis.timeout", "PT0.1S")).redis().minReplicasTimeout());
        assertEquals("herald.redis.min-replicas-timeout must be between PT0.001S and PT1S (is PT1.5S)",
                     message(Map.of("herald.redis.min-replicas-timeout", "PT1.5S")));
        assertEquals("herald.redis.tls.trust-store: no readable store at /nonexistent/trust.p12",
                     message(Map.of("herald.redis.tls.trust-store", "/nonexistent/trust.p12")));
    }

    @Test
    void blankValues_meanUnset() {
        Settings settings = read(Map.of("herald.redis.url", "  ", "herald.auth.jwt.secret", ""));
        assertTrue(settings.redis().url().isEmpty());
        assertTrue(settings.auth().secret().isEmpty());
    }

    @Test
    void managementPort_isUnsetByDefault_andAPortWhenSet() {
        assertTrue(read(Map.of()).management().port().isEmpty());
        assertEquals(9090, read(Map.of("herald.management.port", "9090")).management().port().getAsInt());
        assertEquals("herald.management.port must be between 1 and 65535 (is 0)",
                     message(Map.of("herald.management.port", "0")));
        assertEquals("herald.management.port must be between 1 and 65535 (is 65536)",
                     message(Map.of("herald.management.port", "65536")));
    }

    @Test
    void jobs_defaultTo10ExportsAMinuteAnd256MiBOfResultsInTheTempDirectory_withinBounds() {
        Settings.Jobs jobs = read(Map.of()).jobs();
        assertEquals(10, jobs.exportsPerMinute());
        assertEquals(256L << 20, jobs.maxResultBytes());
        assertEquals(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), jobs.resultDir());
        assertEquals(1L << 40, read(Map.of("herald.jobs.max-result-bytes", "1099511627776")).jobs().maxResultBytes());
        assertTrue(message(Map.of("herald.jobs.max-result-bytes", "1023"))
                           .startsWith("herald.jobs.max-result-bytes must be between 1024 and "));
        assertTrue(message(Map.of("herald.jobs.exports-per-minute", "0"))
                           .startsWith("herald.jobs.exports-per-minute must be between 1 and "));
        assertTrue(message(Map.of("herald.jobs.max-result-bytes", "lots")).contains("a whole number of bytes"));
    }

    private static Settings read(Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>(overrides);
        config.putIfAbsent("herald.pod-id", "test");
        return Settings.from(HeraldConfig.withOverrides(config).get("herald"));
    }

    private static String message(Map<String, String> overrides) {
        return assertThrows(StartupException.class, () -> read(overrides)).getMessage();
    }

    @Test
    void httpLimits_haveTheDocumentedDefaults_andBounds() {
        Settings.Http http = read(Map.of()).http();
        assertEquals(Duration.ofSeconds(10), http.headTimeout());
        assertEquals(1024, http.bodyMinRate());
        assertEquals(0, http.maxConnections(), "derived from the open-files budget at start");
        assertEquals("herald.http.head-timeout must be between PT0.1S and PT10M (is PT0.099S)",
                     message(Map.of("herald.http.head-timeout", "PT0.099S")));
        assertEquals("herald.http.body-min-rate must be between 1 and 1000000000 (is 0)",
                     message(Map.of("herald.http.body-min-rate", "0")));
        assertEquals("herald.http.max-connections must be between 0 and 10000000 (is -1)",
                     message(Map.of("herald.http.max-connections", "-1")));
    }
}
