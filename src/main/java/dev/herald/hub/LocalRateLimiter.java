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

    /** Tokens as of a time; refilled at the rate and up to the burst of whichever call looks next (as in Redis). */
    private record Bucket(double tokens, long atNanos, double perSecond, int burst) {
        Bucket refilled(long now, double rate, int cap) {
            double added = (now - atNanos) / 1e9 * rate;
            return new Bucket(Math.min(cap, tokens + added), now, rate, cap);
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
            Bucket current = bucket == null ? new Bucket(burst, now, perSecond, burst)
                                            : bucket.refilled(now, perSecond, burst);
            if (current.tokens() >= 1) {
                return new Bucket(current.tokens() - 1, now, perSecond, burst);
            }
            waitMillis[0] = (long) Math.ceil((1 - current.tokens()) / perSecond * 1000);
            return current;
        });
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            buckets.entrySet().removeIf(e -> {
                Bucket b = e.getValue();
                return b.refilled(now, b.perSecond(), b.burst()).tokens() >= b.burst();
            });
        }
        return waitMillis[0];
    }
}
