package dev.herald.hub;

/**
 * One event as it travels from a broker to the connections: serialized once, shared by every subscriber.
 *
 * @param channel     the channel it was published on, e.g. {@code channel:general}
 * @param id          its position in the channel, assigned once by the broker, the same on every pod
 * @param data        the complete event JSON on one line, UTF-8; never modified after construction
 * @param publishedAt wall-clock milliseconds when the broker accepted it (for latency metrics)
 */
@SuppressWarnings("ArrayRecordComponent") // one array shared by every subscriber, never modified nor compared
public record Event(String channel, long id, byte[] data, long publishedAt) {
    /** Not an event: tells a stream that the broker's history started over ({@link BrokerListener#historyLost}). */
    public static final Event HISTORY_LOST = new Event("", 0, new byte[0], 0);
}
