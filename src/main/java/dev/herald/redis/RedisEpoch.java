package dev.herald.redis;

import java.util.concurrent.ThreadLocalRandom;

import redis.clients.jedis.params.SetParams;

/**
 * The history's epoch as this pod knows it, mirroring a key in Redis: when Redis loses its data the key is gone,
 * whoever notices first writes a new one, and every cursor of the old epoch must resync. Thread-safe: the value is
 * volatile and changes under this object's monitor; the subscriber thread and publishers adopt what they see.
 */
final class RedisEpoch {
    /** The value before this pod has seen any epoch: adopting the first one is no change. */
    private static final String NONE = "0";

    private final RedisConnection redis;
    private volatile String current = NONE;

    RedisEpoch(RedisConnection redis) {
        this.redis = redis;
    }

    String current() {
        return current;
    }

    /**
     * Reads the epoch in Redis, creating it when Redis has none (it lost its data), and adopts it.
     *
     * @return true when it differs from a known one: the history this pod's streams stand on is gone
     */
    boolean sync() {
        String key = redis.keys().epoch();
        String found = redis.client().get(key);
        if (found == null) {
            redis.client().set(key, fresh(), SetParams.setParams().nx());
            found = redis.client().get(key);
        }
        return adopt(found);
    }

    /** Adopts an epoch seen in Redis or in a message; true when it differs from a known one. */
    synchronized boolean adopt(String seen) {
        if (seen == null || seen.equals(current)) {
            return false;
        }
        boolean hadOne = !current.equals(NONE);
        current = seen;
        return hadOne;
    }

    /** A new random epoch, for when Redis has none. */
    static String fresh() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    }
}
