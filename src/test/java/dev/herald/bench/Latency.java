package dev.herald.bench;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** A log-linear latency histogram in microseconds (1 µs to ~1 h, 1 % resolution); thread-safe, lock-free. */
final class Latency {
    private static final int SUB = 100;
    private final AtomicLongArray counts = new AtomicLongArray(40 * SUB);
    private final LongAdder total = new LongAdder();
    private volatile long max;

    void record(long micros) {
        long v = Math.max(1, micros);
        int exp = 63 - Long.numberOfLeadingZeros(v);
        int bucket = exp * SUB + (int) ((v - (1L << exp)) * SUB / (1L << exp));
        counts.incrementAndGet(Math.min(bucket, counts.length() - 1));
        total.increment();
        if (v > max) {
            max = v;
        }
    }

    long count() {
        return total.sum();
    }

    long max() {
        return max;
    }

    /** The value at quantile q (0–1), in microseconds. */
    long quantile(double q) {
        long n = total.sum();
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int b = 0; b < counts.length(); b++) {
            seen += counts.get(b);
            if (seen >= rank) {
                int exp = b / SUB;
                int sub = b % SUB;
                return (1L << exp) + ((1L << exp) * (sub + 1) / SUB);
            }
        }
        return max;
    }
}
