package dev.herald.redis;

import java.util.List;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.RateLimiter;

import redis.clients.jedis.exceptions.JedisException;

/** Token buckets in Redis, so that a budget holds across pods. Thread-safe: each call is one atomic script. */
final class RedisRateLimiter implements RateLimiter {
    private final RedisConnection redis;
    private final RedisKeys keys;

    RedisRateLimiter(RedisConnection redis) {
        this.redis = redis;
        this.keys = redis.keys();
    }

    /** {@code key} is "limit|subject", e.g. "chat|user:alice". */
    @Override
    public long acquire(String key, double perSecond, int burst) {
        int cut = key.indexOf('|');
        String redisKey = keys.rate(key.substring(0, cut), key.substring(cut + 1));
        try {
            Object wait = RedisScript.RATE.eval(redis.client(), List.of(redisKey),
                                                List.of(Double.toString(perSecond), Integer.toString(burst)));
            return (Long) wait;
        } catch (JedisException | ClassCastException e) {
            throw new BrokerUnavailableException("Redis rate limits are unreachable: " + e.getMessage(), e);
        }
    }
}
