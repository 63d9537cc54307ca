package dev.herald.client;

import java.util.List;
import java.util.Optional;

/**
 * One page of active channels ({@code GET /api/channels}), in name order.
 *
 * @param channels the page's channels with their stream counts
 * @param next the cursor of the next page, empty on the last page
 */
public record ChannelPage(List<Entry> channels, Optional<String> next) {
    /** Copies the list (unmodifiable). */
    public ChannelPage {
        channels = List.copyOf(channels);
    }

    /**
     * One active channel.
     *
     * @param channel its name
     * @param subscribers open streams following it, on every pod
     */
    public record Entry(String channel, int subscribers) {
    }
}
