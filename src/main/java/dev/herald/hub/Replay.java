package dev.herald.hub;

import java.util.List;

/**
 * What a broker's history holds for a channel after a position.
 *
 * @param events     the retained events after the position, oldest first
 * @param complete   false when events between the position and the first returned one are gone
 *                   (trimmed, expired, or the position belongs to an older epoch): the client must resync
 * @param head       the id of the newest event of the channel (0 when it has none)
 * @param overBudget true when the events would exceed the bytes the reader allowed: none are returned, and the
 *                   client resyncs the channel from {@code head} instead of replaying it
 */
public record Replay(List<Event> events, boolean complete, long head, boolean overBudget) {
    /** The position to replay after when the client's is unknown: every retained event, and never complete. */
    public static final long UNKNOWN = -1;

    public Replay(List<Event> events, boolean complete, long head) {
        this(events, complete, head, false);
    }

    /** A replay larger than the reader's budget: nothing to write, the channel resyncs from {@code head}. */
    public static Replay overBudget(long head) {
        return new Replay(List.of(), false, head, true);
    }

    /** The bytes of the events' data: what a replay costs a connection. */
    public static long bytes(List<Event> events) {
        long total = 0;
        for (Event event : events) {
            total += event.data().length;
        }
        return total;
    }
}
