package dev.herald.redis;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code redis-cluster://} names seed nodes; building the connection reads them without connecting. */
@Tag("unit")
class RedisClusterUrlTest {
    @Test
    void seedsAndCredentials_areRead_andTheKeysAreSharded() {
        RedisConnection redis = new RedisConnection("redis-cluster://app:s3cret@10.0.0.1:7000,10.0.0.2:7001",
                                                    "realtime", Duration.ofSeconds(2));
        assertTrue(redis.cluster());
        assertEquals(Set.of(new HostAndPort("10.0.0.1", 7000), new HostAndPort("10.0.0.2", 7001)), redis.seeds());
        assertEquals("app", redis.clientConfig().getUser());
        assertEquals("s3cret", redis.clientConfig().getPassword());
        assertTrue(redis.keys().sharded());
        assertFalse(new RedisConnection("redis://127.0.0.1:6379", "realtime", Duration.ofSeconds(2)).cluster());
    }

    @Test
    void aBadSeed_isRefused_withoutShowingThePassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RedisConnection(
                "redis-cluster://app:s3cret@10.0.0.1:7000,:x", "realtime", Duration.ofSeconds(2)));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
