package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.herald.hub.Event;

import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Reads each channel's history (a Redis Stream whose entry ids are {@code 0-<event id>}) and its last assigned id;
 * the publish script is the only writer. Thread-safe: stateless over the pooled client.
 */
final class RedisHistory {
    private final RedisConnection redis;

    RedisHistory(RedisConnection redis) {
        this.redis = redis;
    }

    /** The channel's last assigned id (0 when it never had an event). */
    long head(String channel) {
        String head = redis.client().get(redis.keys().sequence(channel));
        return head == null ? 0 : Long.parseLong(head);
    }

    /** The channel's head, and its retained events from {@code from} on, {@code from} included. */
    record Snapshot(long head, List<Event> events) {
    }

    /**
     * The channel's head, then its retained events from id {@code from} on (included), in one round trip and in that
     * order: every event up to the head that history still holds is in the list.
     */
    Snapshot read(String channel, long from) {
        Response<String> head;
        Response<List<StreamEntry>> entries;
        try (Pipeline pipeline = redis.client().pipelined()) {
            head = pipeline.get(redis.keys().sequence(channel));
            entries = pipeline.xrange(redis.keys().history(channel), "0-" + from, "+");
            pipeline.sync();
        }
        String headText = head.get();
        return new Snapshot(headText == null ? 0 : Long.parseLong(headText), events(channel, entries.get()));
    }

    /** The retained events with an id greater than {@code after}, oldest first. */
    List<Event> after(String channel, long after) {
        return range(channel, "(0-" + after);
    }

    /** Every retained event, oldest first. */
    List<Event> all(String channel) {
        return range(channel, "-");
    }

    private List<Event> range(String channel, String start) {
        return events(channel, redis.client().xrange(redis.keys().history(channel), start, "+"));
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
