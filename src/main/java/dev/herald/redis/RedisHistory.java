package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.herald.hub.Broker;
import dev.herald.hub.Event;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Reads each channel's history (a Redis Stream whose entry ids are {@code 0-<event id>}) and its last assigned id;
 * the publish script is the only writer. History is read in pages of {@link #PAGE} entries ({@code XRANGE … COUNT}),
 * so one large history never blocks Redis nor arrives in one answer. Thread-safe: stateless over the pooled client.
 */
final class RedisHistory {
    /** Entries per {@code XRANGE} call. */
    static final int PAGE = 200;

    private final RedisConnection redis;
    /** How long a channel's id counter lives after its last publish or read ({@link #sequenceTtl}). */
    private final long sequenceTtlMillis;

    /**
     * @param cursorTtl how long a cursor is honoured ({@code herald.history.cursor-ttl})
     */
    RedisHistory(RedisConnection redis, Duration cursorTtl) {
        this.redis = redis;
        this.sequenceTtlMillis = sequenceTtl(cursorTtl).toMillis();
    }

    /** How often a pod refreshes the id counters of the channels it reads. */
    static Duration refreshPeriod(Duration cursorTtl) {
        Duration period = cursorTtl.dividedBy(8);
        return period.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : period.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : period;
    }

    /**
     * The lifetime of a channel's id counter ({@code seq} key) from its last publish or read: the cursor TTL, plus
     * two refresh periods (a pod reading the channel refreshes it at least that often), plus
     * {@link Broker#cursorSlack} for clocks that disagree between pods and Redis. A cursor is written while its stream reads the channel, and honoured for
     * the cursor TTL only, so the counter cannot expire (and ids start over) under a cursor still honoured.
     */
    static Duration sequenceTtl(Duration cursorTtl) {
        return cursorTtl.plus(refreshPeriod(cursorTtl).multipliedBy(2)).plus(Broker.cursorSlack(cursorTtl));
    }

    long sequenceTtlMillis() {
        return sequenceTtlMillis;
    }

    /** The channel's last assigned id (0 when it never had an event); reading it keeps the counter alive. */
    long head(String channel) {
        String head = redis.client().getEx(redis.keys().sequence(channel), keepAlive());
        return head == null ? 0 : Long.parseLong(head);
    }

    /** The channel's id counter, history length and oldest retained id, read in one pipeline without touching them. */
    Broker.ChannelState state(String channel) {
        Response<String> head;
        Response<Long> length;
        Response<List<StreamEntry>> first;
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            head = pipeline.get(redis.keys().sequence(channel));
            length = pipeline.xlen(redis.keys().history(channel));
            first = pipeline.xrange(redis.keys().history(channel), "-", "+", 1);
            pipeline.sync();
        }
        List<StreamEntry> oldest = first.get();
        return new Broker.ChannelState(head.get() == null ? 0 : Long.parseLong(head.get()), length.get(),
                                       oldest.isEmpty() ? null : oldest.getFirst().getID().getSequence());
    }

    /** Extends the id counters of channels this pod reads (one pipeline; a missing counter stays missing). */
    void refresh(Iterable<String> channels) {
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            for (String channel : channels) {
                pipeline.pexpire(redis.keys().sequence(channel), sequenceTtlMillis);
            }
            pipeline.sync();
        }
    }

    private GetExParams keepAlive() {
        return GetExParams.getExParams().px(sequenceTtlMillis);
    }

    /** The channel's head, and its retained events from {@code from} on, {@code from} included. */
    record Snapshot(long head, List<Event> events) {
    }

    /**
     * The channel's head, then its retained events from id {@code from} on (included) up to the head: the head and
     * the first page in one round trip and in that order, so every event up to the head that history still holds
     * is in the list; further pages only when the first was full.
     */
    Snapshot read(String channel, long from) {
        Response<String> head;
        Response<List<StreamEntry>> entries;
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            head = pipeline.getEx(redis.keys().sequence(channel), keepAlive());
            entries = pipeline.xrange(redis.keys().history(channel), "0-" + from, "+", PAGE);
            pipeline.sync();
        }
        String headText = head.get();
        long headId = headText == null ? 0 : Long.parseLong(headText);
        List<Event> events = events(channel, entries.get());
        if (events.size() == PAGE) {
            List<Event> rest = range(channel, "(0-" + events.get(events.size() - 1).id(), "0-" + headId,
                                     Long.MAX_VALUE);
            List<Event> all = new ArrayList<>(events);
            all.addAll(rest);
            events = all;
        }
        return new Snapshot(headId, events);
    }

    /**
     * The retained events with an id greater than {@code after}, oldest first; null when their data exceeds
     * {@code maxBytes} (reading stops at the page that crossed it).
     */
    List<Event> after(String channel, long after, long maxBytes) {
        return range(channel, "(0-" + after, "+", maxBytes);
    }

    /** Every retained event, oldest first; null when their data exceeds {@code maxBytes}. */
    List<Event> all(String channel, long maxBytes) {
        return range(channel, "-", "+", maxBytes);
    }

    /** The entries from {@code start} to {@code end}, a page at a time; null once their data exceeds the budget. */
    private List<Event> range(String channel, String start, String end, long maxBytes) {
        List<Event> out = new ArrayList<>();
        long bytes = 0;
        String from = start;
        while (true) {
            List<StreamEntry> page = redis.client().xrange(redis.keys().history(channel), from, end, PAGE);
            for (Event event : events(channel, page)) {
                bytes += event.data().length;
                if (bytes > maxBytes) {
                    return null;
                }
                out.add(event);
            }
            if (page.size() < PAGE) {
                return out;
            }
            from = "(" + page.get(page.size() - 1).getID();
        }
    }

    private static List<Event> events(String channel, List<StreamEntry> entries) {
        List<Event> events = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            events.add(new Event(channel, entry.getID().getSequence(),
                                 entry.getFields().get("d").getBytes(StandardCharsets.UTF_8),
                                 Long.parseLong(entry.getFields().get("t"))));
        }
        return events;
    }
}
