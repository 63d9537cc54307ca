package dev.herald.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import redis.clients.jedis.params.SetParams;

/**
 * The history's epoch as this pod knows it, mirroring a key in Redis: when Redis loses its data the key is gone,
 * whoever notices first writes a new one, and every cursor of the old epoch must resync. Thread-safe: the value is
 * volatile and changes under this object's monitor; the subscriber thread and publishers adopt what they see.
 *
 * <p>On a Redis Cluster there is one epoch per hash slot ({@link RedisKeys#slotEpoch}): the publish script creates
 * the slot's when missing, and the sharded subscriber keeps the ones of the slots it follows here ({@link #ofSlot},
 * {@link #syncSlot}, {@link #adoptSlot}; a concurrent map, each slot changed by the thread of its shard).
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

    /** Per hash slot (on a cluster), the epoch this pod's subscriber last saw. */
    private final Map<Integer, String> slots = new ConcurrentHashMap<>();

    /** The epoch of the slot as last seen here, or null when this pod has not read it. */
    String ofSlot(int slot) {
        return slots.get(slot);
    }

    /** Reads the slot's epoch in Redis (creating it when missing), without adopting it. */
    String readSlot(int slot) {
        String key = redis.keys().slotEpoch(slot);
        String found = redis.client().get(key);
        if (found == null) {
            redis.client().set(key, fresh(), SetParams.setParams().nx());
            found = redis.client().get(key);
        }
        return found;
    }

    /** Reads and adopts the slot's epoch; true when it differs from one seen before (the shard lost its data). */
    boolean syncSlot(int slot) {
        return adoptSlot(slot, readSlot(slot));
    }

    /** Adopts a slot epoch seen in Redis or in a message; true when it differs from one seen before. */
    boolean adoptSlot(int slot, String seen) {
        if (seen == null) {
            return false;
        }
        String before = slots.put(slot, seen);
        return before != null && !before.equals(seen);
    }

    /** A new random epoch, for when Redis has none. */
    static String fresh() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    }
}
