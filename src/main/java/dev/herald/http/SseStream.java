package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import dev.herald.hub.Broker;
import dev.herald.hub.Cursor;
import dev.herald.hub.Event;
import dev.herald.hub.EventJson;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.Replay;
import dev.herald.hub.Subscription;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.ServerConnectionException;

/**
 * Writes one subscription to its client: a {@code retry:} hint and the starting cursor, the replay of what the
 * client missed, then live events, each batch of queued events before one flush, with a {@code : ping} comment
 * when idle. Runs entirely on the connection's own virtual thread; every field is confined to it.
 */
final class SseStream {
    private static final Logger LOG = Logger.getLogger(SseStream.class.getName());
    private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    /** A start position meaning "the oldest event history still holds" (no resync). */
    static final long EARLIEST = -3;

    private final Subscription subscription;
    private final Broker broker;
    private final HubMetrics metrics;
    private final List<String> channels;
    /** {@code id: <epoch>_<fingerprint>_}: the head of every id line (a new epoch changes it). */
    private byte[] idPrefix;
    /** For each channel of the connection, the id of the last event written (or skipped as already known). */
    private final long[] positions;
    /** The replay, framed during {@link #prepare}, written first by {@link #run}. */
    private FrameBuffer replayed = new FrameBuffer(0);
    private int replayedEvents;

