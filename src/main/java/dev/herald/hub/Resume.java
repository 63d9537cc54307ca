package dev.herald.hub;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The rules of resuming a stream, in one place: where each channel of a connection starts, when its client must
 * resync, in which order missed events are written, and which live events the client still needs (the dedupe at
 * the seam between replay and live). Pure: no I/O, no clock, no thread of its own; {@link #plan} reads history only
 * through the {@link Source} it is given. One instance per stream, confined to that stream's thread.
 * The cases are tabled in {@code docs/architecture.md} ("Resume without gap or duplicate") and tested one by one
 * in {@code ResumeRulesTest}.
 */
public final class Resume {
    /** The {@code Last-Event-ID} that asks for everything history still holds (as Mercure's "earliest"). */
    public static final String EARLIEST_ID = "earliest";

    /** Where a client asks one channel to start. */
    public sealed interface Start permits Live, Earliest, After, Unknown {
    }

    /** No cursor: from the channel's head when the stream opens; nothing is replayed. */
    public record Live() implements Start {
    }

    /** Everything history still holds, oldest first, without a resync. */
    public record Earliest() implements Start {
    }

    /** Just after this event id of the current epoch (a position from the client's cursor). */
    public record After(long id) implements Start {
        public After {
            if (id < 0) {
                throw new IllegalArgumentException("a position is never negative");
            }
        }
    }

    /** A cursor of another epoch: the broker's history started over since, so the position means nothing now. */
    public record Unknown() implements Start {
    }

    public static final Start LIVE = new Live();
    public static final Start EARLIEST = new Earliest();
    public static final Start UNKNOWN = new Unknown();

    /** What the rules read from history; the broker is one. */
    public interface Source {
        /** See {@link Broker#head}. */
        long head(String channel);

        /** See {@link Broker#replay}. */
        Replay replay(String channel, long after, long maxBytes);

        /** {@link #replay(String, long, long)} without a byte budget. */
        default Replay replay(String channel, long after) {
            return replay(channel, after, Long.MAX_VALUE);
        }
    }

    /** Something to write before live events. */
    public sealed interface Frame permits Resync, Missed {
    }

    /** The client must reload {@code channel}'s state; the stream continues after event {@code from}. */
    public record Resync(String channel, long from) implements Frame {
    }

    /** An event the client missed. */
    public record Missed(Event event) implements Frame {
    }

    private final List<String> channels;
    private final List<Start> starts;
    /** For each channel, the id of the last event written (or skipped as already known). */
    private final long[] positions;

    /**
     * @param channels the connection's channels, sorted and distinct
     * @param starts   where each channel starts, in the same order
     */
    public Resume(List<String> channels, List<Start> starts) {
        if (channels.size() != starts.size()) {
            throw new IllegalArgumentException("one start per channel");
        }
        this.channels = List.copyOf(channels);
        this.starts = List.copyOf(starts);
        this.positions = new long[channels.size()];
    }

    /**
     * Where each channel starts, from what the client sent as its last event id (the {@code Last-Event-ID} header or
     * the {@code lastEventId} parameter): nothing → {@link Live}; {@value #EARLIEST_ID} → {@link Earliest}; a cursor
     * of this epoch written at or after {@code honouredSince} → {@link After} its positions; a cursor of another
     * epoch, an older one, or one without a time → {@link Unknown} (the broker may have forgotten its channels since,
     * and their ids started over: its positions could point into a new beginning).
     *
     * @param lastEventId   what the client sent, or null
     * @param epoch         the broker's epoch now
     * @param channels      the connection's channels, sorted and distinct
     * @param honouredSince the oldest cursor time still trusted (epoch seconds): now minus the broker's
     *                      {@link Broker#cursorTtl}
     * @throws IllegalArgumentException when the text is not a cursor of these channels
     */
    public static List<Start> starts(String lastEventId, String epoch, List<String> channels, long honouredSince) {
        String text = lastEventId == null ? "" : lastEventId.trim();
        if (text.isEmpty()) {
            return Collections.nCopies(channels.size(), LIVE);
        }
        if (text.equals(EARLIEST_ID)) {
            return Collections.nCopies(channels.size(), EARLIEST);
        }
        Cursor.Parsed cursor = Cursor.parse(text, channels);
        if (!cursor.epoch().equals(epoch) || cursor.writtenAt() == Cursor.UNKNOWN_TIME
                || cursor.writtenAt() < honouredSince) {
            return Collections.nCopies(channels.size(), UNKNOWN);
        }
        List<Start> starts = new ArrayList<>(channels.size());
        for (long position : cursor.positions()) {
            starts.add(new After(position));
        }
        return starts;
    }

    /**
     * Settles where each channel starts and returns what to write before live events: the resync notices first,
     * then the missed events of every channel by publication time, each channel in id order. The stream writes a
     * resync as it is and a missed event only when {@link #accept} takes it, as it does live events, so that each
     * frame's cursor covers exactly what was written up to it. Call this once the stream's subscription is
     * registered with the hub, so that the replay and the live queue overlap rather than leave a gap
     * ({@link #accept} drops the overlap).
     */
    public List<Frame> plan(Source source) {
        return plan(source, Long.MAX_VALUE);
    }

    /**
     * {@link #plan(Source)} within {@code maxBytes} of replayed event data for the whole connection: a channel whose
     * missed events do not fit in what is left resyncs from its head instead (the client reloads it rather than the
     * pod reading and holding a history that large for one reconnect).
     */
    public List<Frame> plan(Source source, long maxBytes) {
        List<Frame> frames = new ArrayList<>();
        List<List<Event>> missed = new ArrayList<>();
        long left = maxBytes;
        // first settle where every channel starts, so that each frame's cursor is valid for every channel
        for (int i = 0; i < channels.size(); i++) {
            String channel = channels.get(i);
            Replay replay = switch (starts.get(i)) {
                case Live live -> {
                    positions[i] = source.head(channel);
                    yield null;
                }
                case Earliest earliest -> source.replay(channel, Replay.UNKNOWN, left);
                case After after -> source.replay(channel, after.id(), left);
                case Unknown unknown -> source.replay(channel, Replay.UNKNOWN, left);
            };
            if (replay == null) {
                continue;
            }
            if (replay.overBudget()) {
                positions[i] = replay.head();
                frames.add(new Resync(channel, replay.head()));
                continue;
            }
            left -= Replay.bytes(replay.events());
            if (replay.complete() && starts.get(i) instanceof After after) {
                positions[i] = after.id();
            } else {
                positions[i] = before(replay);
                if (!(starts.get(i) instanceof Earliest)) {
                    // history no longer reaches the position (trimmed, expired, another epoch, ahead of the head)
                    frames.add(new Resync(channel, positions[i]));
                }
            }
            missed.add(replay.events());
        }
        for (Event event : mergeByPublication(missed)) {
            frames.add(new Missed(event));
        }
        return frames;
    }

    /**
     * The dedupe rule, for replayed and live events alike: true when the client still needs this event (its id is
     * past its channel's position), which then advances; false for an event already written or skipped, or of a
     * channel not in this stream.
     */
    public boolean accept(Event event) {
        int index = channels.indexOf(event.channel());
        if (index < 0 || event.id() <= positions[index]) {
            return false;
        }
        positions[index] = event.id();
        return true;
    }

    /**
     * The broker's history started over (a new epoch): every channel resyncs and continues from the new epoch's
     * first event.
     */
    public List<Resync> historyLost() {
        Arrays.fill(positions, 0);
        List<Resync> resyncs = new ArrayList<>(channels.size());
        for (String channel : channels) {
            resyncs.add(new Resync(channel, 0));
        }
        return resyncs;
    }

    /**
     * The broker found the channel's history broken under this stream (a gap it could not fill, ids that went
     * back): the client resyncs the channel, and the stream continues with the events after {@code from}, even when
     * its position was past that (ids that went back are new events).
     *
     * @return the resync to write, or null when the channel is not one of this stream's
     */
    public Resync resync(String channel, long from) {
        int index = channels.indexOf(channel);
        if (index < 0) {
            return null;
        }
        positions[index] = from;
        return new Resync(channel, from);
    }

    public int channelCount() {
        return positions.length;
    }

    /** The id of the last event written or skipped on the i-th channel: the cursor's i-th position. */
    public long position(int i) {
        return positions[i];
    }

    /** The position just before the first event of a replay, or its head when it holds none. */
    private static long before(Replay replay) {
        return replay.events().isEmpty() ? replay.head() : replay.events().get(0).id() - 1;
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
}
