package dev.herald.hub;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A connection's bounded queue: dispatchers offer without ever blocking, the connection's writer drains
 * everything at once. Thread-safe through one lock; many offering threads, one draining thread.
 */
public final class EventQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final int capacity;
    private final ArrayDeque<Event> events = new ArrayDeque<>(8);
    private boolean closed;
    private boolean ping;

    public EventQueue(int capacity) {
        this.capacity = capacity;
    }

    /** What {@link #offer} did with an event. */
    public enum Offer { QUEUED, FULL, CLOSED }

    /** Adds the event unless the queue is full or closed (its writer is ending); never blocks on the writer. */
    public Offer offer(Event event) {
        lock.lock();
        try {
            if (closed) {
                return Offer.CLOSED;
            }
            if (events.size() >= capacity) {
                return Offer.FULL;
            }
            events.addLast(event);
            if (events.size() == 1) {
                notEmpty.signal();
            }
            return Offer.QUEUED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves every queued event to {@code out}, waiting (without a timer: timed parks cost every wake-up a timer
     * registration) until there is one, a heartbeat is due ({@link #ping}) or the queue is closed.
     *
     * @return false when the queue is closed and empty: nothing more will come
     */
    public boolean drainTo(List<Event> out) throws InterruptedException {
        lock.lock();
        try {
            while (events.isEmpty() && !closed && !ping) {
                notEmpty.await();
            }
            ping = false;
            out.addAll(events);
            events.clear();
            return !closed || !out.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the writer with nothing to write: it sends a heartbeat comment. */
    public void ping() {
        lock.lock();
        try {
            ping = true;
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the writer; later offers are dropped, events already queued can still be drained. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Closes and forgets what was queued (the consumer is too slow: it recovers from history); returns how many. */
    public int discard() {
        lock.lock();
        try {
            closed = true;
            int discarded = events.size();
            events.clear();
            notEmpty.signal();
            return discarded;
        } finally {
            lock.unlock();
        }
    }
}
