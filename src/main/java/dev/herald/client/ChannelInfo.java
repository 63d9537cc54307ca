package dev.herald.client;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the server knows of one channel ({@code GET /api/channels/{channel}}). Counts are on every pod and lag the
 * streams by about a second in clustered mode.
 *
 * @param channel the channel's name
 * @param subscribers open streams following the channel
 * @param users distinct users online, for {@code channel:} channels only (empty for {@code user:} channels)
 * @param lastId the channel's last event id, 0 when none (or forgotten)
 * @param historySize events retained for resume
 * @param oldestId the oldest retained event's id, empty when none is retained
 */
public record ChannelInfo(String channel, int subscribers, OptionalInt users, long lastId, int historySize,
                          OptionalLong oldestId) {
}
