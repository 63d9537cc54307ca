package dev.herald.hub;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * A connection's bounded queue: dispatchers offer without ever blocking, the connection's writer drains
 * everything at once. Thread-safe through one lock; many offering threads, one draining thread, which parks
 * itself and is unparked directly (after the lock is released) by whoever gives it something to do.
 */
public final class EventQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final int capacity;
    @GuardedBy("lock")
    private final ArrayDeque<Event> events = new ArrayDeque<>(8);
    @GuardedBy("lock")
    private boolean closed;
    /** A heartbeat is due. */
    @GuardedBy("lock")
    private boolean ping;
    /** The writer, while it waits for something to do. */
    @GuardedBy("lock")
    private Thread waiting;

    public EventQueue(int capacity) {
        this.capacity = capacity;
    }

    /** What {@link #offer} did with an event. */
    public enum Offer { QUEUED, FULL, CLOSED }

    /** Adds the event unless the queue is full or closed (its writer is ending); never blocks on the writer. */
    public Offer offer(Event event) {
        Thread wake;
        lock.lock();
        try {
            if (closed) {
                return Offer.CLOSED;
            }
            if (events.size() >= capacity) {
                return Offer.FULL;
            }
            events.addLast(event);
            wake = takeWaiting();
        } finally {
            lock.unlock();
        }
        unpark(wake);
        return Offer.QUEUED;
    }

    /**
     * Moves every queued event to {@code out}, waiting (without a timer: timed parks cost every wake-up a timer
     * registration) until there is one, a heartbeat is due ({@link #ping}) or the queue is closed.
     *
     * @return false when the queue is closed and empty: nothing more will come
     */
    public boolean drainTo(List<Event> out) throws InterruptedException {
        while (true) {
            lock.lock();
            try {
                if (!events.isEmpty() || closed || ping) {
                    waiting = null;
                    ping = false;
                    out.addAll(events);
                    events.clear();
                    return !closed || !out.isEmpty();
                }
                waiting = Thread.currentThread();
            } finally {
                lock.unlock();
            }
            // an unpark between the unlock and here is not lost: park returns at once
            LockSupport.park(this);
            if (Thread.interrupted()) {
                lock.lock();
                try {
                    waiting = null;
                } finally {
                    lock.unlock();
                }
                throw new InterruptedException();
            }
        }
    }

    /** Wakes the writer with nothing to write: it sends a heartbeat comment. */
    public void ping() {
        Thread wake;
        lock.lock();
        try {
            ping = true;
            wake = takeWaiting();
        } finally {
            lock.unlock();
        }
        unpark(wake);
    }

    /** Wakes the writer; later offers are dropped, events already queued can still be drained. */
    public void close() {
        Thread wake;
        lock.lock();
        try {
            closed = true;
            wake = takeWaiting();
        } finally {
            lock.unlock();
        }
        unpark(wake);
    }

    /** Closes and forgets what was queued (the consumer is too slow: it recovers from history); returns how many. */
    public int discard() {
        Thread wake;
        int discarded;
        lock.lock();
        try {
            closed = true;
            discarded = events.size();
            events.clear();
            wake = takeWaiting();
        } finally {
            lock.unlock();
        }
        unpark(wake);
        return discarded;
    }

    /** The waiting writer, now no longer waiting. */
    @GuardedBy("lock")
    private Thread takeWaiting() {
        Thread wake = waiting;
        waiting = null;
        return wake;
    }

    private static void unpark(Thread thread) {
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }
}
