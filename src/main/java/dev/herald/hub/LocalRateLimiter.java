package dev.herald.hub;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Embedded mode's token buckets, in memory. Thread-safe: each bucket changes inside an atomic {@code compute};
 * buckets that refilled completely are dropped every few thousand calls, so the map holds only active keys.
 */
public final class LocalRateLimiter implements RateLimiter {
    private static final int SWEEP_EVERY = 4096;

    private record Bucket(double tokens, long atNanos, double perSecond, int burst) {
        Bucket refilled(long now) {
            double added = (now - atNanos) / 1e9 * perSecond;
            return new Bucket(Math.min(burst, tokens + added), now, perSecond, burst);
        }
    }

    /** Key → its bucket as of its last use. */
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();

    @Override
    public long acquire(String key, double perSecond, int burst) {
        long now = System.nanoTime();
        long[] waitMillis = {0};
        buckets.compute(key, (k, bucket) -> {
            Bucket current = bucket == null ? new Bucket(burst, now, perSecond, burst) : bucket.refilled(now);
            if (current.tokens() >= 1) {
                return new Bucket(current.tokens() - 1, now, perSecond, burst);
            }
            waitMillis[0] = (long) Math.ceil((1 - current.tokens()) / perSecond * 1000);
            return current;
        });
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            buckets.entrySet().removeIf(e -> e.getValue().refilled(now).tokens() >= e.getValue().burst());
        }
        return waitMillis[0];
    }
}
