package dev.herald.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.UserLeases;

import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ZAddParams;

/**
 * The per-user connection cap across pods: each open stream holds a lease in Redis that its pod refreshes; the
 * leases of a pod that dies expire, so a crash never locks its users out. Thread-safe: a concurrent map of this
 * pod's leases; every acquisition is one atomic script.
 */
public final class RedisUserLeases implements UserLeases {
    private final RedisClient redis;
    private final RedisKeys keys;
    private final long ttlMillis;
    /** Lease id → user id, for the leases this pod holds. */
    private final Map<String, String> mine = new ConcurrentHashMap<>();

    public RedisUserLeases(RedisBroker broker, Duration ttl) {
        this.redis = broker.client();
        this.keys = new RedisKeys(broker.prefix());
        this.ttlMillis = ttl.toMillis();
    }

    @Override
    public boolean acquire(String userId, String leaseId, int max) {
        long now = System.currentTimeMillis();
        try {
            Object granted = redis.eval(RedisScripts.LEASE, List.of(keys.leases(userId)),
                                        List.of(leaseId, Long.toString(now + ttlMillis), Long.toString(now),
                                                Integer.toString(max)));
            if (Long.valueOf(1).equals(granted)) {
                mine.put(leaseId, userId);
                return true;
            }
            return false;
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis connection leases are unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public void release(String userId, String leaseId) {
        mine.remove(leaseId);
        try {
            redis.zrem(keys.leases(userId), leaseId);
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis connection leases are unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Duration maintenancePeriod() {
        return Duration.ofMillis(Math.max(100, ttlMillis / 3));
    }

    @Override
    public void maintain() {
        if (mine.isEmpty()) {
            return;
        }
        long expiry = System.currentTimeMillis() + ttlMillis;
        try (Pipeline pipeline = redis.pipelined()) {
            mine.forEach((leaseId, userId) -> {
                pipeline.zadd(keys.leases(userId), expiry, leaseId, ZAddParams.zAddParams().xx());
                pipeline.pexpire(keys.leases(userId), ttlMillis);
            });
            pipeline.sync();
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis connection leases are unreachable: " + e.getMessage(), e);
        }
    }
}
