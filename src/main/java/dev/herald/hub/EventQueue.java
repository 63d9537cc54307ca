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

    public EventQueue(int capacity) {
        this.capacity = capacity;
    }

    /** Adds the event unless the queue is full; a closed queue swallows events (the writer is ending). */
    public boolean offer(Event event) {
        lock.lock();
        try {
            if (closed) {
                return true;
            }
            if (events.size() >= capacity) {
                return false;
            }
            events.addLast(event);
            if (events.size() == 1) {
                notEmpty.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves every queued event to {@code out}, waiting up to {@code timeoutNanos} for the first one.
     *
     * @return false when the queue is closed and empty: nothing more will come
     */
    public boolean drainTo(List<Event> out, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long remaining = timeoutNanos;
            while (events.isEmpty() && !closed && remaining > 0) {
                remaining = notEmpty.awaitNanos(remaining);
            }
            out.addAll(events);
            events.clear();
            return !closed || !out.isEmpty();
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

    /** Closes and forgets what was queued (the consumer is too slow: it recovers from history). */
    public void discard() {
        lock.lock();
        try {
            closed = true;
            events.clear();
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }
}
