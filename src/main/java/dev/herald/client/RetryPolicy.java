package dev.herald.client;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * When to try a call again and how long to wait first: the rules, without I/O, so that each case has a unit test.
 * Immutable and thread-safe.
 *
 * @param maxAttempts attempts in all, at least 1 (1: never retry)
 * @param firstBackoff the wait before the first retry, doubled before each next one
 * @param maxBackoff the longest wait, a server's {@code Retry-After} included
 * @param retryRateLimited whether a 429 is retried (after its {@code Retry-After})
 */
record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxBackoff, boolean retryRateLimited) {
    static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(2), true);

    RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        if (firstBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoffs must not be negative");
        }
        if (firstBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException("firstBackoff " + firstBackoff + " is longer than maxBackoff "
                                               + maxBackoff);
        }
    }

    /**
     * Whether an answer with this status is worth trying again: 503 (Herald's {@code broker_unavailable},
     * {@code unavailable}), 502 and 504 (a proxy in front of it), and 429 when {@link #retryRateLimited}. Every other
     * status is the same the next time.
     */
    boolean retryable(int status) {
        return status == 502 || status == 503 || status == 504 || (status == 429 && retryRateLimited);
    }

    /** Whether an error code in a 207's per-channel errors is worth trying again, as {@link #retryable(int)}. */
    boolean retryable(String error) {
        return "broker_unavailable".equals(error) || (retryRateLimited && "rate_limited".equals(error));
    }

    /**
     * The wait before retry number {@code retry} (1 for the first): {@code firstBackoff · 2^(retry-1)} capped by
     * {@code maxBackoff}, of which a random half is taken off (jitter, so that the clients a failure hit together do
     * not come back together); never shorter than the server's {@code Retry-After}, never longer than
     * {@code maxBackoff}.
     *
     * @param random a uniform value in [0, 1)
     */
    Duration delay(int retry, Optional<Duration> retryAfter, DoubleSupplier random) {
        long cap = maxBackoff.toNanos();
        long base = firstBackoff.toNanos();
        for (int i = 1; i < retry && base < cap; i++) {
            base *= 2;
        }
        base = Math.min(base, cap);
        long jittered = base - (long) (base * 0.5 * random.getAsDouble());
        long wait = Math.max(jittered, retryAfter.map(Duration::toNanos).orElse(0L));
        return Duration.ofNanos(Math.min(wait, cap));
    }

    /**
     * A {@code Retry-After} header: whole seconds, or an HTTP date (RFC 1123) taken relative to {@code now}; empty
     * when absent or unreadable, zero for a date in the past.
     */
    static Optional<Duration> retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.trim();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException e) {
            // an HTTP date, below
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
