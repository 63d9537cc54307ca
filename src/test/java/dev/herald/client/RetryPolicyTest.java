package dev.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link RetryPolicy}: what is retried, how long each wait is, how {@code Retry-After} is read. */
@Tag("unit")
class RetryPolicyTest {
    private static final RetryPolicy POLICY = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), true);
    private static final Optional<Duration> NONE = Optional.empty();

    @Test
    void onlyPassingFailures_areRetried() {
        for (int status : new int[] {429, 502, 503, 504}) {
            assertTrue(POLICY.retryable(status), "" + status);
        }
        for (int status : new int[] {400, 401, 403, 404, 413, 415, 422, 500}) {
            assertFalse(POLICY.retryable(status), "" + status);
        }
        RetryPolicy no429 = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), false);
        assertFalse(no429.retryable(429));
        assertTrue(POLICY.retryable("broker_unavailable") && POLICY.retryable("rate_limited"));
        assertFalse(no429.retryable("rate_limited"));
        assertFalse(POLICY.retryable("idempotency_key_reused"));
    }

    @Test
    void theWaitDoubles_upToTheCap_andJitterTakesAtMostHalf() {
        assertEquals(Duration.ofMillis(100), POLICY.delay(1, NONE, () -> 0.0));
        assertEquals(Duration.ofMillis(200), POLICY.delay(2, NONE, () -> 0.0));
        assertEquals(Duration.ofMillis(800), POLICY.delay(4, NONE, () -> 0.0));
        assertEquals(Duration.ofSeconds(1), POLICY.delay(5, NONE, () -> 0.0));
        assertEquals(Duration.ofSeconds(1), POLICY.delay(1000, NONE, () -> 0.0), "no overflow");
        assertEquals(Duration.ofMillis(50), POLICY.delay(1, NONE, () -> 1.0));
        assertEquals(Duration.ofMillis(75), POLICY.delay(1, NONE, () -> 0.5));
    }

    @Test
    void retryAfter_isWaitedFor_butNeverLongerThanTheCap() {
        assertEquals(Duration.ofMillis(500), POLICY.delay(1, Optional.of(Duration.ofMillis(500)), () -> 0.0));
        assertEquals(Duration.ofSeconds(1), POLICY.delay(1, Optional.of(Duration.ofSeconds(30)), () -> 0.0));
        assertEquals(Duration.ofMillis(800), POLICY.delay(4, Optional.of(Duration.ZERO), () -> 0.0));
    }

    @Test
    void retryAfterHeader_secondsOrAnHttpDate() {
        Instant now = Instant.parse("2026-11-30T12:00:00Z");
        assertEquals(Optional.of(Duration.ofSeconds(1)), RetryPolicy.retryAfter("1", now));
        assertEquals(Optional.of(Duration.ofSeconds(5)), RetryPolicy.retryAfter(" 5 ", now));
        assertEquals(Optional.of(Duration.ofSeconds(30)),
                     RetryPolicy.retryAfter("Mon, 30 Nov 2026 12:00:30 GMT", now));
        assertEquals(Optional.of(Duration.ZERO), RetryPolicy.retryAfter("Mon, 30 Nov 2026 11:00:00 GMT", now));
        assertEquals(NONE, RetryPolicy.retryAfter(null, now));
        assertEquals(NONE, RetryPolicy.retryAfter("soon", now));
        assertEquals(NONE, RetryPolicy.retryAfter("-3", now));
    }

    @Test
    void nonsense_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, true));
        assertThrows(IllegalArgumentException.class,
                     () -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1), true));
    }
}
