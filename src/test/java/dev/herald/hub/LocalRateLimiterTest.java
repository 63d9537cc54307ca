package dev.herald.hub;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Token buckets in memory. Only what does not depend on elapsed time is asserted: rates are chosen so that the
 * refill during a test run (milliseconds) is far below one token.
 */
@Tag("unit")
class LocalRateLimiterTest {
    /** One token every ~17 minutes: nothing refills while a test runs. */
    private static final double SLOW = 0.001;

    @Test
    void acquire_burstN_givesExactlyNZerosThenAPositiveWait() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, limiter.acquire("chat|user:alice", 1, 5), "call " + (i + 1) + " is within the burst");
        }
        long wait = limiter.acquire("chat|user:alice", 1, 5);
        assertTrue(wait > 0 && wait <= 1000, "wait " + wait);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 1, 4})
    void acquire_whenSpent_waitIsAboutOneTokensTime(double perSecond) {
        LocalRateLimiter limiter = new LocalRateLimiter();
        assertEquals(0, limiter.acquire("k", perSecond, 1));
        long wait = limiter.acquire("k", perSecond, 1);
        long oneToken = (long) Math.ceil(1000 / perSecond);
        assertTrue(wait <= oneToken && wait >= oneToken / 2, "wait " + wait + " for one token every " + oneToken + " ms");
    }

    @Test
    void acquire_refusals_takeNothingAndWaitNeverGrows() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        limiter.acquire("k", 2, 1);
        long previous = limiter.acquire("k", 2, 1);
        for (int i = 0; i < 50; i++) {
            long wait = limiter.acquire("k", 2, 1);
            assertTrue(wait > 0, "refused calls must not make a token appear");
            assertTrue(wait <= previous, "a refusal must not cost a token: " + wait + " > " + previous);
            previous = wait;
        }
    }

    @Test
    void acquire_withBurstZero_refusesTheFirstCall() {
        long wait = new LocalRateLimiter().acquire("k", 1, 0);
        assertTrue(wait > 0 && wait <= 1000, "wait " + wait);
    }

    @Test
    void acquire_separateKeys_haveIndependentBuckets() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        assertEquals(0, limiter.acquire("chat|user:alice", SLOW, 2));
        assertEquals(0, limiter.acquire("chat|user:alice", SLOW, 2));
        assertTrue(limiter.acquire("chat|user:alice", SLOW, 2) > 0);
        assertEquals(0, limiter.acquire("chat|user:bob", SLOW, 2), "alice's spending must not touch bob");
        assertEquals(0, limiter.acquire("channel|user:alice", SLOW, 2), "another limit on the same subject");
        assertEquals(0, limiter.acquire("chat|user:bob", SLOW, 2));
        assertTrue(limiter.acquire("chat|user:bob", SLOW, 2) > 0);
    }

    @Test
    void acquire_spentKeyAskedWithBiggerBurst_isStillRefused() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        assertEquals(0, limiter.acquire("k", SLOW, 1));
        assertTrue(limiter.acquire("k", SLOW, 5) > 0, "a bigger burst must not refill a spent bucket");
    }

    /** RateLimiter: "refilled at perSecond, holding at most burst"; the Redis twin clamps to the burst of the call. */
    @Test
    void acquire_keyAskedWithSmallerBurst_holdsAtMostTheNewBurst() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        assertEquals(0, limiter.acquire("k", SLOW, 5));
        assertEquals(0, limiter.acquire("k", SLOW, 1), "the bucket holds 4 tokens, clamped to 1");
        assertTrue(limiter.acquire("k", SLOW, 1) > 0, "a bucket of burst 1 has nothing left");
    }

    @Test
    void acquire_manyThreadsOnOneKey_grantExactlyTheBurst() throws Exception {
        LocalRateLimiter limiter = new LocalRateLimiter();
        int threads = 8;
        int perThread = 500;
        int burst = 1000;
        AtomicInteger granted = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        if (limiter.acquire("hot", SLOW, burst) == 0) {
                            granted.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
            worker.setDaemon(true);
            worker.start();
        }
        go.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(null, error.get());
        assertEquals(burst, granted.get(), "4000 concurrent calls against a burst of 1000");
    }

    @Test
    void acquire_sweepOfIdleBuckets_neverForgetsASpentOne() {
        LocalRateLimiter limiter = new LocalRateLimiter();
        assertEquals(0, limiter.acquire("spent", SLOW, 1));
        // enough calls on other keys to run the periodic sweep (every 4096 calls) at least twice
        for (int i = 0; i < 10_000; i++) {
            limiter.acquire("other-" + i, 1000, 1);
        }
        assertTrue(limiter.acquire("spent", SLOW, 1) > 0, "a swept spent bucket would hand out a fresh burst");
    }
}
