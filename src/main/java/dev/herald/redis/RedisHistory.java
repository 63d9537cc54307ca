package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.herald.hub.Event;

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

    /** The retained events with an id greater than {@code after}, oldest first. */
    List<Event> after(String channel, long after) {
        return range(channel, "(0-" + after);
    }

    /** Every retained event, oldest first. */
    List<Event> all(String channel) {
        return range(channel, "-");
    }

    private List<Event> range(String channel, String start) {
        List<StreamEntry> entries = redis.client().xrange(redis.keys().history(channel), start, "+");
        List<Event> events = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            events.add(new Event(channel, entry.getID().getSequence(),
                                 entry.getFields().get("d").getBytes(StandardCharsets.UTF_8),
                                 Long.parseLong(entry.getFields().get("t"))));
        }
        return events;
    }
}
