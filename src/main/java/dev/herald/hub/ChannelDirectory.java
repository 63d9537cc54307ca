package dev.herald.hub;

import java.util.List;

/**
 * How many streams follow which channels, on every pod: {@code GET /api/channels} and
 * {@code GET /api/channels/{channel}}. Embedded, the hub's own counts ({@link Local}); clustered, counts each pod
 * reports to Redis about once a second, read without scanning Redis keys. Implementations are thread-safe.
 */
public interface ChannelDirectory {
    /** One active channel. */
    record Entry(String channel, long subscribers) {
    }

    /**
     * A page of active channels in name order.
     *
     * @param next where the next page starts (after this name), or null when this is the last page
     */
    record Page(List<Entry> channels, String next) {
    }

    /**
     * Streams following the channel on every pod.
     *
     * @throws BrokerUnavailableException when the counts cannot be read
     */
    long subscribers(String channel);

    /**
     * Channels with at least one stream whose names start with {@code prefix} and sort after {@code after}
     * (exclusive; null: from the first), in name order, at most {@code limit}.
     *
     * @throws BrokerUnavailableException when the counts cannot be read
     */
    Page list(String prefix, String after, int limit);

    /** The directory of one pod: its hub's counts. Thread-safe (the hub's maps). */
    final class Local implements ChannelDirectory {
        private final Hub hub;

        public Local(Hub hub) {
            this.hub = hub;
        }

        @Override
        public long subscribers(String channel) {
            return hub.subscribers(channel);
        }

        @Override
        public Page list(String prefix, String after, int limit) {
            var page = hub.channels(prefix, after, limit + 1);
            List<Entry> entries = page.entrySet().stream().limit(limit)
                    .map(e -> new Entry(e.getKey(), e.getValue())).toList();
            return new Page(entries, page.size() > limit ? entries.getLast().channel() : null);
        }
    }
}