    /**
     * @param resumeFrom positions parsed from the client's cursor, or null to start from the present
     */
    SseStream(Subscription subscription, Broker broker, HubMetrics metrics, long[] resumeFrom) {
        this.subscription = subscription;
        this.broker = broker;
        this.metrics = metrics;
        this.channels = subscription.channels();
        this.idPrefix = ("id: " + Cursor.prefix(broker.epoch(), channels)).getBytes(StandardCharsets.US_ASCII);
        this.positions = new long[channels.size()];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = resumeFrom == null ? -2 : resumeFrom[i];
        }
    }

    /**
     * Reads what the client missed and settles where each channel starts. Must be called after the subscription
     * was registered with the hub, so that the replay and the live queue overlap rather than leave a gap.
     */
    void prepare() {
        replayed = replay();
    }

    /** Streams until the client goes away or the subscription ends; {@link #prepare} first. */
    void run(OutputStream out, BooleanSupplier clientGone, boolean ready, long retryMillis, long shutdownRetryMillis) {
        try {
            out.write(("retry: " + retryMillis + "\n\n").getBytes(StandardCharsets.US_ASCII));
            replayed.writeTo(out);
            replayed = null;
            // after the replay: the client's last event id now covers every channel, even those without events;
            // clients that cannot see an id without data (herald.js reconnecting by itself) ask for a ready event
            FrameBuffer live = new FrameBuffer(idPrefix.length + 16 * positions.length + 96);
            if (ready) {
                putFrame(live, readyEvent());
            } else {
                live.put(idPrefix);
                putPositions(live);
                live.put(END);
            }
            live.writeTo(out);
            out.flush();
            metrics.eventsSent(replayedEvents);
            loop(out, clientGone);
            if (subscription.end() == Subscription.End.SHUTDOWN) {
                long jittered = shutdownRetryMillis / 2 + ThreadLocalRandom.current().nextLong(shutdownRetryMillis + 1);
                out.write(("retry: " + jittered + "\n\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | UncheckedIOException | ServerConnectionException e) {
            // the client went away: nothing to tell it
        } catch (RuntimeException e) {
            // e.g. an HTTP/2 flow-control timeout: the client stopped reading; it resumes with its cursor
            LOG.fine(() -> "Stream of " + subscription + " ended: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop(OutputStream out, BooleanSupplier clientGone)
            throws IOException, InterruptedException {
        List<Event> batch = new ArrayList<>();
        while (true) {
            batch.clear();
            boolean open = subscription.queue().drainTo(batch);
            if (subscription.end() == Subscription.End.SLOW_CONSUMER || !open || clientGone.getAsBoolean()) {
                return;
            }
            if (batch.isEmpty()) {
                out.write(PING);
                out.flush();
                subscription.wrote();
                continue;
            }
            int written = 0;
            long oldest = Long.MAX_VALUE;
            FrameBuffer frames = new FrameBuffer(estimate(batch));
            for (Event event : batch) {
                if (event == Event.HISTORY_LOST) {
                    written += historyLost(frames);
                    continue;
                }
                int index = channels.indexOf(event.channel());
                if (index < 0 || event.id() <= positions[index]) {
                    continue;
                }
                positions[index] = event.id();
                putFrame(frames, event.data());
                written++;
                oldest = Math.min(oldest, event.publishedAt());
            }
            if (written > 0) {
                frames.writeTo(out);
                out.flush();
                subscription.wrote();
                metrics.eventsSent(written);
                metrics.deliveryLatency(Math.max(0, System.currentTimeMillis() - oldest));
            }
        }
    }

    /** The broker's history started over: every channel resyncs and continues from the new epoch's start. */
    private int historyLost(FrameBuffer frames) {
        idPrefix = ("id: " + Cursor.prefix(broker.epoch(), channels)).getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(positions, 0);
        for (String channel : channels) {
            putFrame(frames, resync(channel, 0));
        }
        return channels.size();
    }

    /**
     * Reads history for every channel and settles the starting positions; returns the frames to write: resync
     * notices first, then the missed events of all channels in publication order.
     */
    private FrameBuffer replay() {
        List<String> resyncs = new ArrayList<>();
        List<List<Event>> missed = new ArrayList<>();
        // first settle where every channel starts, so that each frame's cursor is valid for every channel
        for (int i = 0; i < channels.size(); i++) {
            String channel = channels.get(i);
            if (positions[i] == -2) {
                positions[i] = broker.head(channel);
                continue;
            }
            if (positions[i] == EARLIEST) {
                Replay all = broker.replay(channel, -1);
                positions[i] = all.events().isEmpty() ? all.head() : all.events().get(0).id() - 1;
                missed.add(all.events());
                continue;
            }
            Replay replay = broker.replay(channel, positions[i]);
            if (!replay.complete()) {
                positions[i] = replay.events().isEmpty() ? replay.head() : replay.events().get(0).id() - 1;
                resyncs.add(channel);
            }
            missed.add(replay.events());
        }
        FrameBuffer frames = new FrameBuffer(256);
        for (String channel : resyncs) {
            putFrame(frames, resync(channel, positions[channels.indexOf(channel)]));
            replayedEvents++;
        }
        for (Event event : mergeByPublication(missed)) {
            int index = channels.indexOf(event.channel());
            if (event.id() > positions[index]) {
                positions[index] = event.id();
                putFrame(frames, event.data());
                replayedEvents++;
            }
        }
        return frames;
    }

    /**
     * Interleaves the channels' replays by publication time while keeping each channel in id order (a channel's
     * clock readings can go backwards; its ids never do).
     */
    private static List<Event> mergeByPublication(List<List<Event>> perChannel) {
        List<Event> merged = new ArrayList<>();
        int[] next = new int[perChannel.size()];
        while (true) {
            int pick = -1;
            for (int c = 0; c < perChannel.size(); c++) {
                List<Event> events = perChannel.get(c);
                if (next[c] < events.size() && (pick < 0
                        || events.get(next[c]).publishedAt() < perChannel.get(pick).get(next[pick]).publishedAt())) {
                    pick = c;
                }
            }
            if (pick < 0) {
                return merged;
            }
            merged.add(perChannel.get(pick).get(next[pick]++));
        }
    }

    /** {@code {"type":"ready","channels":[…]}}: the stream is live; its id line is the cursor to resume from. */
    private byte[] readyEvent() {
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("type", "ready");
        body.put("timestamp", EventJson.timestamp(java.time.Instant.now()));
        body.putPOJO("channels", channels);
        return EventJson.bytes(body);
    }

    private static byte[] resync(String channel, long id) {
        ObjectNode body = EventJson.body("resync", channel);
        return EventJson.withId(id, EventJson.bytes(body));
    }

    /** One event: its id line (the cursor as of this event), its data line, the blank line. */
    private void putFrame(FrameBuffer frames, byte[] data) {
        frames.put(idPrefix);
        putPositions(frames);
        frames.put(DATA);
        frames.put(data);
        frames.put(END);
    }

    /** Room for a batch: the events' bytes plus their id lines. */
    private int estimate(List<Event> batch) {
        int total = 0;
        for (Event event : batch) {
            total += event.data().length + idPrefix.length + 16 * positions.length + 10;
        }
        return total;
    }

    private void putPositions(FrameBuffer frames) {
        for (int i = 0; i < positions.length; i++) {
            if (i > 0) {
                frames.put((byte) '.');
            }
            frames.putBase36(positions[i]);
        }
    }
}
