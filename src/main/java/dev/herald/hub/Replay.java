package dev.herald.hub;

import java.util.List;

/**
 * What a broker's history holds for a channel after a position.
 *
 * @param events   the retained events after the position, oldest first
 * @param complete false when events between the position and the first returned one are gone
 *                 (trimmed, expired, or the position belongs to an older epoch): the client must resync
 * @param head     the id of the newest event of the channel (0 when it has none)
 */
public record Replay(List<Event> events, boolean complete, long head) {
    /** The position to replay after when the client's is unknown: every retained event, and never complete. */
    public static final long UNKNOWN = -1;
}
