package dev.herald.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The connection queue's promises: bounded, never blocking offers, close/discard/ping semantics, wake-ups. */
@Tag("unit")
class EventQueueTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static Event event(long id) {
        return new Event("channel:a", id, new byte[0], 0);
    }

    private static List<Long> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    /** Drains once on its own thread and records what drainTo answered or threw. */
    private static final class Drainer extends Thread {
        private final EventQueue queue;
        final List<Event> out = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicReference<Object> result = new AtomicReference<>();

        Drainer(EventQueue queue) {
            super("test-drainer");
            this.queue = queue;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                result.set(queue.drainTo(out));
            } catch (Throwable t) {
                result.set(t);
            } finally {
                done.countDown();
            }
        }

        /** Starts it and returns once it is parked inside drainTo, waiting for work. */
        Drainer startAndAwaitParked() throws InterruptedException {
            start();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (getState() != State.WAITING) {
                if (done.getCount() == 0) {
                    fail("drainTo returned instead of waiting: " + result.get());
                }
                if (System.nanoTime() > deadline) {
                    fail("the drainer never parked; state " + getState());
                }
                // nothing signals that it parked: wait for it to return (which fails above) or look again in 1 ms
                done.await(1, TimeUnit.MILLISECONDS);
            }
            return this;
        }

        Object awaitResult() throws InterruptedException {
            assertTrue(done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the parked drainer was never woken");
            return result.get();
        }
    }

    @Test
    void offer_belowCapacity_returnsQueuedAndDrainsInOfferOrder() throws Exception {
        EventQueue queue = new EventQueue(4);
        for (long id = 1; id <= 3; id++) {
            assertEquals(EventQueue.Offer.QUEUED, queue.offer(event(id)));
        }
        List<Event> out = new ArrayList<>();
        assertTrue(queue.drainTo(out));
        assertEquals(List.of(1L, 2L, 3L), ids(out));
    }

    @Test
    void offer_whenFull_returnsFullAndKeepsQueued() throws Exception {
        EventQueue queue = new EventQueue(3);
        for (long id = 1; id <= 3; id++) {
            assertEquals(EventQueue.Offer.QUEUED, queue.offer(event(id)));
        }
        assertEquals(EventQueue.Offer.FULL, queue.offer(event(4)));
        assertEquals(EventQueue.Offer.FULL, queue.offer(event(5)));
        List<Event> out = new ArrayList<>();
        assertTrue(queue.drainTo(out));
        assertEquals(List.of(1L, 2L, 3L), ids(out), "the queued events stay, the refused ones never appear");
    }

    @Test
    void offer_afterDrainFreedRoom_isQueuedAgain() throws Exception {
        EventQueue queue = new EventQueue(1);
        queue.offer(event(1));
        assertEquals(EventQueue.Offer.FULL, queue.offer(event(2)));
        queue.drainTo(new ArrayList<>());
        assertEquals(EventQueue.Offer.QUEUED, queue.offer(event(3)));
    }

    @Test
    void offer_withCapacityZero_isAlwaysFull() {
        EventQueue queue = new EventQueue(0);
        assertEquals(EventQueue.Offer.FULL, queue.offer(event(1)));
    }

    @Test
    void offer_afterClose_returnsClosedAndIsNeverDrained() throws Exception {
        EventQueue queue = new EventQueue(4);
        queue.offer(event(1));
        queue.close();
        assertEquals(EventQueue.Offer.CLOSED, queue.offer(event(2)));
        List<Event> out = new ArrayList<>();
        assertTrue(queue.drainTo(out));
        assertEquals(List.of(1L), ids(out));
    }

    @Test
    void offer_whenFullAndClosed_returnsClosed() {
        EventQueue queue = new EventQueue(1);
        queue.offer(event(1));
        queue.close();
        assertEquals(EventQueue.Offer.CLOSED, queue.offer(event(2)), "closed wins over full: the writer is ending");
    }

    @Test
    void drainTo_afterCloseWithQueuedEvents_returnsThemThenFalseOnceEmpty() {
        EventQueue queue = new EventQueue(4);
        queue.offer(event(1));
        queue.offer(event(2));
        queue.close();
        assertTimeoutPreemptively(DEADLINE, () -> {
            List<Event> first = new ArrayList<>();
            assertTrue(queue.drainTo(first), "events queued before close must still be delivered");
            assertEquals(List.of(1L, 2L), ids(first));
            List<Event> second = new ArrayList<>();
            assertFalse(queue.drainTo(second), "closed and empty: nothing more will come");
            assertTrue(second.isEmpty());
            assertFalse(queue.drainTo(new ArrayList<>()), "stays finished");
        });
    }

    @Test
    void drainTo_afterCloseWhileEmpty_returnsFalseWithoutWaiting() {
        EventQueue queue = new EventQueue(4);
        queue.close();
        assertTimeoutPreemptively(DEADLINE, () -> assertFalse(queue.drainTo(new ArrayList<>())));
    }

    @Test
    void discard_returnsCountEmptiesAndCloses() {
        EventQueue queue = new EventQueue(8);
        for (long id = 1; id <= 5; id++) {
            queue.offer(event(id));
        }
        assertEquals(5, queue.discard());
        assertEquals(0, queue.discard(), "a second discard finds nothing");
        assertEquals(EventQueue.Offer.CLOSED, queue.offer(event(6)));
        assertTimeoutPreemptively(DEADLINE, () -> {
            List<Event> out = new ArrayList<>();
            assertFalse(queue.drainTo(out));
            assertTrue(out.isEmpty(), "discarded events must not be drained");
        });
    }

    @Test
    void discard_ofEmptyQueue_returnsZero() {
        assertEquals(0, new EventQueue(4).discard());
    }

    @Test
    void ping_beforeDrain_isNotLostAndGivesAnEmptyBatchOnce() throws Exception {
        EventQueue queue = new EventQueue(4);
        queue.ping();
        List<Event> out = new ArrayList<>();
        assertTimeoutPreemptively(DEADLINE, () -> assertTrue(queue.drainTo(out)));
        assertTrue(out.isEmpty());
        // the ping is consumed: the next drain waits again
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        queue.offer(event(1));
        assertEquals(true, drainer.awaitResult());
        assertEquals(List.of(1L), ids(drainer.out));
    }

    @Test
    void ping_wakesParkedDrainer_withEmptyBatch() throws Exception {
        EventQueue queue = new EventQueue(4);
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        queue.ping();
        assertEquals(true, drainer.awaitResult());
        assertTrue(drainer.out.isEmpty());
    }

    @Test
    void offer_fromAnotherThread_wakesParkedDrainer() throws Exception {
        EventQueue queue = new EventQueue(4);
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        Thread offerer = new Thread(() -> queue.offer(event(7)), "test-offerer");
        offerer.start();
        assertEquals(true, drainer.awaitResult());
        assertEquals(List.of(7L), ids(drainer.out));
        offerer.join(DEADLINE.toMillis());
    }

    @Test
    void close_wakesParkedDrainer_whichReturnsFalse() throws Exception {
        EventQueue queue = new EventQueue(4);
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        queue.close();
        assertEquals(false, drainer.awaitResult());
    }

    @Test
    void discard_wakesParkedDrainer_whichReturnsFalse() throws Exception {
        EventQueue queue = new EventQueue(4);
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        assertEquals(0, queue.discard());
        assertEquals(false, drainer.awaitResult());
    }

    @Test
    void interrupt_ofParkedDrainer_throwsInterruptedExceptionAndQueueStaysUsable() throws Exception {
        EventQueue queue = new EventQueue(4);
        Drainer drainer = new Drainer(queue).startAndAwaitParked();
        drainer.interrupt();
        assertInstanceOf(InterruptedException.class, drainer.awaitResult());
        assertEquals(EventQueue.Offer.QUEUED, queue.offer(event(1)));
        Drainer next = new Drainer(queue);
        next.start();
        assertEquals(true, next.awaitResult());
        assertEquals(List.of(1L), ids(next.out));
    }

    @Test
    void drainTo_onEmptyQueueWithInterruptPending_throwsInterruptedException() {
        EventQueue queue = new EventQueue(4);
        assertTimeoutPreemptively(DEADLINE, () -> {
            Thread.currentThread().interrupt();
            try {
                queue.drainTo(new ArrayList<>());
                fail("drainTo returned although its thread was interrupted and nothing was queued");
            } catch (InterruptedException expected) {
                assertFalse(Thread.currentThread().isInterrupted(), "the interrupt is reported by the exception");
            } finally {
                Thread.interrupted();
            }
        });
    }

    @Test
    void concurrentOfferers_withoutDrainer_queueExactlyCapacity() throws Exception {
        int capacity = 100;
        int threads = 8;
        int perThread = 1_000;
        EventQueue queue = new EventQueue(capacity);
        AtomicInteger queued = new AtomicInteger();
        AtomicInteger full = new AtomicInteger();
        runConcurrently(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                switch (queue.offer(event((long) t * perThread + i))) {
                    case QUEUED -> queued.incrementAndGet();
                    case FULL -> full.incrementAndGet();
                    case CLOSED -> fail("nobody closed the queue");
                }
            }
        });
        assertEquals(capacity, queued.get());
        assertEquals(threads * perThread - capacity, full.get());
        List<Event> out = new ArrayList<>();
        assertTimeoutPreemptively(DEADLINE, () -> queue.drainTo(out));
        assertEquals(capacity, out.size());
        assertEquals(capacity, new HashSet<>(ids(out)).size(), "no event queued twice");
    }

    @Test
    void concurrentOfferers_withDrainer_neverExceedCapacityAndLoseNothingQueued() throws Exception {
        int capacity = 32;
        int threads = 6;
        int perThread = 20_000;
        EventQueue queue = new EventQueue(capacity);
        AtomicInteger queued = new AtomicInteger();
        List<Event> drained = new ArrayList<>();
        AtomicInteger largestBatch = new AtomicInteger();
        AtomicReference<Throwable> drainError = new AtomicReference<>();
        Thread drainer = new Thread(() -> {
            try {
                List<Event> batch = new ArrayList<>();
                while (true) {
                    batch.clear();
                    boolean open = queue.drainTo(batch);
                    largestBatch.accumulateAndGet(batch.size(), Math::max);
                    drained.addAll(batch);
                    if (!open) {
                        return;
                    }
                }
            } catch (Throwable t) {
                drainError.set(t);
            }
        }, "test-drainer");
        drainer.setDaemon(true);
        drainer.start();
        runConcurrently(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                if (queue.offer(event((long) t * perThread + i)) == EventQueue.Offer.QUEUED) {
                    queued.incrementAndGet();
                }
            }
        });
        queue.close();
        drainer.join(DEADLINE.toMillis());
        assertFalse(drainer.isAlive(), "the drainer did not finish after close");
        assertEquals(null, drainError.get());
        assertTrue(largestBatch.get() <= capacity, "a batch of " + largestBatch.get() + " exceeds " + capacity);
        assertEquals(queued.get(), drained.size(), "every QUEUED event is drained exactly once");
        Set<Long> unique = new HashSet<>(ids(drained));
        assertEquals(drained.size(), unique.size(), "an event was drained twice");
        // each offerer's events come out in the order it offered them
        long[] last = new long[threads];
        java.util.Arrays.fill(last, -1);
        for (Event e : drained) {
            int t = (int) (e.id() / perThread);
            assertTrue(e.id() > last[t], "offerer " + t + " reordered: " + e.id() + " after " + last[t]);
            last[t] = e.id();
        }
    }

    private interface Body {
        void run(int thread) throws Exception;
    }

    /** Runs body on n threads released together; fails on any error or if they outlast the deadline. */
    private static void runConcurrently(int n, Body body) throws Exception {
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int t = 0; t < n; t++) {
            int thread = t;
            Thread worker = new Thread(() -> {
                try {
                    ready.countDown();
                    go.await();
                    body.run(thread);
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }, "test-offerer-" + t);
            worker.setDaemon(true);
            worker.start();
        }
        assertTrue(ready.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        go.countDown();
        assertTrue(done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS), "offerers did not finish");
        if (error.get() != null) {
            throw new AssertionError("an offerer failed", error.get());
        }
    }
}
