package dev.herald.hub;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} events of one channel, as a ring that grows on demand.
 * Not thread-safe: owned by one {@link LocalBroker} channel and used under its lock.
 */
final class History {
    private final int capacity;
    private Event[] ring;
    private int start;
    private int size;

    History(int capacity) {
        this.capacity = capacity;
        this.ring = new Event[Math.min(8, Math.max(1, capacity))];
    }

    void append(Event event) {
        if (capacity == 0) {
            return;
        }
        if (size == ring.length && size < capacity) {
            grow();
        }
        if (size < ring.length) {
            ring[(start + size) % ring.length] = event;
            size++;
        } else {
            ring[start] = event;
            start = (start + 1) % ring.length;
        }
    }

    /** Forgets every event and releases the ring. */
    void clear() {
        ring = new Event[1];
        start = 0;
        size = 0;
    }

    /** How many events are retained. */
    int size() {
        return size;
    }

    /** The id of the oldest retained event, or {@code head + 1} when none is retained. */
    long oldestId(long head) {
        return size == 0 ? head + 1 : ring[start].id();
    }

    /** Retained events with id greater than {@code after}, oldest first. */
    List<Event> after(long after) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Event e = ring[(start + i) % ring.length];
            if (e.id() > after) {
                out.add(e);
            }
        }
        return out;
    }

    private void grow() {
        Event[] bigger = new Event[Math.min(capacity, ring.length * 2)];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(start + i) % ring.length];
        }
        ring = bigger;
        start = 0;
    }
}
