package dev.herald.hub;

/**
 * One event as it travels from a broker to the connections: serialized once, shared by every subscriber. A few
 * markers travel the same queues in order with the events ({@link Kind}); they are never written as they are.
 *
 * @param channel     the channel it was published on, e.g. {@code channel:general}
 * @param id          its position in the channel, assigned once by the broker, the same on every pod; for a
 *                    {@link Kind#RESYNC} marker, the position the channel continues after
 * @param data        the complete event JSON on one line, UTF-8; never modified after construction
 * @param publishedAt wall-clock milliseconds when the broker accepted it (for latency metrics)
 * @param kind        an event, or a marker
 * @param trace       the trace it travels in, or null: null unless a pod that traces published it (see
 *                    {@link EventTrace})
 */
@SuppressWarnings("ArrayRecordComponent") // one array shared by every subscriber, never modified nor compared
public record Event(String channel, long id, byte[] data, long publishedAt, Kind kind, EventTrace trace) {
    /** What travels a stream's queue. */
    public enum Kind {
        /** A published event. */
        EVENT,
        /** The broker found a break in one channel's history: the stream resyncs that channel (see {@link #resync}). */
        RESYNC,
        /** The broker's whole history started over ({@link BrokerListener#historyLost}). */
        HISTORY_LOST
    }

    /** The marker for {@link BrokerListener#historyLost}: every channel of every stream resyncs. */
    public static final Event HISTORY_LOST = new Event("", 0, new byte[0], 0, Kind.HISTORY_LOST);

    /** A published event. */
    public Event(String channel, long id, byte[] data, long publishedAt) {
        this(channel, id, data, publishedAt, Kind.EVENT, null);
    }

    /** An untraced event or marker. */
    public Event(String channel, long id, byte[] data, long publishedAt, Kind kind) {
        this(channel, id, data, publishedAt, kind, null);
    }

    /** The same event (the same bytes) in another trace. */
    public Event traced(EventTrace in) {
        return new Event(channel, id, data, publishedAt, kind, in);
    }

    /** The marker for {@link BrokerListener#resync}: the channel resyncs and continues after {@code from}. */
    public static Event resync(String channel, long from) {
        return new Event(channel, from, new byte[0], 0, Kind.RESYNC);
    }
}
