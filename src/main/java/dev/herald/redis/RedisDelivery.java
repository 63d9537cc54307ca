package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.Event;
import dev.herald.hub.EventTrace;

/**
 * The delivery rules shared by both subscribers ({@link RedisSubscriber} on one Redis, {@link RedisShardedSubscriber}
 * on a Redis Cluster): per channel, what was handed to the hub last ({@link ChannelMark}), what a live message is (the
 * next event, a repeat of what a fill delivered, a gap, an id used again) and how a gap is filled from history, so
 * the hub sees every event once, in id order, or a resync first.
 *
 * <p>Threads: any thread creates and drops marks; the calls that deliver ({@link #live}, {@link #fill},
 * {@link #lost}) hold the channel's mark, so one channel is delivered by one thread at a time (on a cluster a slot
 * that moved can briefly have two shard threads).
 */
final class RedisDelivery {
    private final RedisHistory history;
    /** Where events go: the hub; set by {@link #start} before any reader thread starts. */
    private volatile BrokerListener listener;
    /**
     * Per channel, what was handed to the hub last (or the head when subscribing): the dedup and gap-fill mark.
     * Created by subscribing threads, changed by readers under its monitor, its position read by any thread.
     */
    private final Map<String, ChannelMark> delivered = new ConcurrentHashMap<>();

    RedisDelivery(RedisHistory history) {
        this.history = history;
    }

    void start(BrokerListener to) {
        this.listener = to;
    }

    BrokerListener listener() {
        return listener;
    }

    /** Starts following a channel from its head, unless already followed. */
    void follow(String channel, long head) {
        delivered.putIfAbsent(channel, new ChannelMark(head));
    }

    void forget(String channel) {
        delivered.remove(channel);
    }

    /** The last id handed to the hub for a followed channel, else null. */
    Long last(String channel) {
        ChannelMark mark = delivered.get(channel);
        return mark == null ? null : mark.last();
    }

    /** The whole history started over (one Redis lost its data): every channel continues from 0. */
    void historyLost() {
        delivered.values().forEach(mark -> {
            synchronized (mark) {
                mark.reset(0);
            }
        });
        listener.historyLost();
    }

    /** This channel's history started over (its shard lost its data): its streams resync and continue from 0. */
    void lost(String channel) {
        ChannelMark mark = delivered.get(channel);
        if (mark == null) {
            return;
        }
        synchronized (mark) {
            listener.resync(channel, 0, BrokerListener.Break.HISTORY_LOST);
            mark.reset(0);
        }
    }

    /** A live message: the next event, a repeat of what a fill delivered, a gap, or an id used again. */
    void live(Event event) {
        ChannelMark mark = delivered.get(event.channel());
        if (mark == null) {
            return;
        }
        synchronized (mark) {
            long last = mark.last();
            if (event.id() == last + 1) {
                mark.caughtUp();
                deliver(mark, event);
            } else if (event.id() > last + 1) {
                // ids between were never received (cannot happen on a held connection unless an id was taken and
                // not published): fill from history, which delivers this event too or tells streams to resync
                fill(event.channel(), mark);
            } else if (!mark.isRepeat(event) && !(event.id() == last && mark.sameAsLast(event))) {
                // an id this pod already passed, carrying another event: the store went back under the same epoch
                restarted(event.channel(), mark, event.id() - 1);
                mark.caughtUp();
                deliver(mark, event);
            }
        }
    }

    /**
     * Hands the hub what it missed on this channel while unsubscribed or disconnected: the head, then everything
     * history holds from the last delivered id on, read in one round trip; a break in between (a gap, a head or an
     * event that contradicts what was delivered) makes the channel's streams resync first.
     */
    void fill(String channel) {
        ChannelMark mark = delivered.get(channel);
        if (mark == null) {
            return;
        }
        synchronized (mark) {
            fill(channel, mark);
        }
    }

    private void fill(String channel, ChannelMark mark) {
        long last = mark.last();
        RedisHistory.Snapshot now = history.read(channel, last);
        List<Event> events = now.events();
        if (!events.isEmpty() && events.get(0).id() == last) {
            if (!mark.sameAsLast(events.get(0))) {
                restarted(channel, mark, now.head());
                return;
            }
            events = events.subList(1, events.size());
        }
        if (now.head() < last) {
            restarted(channel, mark, now.head());
            return;
        }
        if (events.isEmpty() ? now.head() > last : events.get(0).id() != last + 1) {
            long from = events.isEmpty() ? now.head() : events.get(0).id() - 1;
            listener.resync(channel, from, BrokerListener.Break.GAP);
            mark.reset(from);
        }
        for (Event event : events) {
            deliver(mark, event);
        }
        mark.filled(events);
    }

    /** The channel's ids went back: its streams resync and continue after {@code from}. */
    private void restarted(String channel, ChannelMark mark, long from) {
        listener.resync(channel, from, BrokerListener.Break.IDS_RESTARTED);
        mark.reset(from);
    }

    /**
     * The event in a live message {@code <epoch> <id> <ms> <json>[\n<traceparent>]}, its JSON starting at
     * {@code start}. The trace context is there only when the publishing pod traces; a JSON object ends with
     * {@code '}'}, so one character tells.
     */
    static Event event(String channel, long id, long at, String message, int start) {
        int end = message.length();
        EventTrace trace = null;
        if (end > start && message.charAt(end - 1) != '}') {
            int newline = message.lastIndexOf('\n');
            if (newline >= start) {
                trace = EventTrace.carried(message.substring(newline + 1));
                end = newline;
            }
        }
        return new Event(channel, id, message.substring(start, end).getBytes(StandardCharsets.UTF_8), at,
                         Event.Kind.EVENT, trace);
    }

    private void deliver(ChannelMark mark, Event event) {
        mark.delivered(event);
        listener.deliver(event);
    }
}
