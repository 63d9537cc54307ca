package dev.herald.redis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

import dev.herald.hub.Event;

/**
 * What the pod's subscriber handed the hub last on one channel, and how to recognise those events again: the id
 * (read by any thread), and, confined to the subscriber thread, a checksum of the last event and of the events the
 * last gap fill delivered, so that a live message repeating one of them (published while the fill read history) is
 * told apart from a new event that reuses an id (the store went back under the same epoch).
 */
final class ChannelMark {
    /** The fill's events kept to recognise repeats: far more than can be published during one round trip. */
    private static final int MAX_REPEATS = 1024;

    /** The last id handed to the hub, or the head when none was: events after it reach the hub. */
    private volatile long last;
    /** The checksum of the event with id {@code last}, or -1 when the pod only read the head. */
    private long lastSum = -1;
    /** After a resync, ids up to this one are covered by it (live messages up to it are ignored); -1: none. */
    private long coveredUpTo = -1;
    /** Id → checksum of the events the last fill delivered, while live messages may repeat them. */
    private final Map<Long, Long> repeats = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > MAX_REPEATS;
        }
    };

    ChannelMark(long head) {
        this.last = head;
    }

    long last() {
        return last;
    }

    /** The event was handed to the hub. */
    void delivered(Event event) {
        last = event.id();
        lastSum = sum(event);
    }

    /**
     * The channel's streams resynced and continue after {@code position}: nothing delivered is known any more, and
     * live messages up to it (events published while the break was being read) are covered by the resync.
     */
    void reset(long position) {
        last = position;
        lastSum = -1;
        repeats.clear();
        coveredUpTo = position;
    }

    /** False when {@code event} has the last delivered id but is another event (the id was reused). */
    boolean sameAsLast(Event event) {
        return lastSum < 0 || event.id() != last || sum(event) == lastSum;
    }

    /** The events a fill delivered: live messages may repeat them until one past them arrives. */
    void filled(Iterable<Event> events) {
        repeats.clear();
        for (Event event : events) {
            repeats.put(event.id(), sum(event));
        }
    }

    /**
     * True when a live message with an id not above {@link #last} is a repeat of an event a fill delivered, or is
     * covered by the last resync.
     */
    boolean isRepeat(Event event) {
        if (event.id() <= coveredUpTo) {
            return true;
        }
        Long sum = repeats.get(event.id());
        return sum != null && sum == sum(event);
    }

    /** A live message past every filled event arrived: no repeat can come any more. */
    void caughtUp() {
        repeats.clear();
        coveredUpTo = -1;
    }

    private static long sum(Event event) {
        CRC32 crc = new CRC32();
        crc.update(event.data());
        return crc.getValue() ^ (event.publishedAt() << 32);
    }
}
