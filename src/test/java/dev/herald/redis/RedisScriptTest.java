package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.herald.hub.Ignoring;
import dev.herald.hub.RateLimiter;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every script runs by its SHA and is loaded again when Redis forgot it (a restart, SCRIPT FLUSH): publishes, rate
 * limits, connection leases (in a pipeline) and presence all keep working after the cache is emptied.
 */
class RedisScriptTest {
    @Test
    void aCounterBehindHistory_publishSkipsPastTheNewestEvent_insteadOfWedgingTheChannel() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            RedisBackend backend = started(redis, "wedge");
            try {
                for (int i = 1; i <= 5; i++) {
                    backend.broker().publish("channel:w", BODY);
                }
                // a restore brought back an older counter beside newer history: id 3 is already in the stream
                assertEquals("OK", redis.command("SET", "wedge:seq:{channel:w}", "2"));
                assertEquals(6, backend.broker().publish("channel:w", BODY).id(), "past the newest event held");
                assertEquals(7, backend.broker().publish("channel:w", BODY).id());
                assertEquals("7", redis.command("GET", "wedge:seq:{channel:w}"));
            } finally {
                backend.stop();
            }
        }
    }

    /** A backend on this Redis under its own key prefix, started with nobody listening. */
    private static RedisBackend started(RedisProcess redis, String prefix) {
        RedisBackend backend = new RedisBackend(new RedisConnection(redis.url(), prefix, Duration.ofSeconds(2)),
                                                "pod-" + prefix, 100, Duration.ofHours(1), Duration.ofSeconds(30),
                                                () -> { });
        backend.start(Ignoring.LISTENER);
        return backend;
    }

    private static void flush(RedisProcess redis) throws Exception {
        assertEquals("OK", redis.command("SCRIPT", "FLUSH"));
    }

    /** Redis holds the script under the SHA Herald computed from its text. */
    private static void assertLoaded(RedisProcess redis, RedisScript script) throws Exception {
        assertEquals("1", redis.command("SCRIPT", "EXISTS", script.sha()), script.toString());
    }

    private static final byte[] BODY = "{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void afterScriptFlush_everyScriptIsLoadedAgain_andTheLocalShaIsRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            RedisBackend backend = started(redis, "scripts");
            try {
                long id = 0;
                for (int round = 1; round <= 2; round++) {
                    flush(redis);
                    assertEquals(++id, backend.broker().publish("channel:s", BODY).id());
                    assertLoaded(redis, RedisScript.PUBLISH);
                    flush(redis);
                    assertEquals(++id,
                                 backend.broker().publish("channel:s", BODY, backend.rateLimiter(),
                                                          new RateLimiter.Budget("channel", "channel:s", 100, 100),
                                                          null).id());
                    flush(redis);
                    assertEquals(0, backend.rateLimiter().acquire("chat|user:s", 100, 100));
                    assertLoaded(redis, RedisScript.RATE);
                    flush(redis);
                    assertTrue(backend.leases().acquire("s", "lease-" + round, 10), "the lease script in a pipeline");
                    assertLoaded(redis, RedisScript.LEASE);
                    flush(redis);
                    assertTrue(backend.presence().join("channel:s", "u" + round, "U"));
                    assertLoaded(redis, RedisScript.PRESENCE_JOIN);
                    flush(redis);
                    assertTrue(backend.presence().leave("channel:s", "u" + round));
                    assertLoaded(redis, RedisScript.PRESENCE_LEAVE);
                    // an entry of a pod that stopped refreshing: the sweep script runs for it
                    assertEquals("1", redis.command("ZADD", "scripts:presence:all", "1", "channel:s\nghost\npod-x"));
                    flush(redis);
                    backend.presence().maintain();
                    assertLoaded(redis, RedisScript.PRESENCE_SWEEP);
                }
            } finally {
                backend.stop();
            }
        }
    }
}
