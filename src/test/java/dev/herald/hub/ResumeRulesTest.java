package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resume rules, one test per row of the table in docs/architecture.md ("Resume without gap or duplicate"):
 * each feeds {@link Resume} what a broker's history answers and checks what the client is sent.
 */
@Tag("unit")
class ResumeRulesTest {
    private static final String A = "channel:a";
    private static final String B = "user:bob";

    @Test
    void noCursor_startsAtTheHead_readsNoHistory_andSkipsWhatTheHeadCovers() {
        History history = new History().head(A, 7);
        Resume resume = new Resume(List.of(A), List.of(Resume.LIVE));
        assertEquals(List.of(), written(resume, history));
        assertEquals(List.of("head " + A), history.reads, "a fresh stream costs one head read, no replay");
        assertEquals(7, resume.position(0));
        assertFalse(resume.accept(event(A, 7, 1)), "queued before the head was read: already covered");
        assertTrue(resume.accept(event(A, 8, 2)));
        assertEquals(8, resume.position(0));
    }

    @Test
    void cursorWithinHistory_replaysWhatWasMissed_withoutResync() {
        History history = new History().replay(A, 3, new Replay(events(A, 4, 6), true, 6));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(3)));
        assertEquals(missed(A, 4, 6), written(resume, history));
        assertEquals(List.of("replay " + A + " after 3"), history.reads);
        assertEquals(6, resume.position(0));
    }

    @Test
    void cursorAtTheHead_writesNothing_andContinuesLive() {
        History history = new History().replay(A, 6, new Replay(List.of(), true, 6));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(6)));
        assertEquals(List.of(), written(resume, history));
        assertEquals(6, resume.position(0));
        assertTrue(resume.accept(event(A, 7, 1)));
    }

    @Test
    void cursorOlderThanTrimmedHistory_resyncsFromJustBeforeTheOldest_thenReplaysWhatIsLeft() {
        History history = new History().replay(A, 2, new Replay(events(A, 10, 12), false, 12));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(2)));
        assertEquals(resyncThen(A, 9, missed(A, 10, 12)), written(resume, history));
        assertEquals(12, resume.position(0));
    }

    @Test
    void cursorAfterHistoryExpired_resyncsFromTheHead_withNothingToReplay() {
        History history = new History().replay(A, 4, new Replay(List.of(), false, 9));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(4)));
        assertEquals(resyncThen(A, 9, List.of()), written(resume, history));
        assertFalse(resume.accept(event(A, 9, 1)));
        assertTrue(resume.accept(event(A, 10, 1)), "ids kept going while the history expired");
    }

    @Test
    void cursorAheadOfTheHead_isNotOneThisBrokerWrote_andResyncs() {
        History history = new History().replay(A, 50, new Replay(events(A, 1, 3), false, 3));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(50)));
        assertEquals(resyncThen(A, 0, missed(A, 1, 3)), written(resume, history));
        assertEquals(3, resume.position(0), "positions never stay ahead of what exists");
    }

    @Test
    void cursorOfAnotherEpoch_asksForEverything_andResyncs() {
        History history = new History().replay(A, Replay.UNKNOWN, new Replay(events(A, 1, 2), false, 2));
        Resume resume = new Resume(List.of(A), List.of(Resume.UNKNOWN));
        assertEquals(resyncThen(A, 0, missed(A, 1, 2)), written(resume, history));
        assertEquals(List.of("replay " + A + " after -1"), history.reads);
    }

    @Test
    void earliest_replaysEverythingRetained_withoutResync() {
        History history = new History().replay(A, Replay.UNKNOWN, new Replay(events(A, 5, 8), false, 8));
        Resume resume = new Resume(List.of(A), List.of(Resume.EARLIEST));
        assertEquals(missed(A, 5, 8), written(resume, history), "incomplete is expected here: no resync");
        assertEquals(8, resume.position(0));
    }

    @Test
    void earliest_onAChannelWithoutHistory_startsAtItsHead() {
        History history = new History().replay(A, Replay.UNKNOWN, new Replay(List.of(), false, 4));
        Resume resume = new Resume(List.of(A), List.of(Resume.EARLIEST));
        assertEquals(List.of(), written(resume, history));
        assertEquals(4, resume.position(0));
        assertFalse(resume.accept(event(A, 4, 1)));
    }

    @Test
    void severalChannels_resyncsComeFirst_thenMissedEventsByPublicationTime() {
        History history = new History()
                .replay(A, 1, new Replay(List.of(event(A, 2, 100), event(A, 3, 300)), true, 3))
                .replay(B, 0, new Replay(List.of(event(B, 5, 50), event(B, 6, 200)), false, 6));
        Resume resume = new Resume(List.of(A, B), List.of(new Resume.After(1), new Resume.After(0)));
        assertEquals(List.of("resync " + B + " from 4", B + " #5", A + " #2", B + " #6", A + " #3"),
                     written(resume, history));
        assertEquals(3, resume.position(0));
        assertEquals(6, resume.position(1));
    }

    @Test
    void aClockThatStepsBack_neverReordersAChannel() {
        // A's events were stamped 500 then 100 (the clock stepped back); B's 300 sits between by time
        History history = new History()
                .replay(A, 0, new Replay(List.of(event(A, 1, 500), event(A, 2, 100)), true, 2))
                .replay(B, 0, new Replay(List.of(event(B, 1, 300)), true, 1));
        Resume resume = new Resume(List.of(A, B), List.of(new Resume.After(0), new Resume.After(0)));
        List<Long> idsOfA = new ArrayList<>();
        for (Resume.Frame frame : resume.plan(history)) {
            Event event = ((Resume.Missed) frame).event();
            if (event.channel().equals(A) && resume.accept(event)) {
                idsOfA.add(event.id());
            }
        }
        assertEquals(List.of(1L, 2L), idsOfA);
    }

    @Test
    void theSeam_anEventBothReplayedAndQueued_isWrittenOnce() {
        History history = new History().replay(A, 0, new Replay(events(A, 1, 3), true, 3));
        Resume resume = new Resume(List.of(A), List.of(new Resume.After(0)));
        written(resume, history);
        assertFalse(resume.accept(event(A, 2, 1)), "replayed");
        assertFalse(resume.accept(event(A, 3, 1)), "replayed");
        assertTrue(resume.accept(event(A, 4, 1)));
        assertFalse(resume.accept(event(A, 4, 1)), "a duplicate delivery is dropped");
    }

    @Test
    void eachReplayedFrame_carriesTheCursorOfWhatWasWrittenUpToIt() {
        History history = new History()
                .replay(A, Replay.UNKNOWN, new Replay(List.of(event(A, 1, 10)), false, 1))
                .replay(B, Replay.UNKNOWN, new Replay(List.of(event(B, 1, 20)), false, 1));
        Resume resume = new Resume(List.of(A, B), List.of(Resume.UNKNOWN, Resume.UNKNOWN));
        List<String> cursors = new ArrayList<>();
        for (Resume.Frame frame : resume.plan(history)) {
            if (frame instanceof Resume.Missed missed && !resume.accept(missed.event())) {
                continue;
            }
            cursors.add(resume.position(0) + "." + resume.position(1));
        }
        // a client that resumes from the first frame's cursor must get everything after it again
        assertEquals(List.of("0.0", "0.0", "1.0", "1.1"), cursors);
    }

    @Test
    void historyLost_resyncsEveryChannelFromZero_andTakesTheNewEpochsFirstEvent() {
        History history = new History().head(A, 40).head(B, 9);
        Resume resume = new Resume(List.of(A, B), List.of(Resume.LIVE, Resume.LIVE));
        resume.plan(history);
        assertEquals(List.of("resync " + A + " from 0", "resync " + B + " from 0"), show(resume.historyLost()));
        assertTrue(resume.accept(event(A, 1, 1)), "ids start over in the new epoch");
        assertEquals(0, resume.position(1));
    }

    @Test
    void aBreakInOneChannel_resyncsThatChannelOnly_andContinuesAfterItsPosition_evenBelowWhereItWas() {
        History history = new History().head(A, 50).head(B, 7);
        Resume resume = new Resume(List.of(A, B), List.of(Resume.LIVE, Resume.LIVE));
        resume.plan(history);
        // the store went back: A's ids restarted at 5, below the 50 this stream had passed
        assertEquals(List.of("resync " + A + " from 5"), show(List.of(resume.resync(A, 5))));
        assertEquals(5, resume.position(0));
        assertEquals(7, resume.position(1), "the other channel is untouched");
        assertTrue(resume.accept(event(A, 6, 1)), "a new event under a reused id is written");
        assertFalse(resume.accept(event(B, 7, 1)));
        assertEquals(null, resume.resync("channel:other", 3), "not this stream's channel");
    }

    @Test
    void liveEventOfAnotherChannel_isNeverWritten() {
        Resume resume = new Resume(List.of(A), List.of(Resume.LIVE));
        resume.plan(new History().head(A, 0));
        assertFalse(resume.accept(event(B, 1, 1)));
    }

    /** The oldest cursor time these cases trust (epoch seconds). */
    private static final long SINCE = 1_700_000_000L;

    @Test
    void starts_withoutAnId_areLive() {
        List<String> channels = List.of(A, B);
        assertEquals(List.of(Resume.LIVE, Resume.LIVE), Resume.starts(null, "e1", channels, SINCE));
        assertEquals(List.of(Resume.LIVE, Resume.LIVE), Resume.starts("  ", "e1", channels, SINCE));
    }

    @Test
    void starts_earliest_isEarliestForEveryChannel() {
        assertEquals(List.of(Resume.EARLIEST, Resume.EARLIEST),
                     Resume.starts(" earliest ", "e1", List.of(A, B), SINCE));
        assertThrows(IllegalArgumentException.class, () -> Resume.starts("EARLIEST", "e1", List.of(A), SINCE),
                     "only the exact word");
    }

    @Test
    void starts_cursorOfThisEpoch_givesItsPositions() {
        List<String> channels = List.of(A, B);
        String cursor = Cursor.text("e1", channels, SINCE, 35, 1296);
        assertEquals(List.of(new Resume.After(35), new Resume.After(1296)),
                     Resume.starts(cursor, "e1", channels, SINCE));
    }

    @Test
    void starts_cursorOfAnotherEpoch_isUnknownEverywhere() {
        List<String> channels = List.of(A, B);
        String cursor = Cursor.text("old", channels, SINCE + 5, 3, 4);
        assertEquals(List.of(Resume.UNKNOWN, Resume.UNKNOWN), Resume.starts(cursor, "e1", channels, SINCE));
    }

    @Test
    void starts_cursorOlderThanTheCursorTtl_isUnknownEverywhere_itsChannelsMayHaveBeenForgotten() {
        List<String> channels = List.of(A, B);
        String stale = Cursor.text("e1", channels, SINCE - 1, 3, 4);
        assertEquals(List.of(Resume.UNKNOWN, Resume.UNKNOWN), Resume.starts(stale, "e1", channels, SINCE));
        String withoutTime = Cursor.prefix("e1", channels) + "3.4";
        assertEquals(List.of(Resume.UNKNOWN, Resume.UNKNOWN), Resume.starts(withoutTime, "e1", channels, SINCE),
                     "a cursor written before cursors carried their time");
    }

    @Test
    void starts_refusesACursorOfOtherChannels_orOfAnotherCount_orMalformed() {
        List<String> channels = List.of(A, B);
        String ofA = Cursor.text("e1", List.of(A), SINCE, 3);
        assertThrows(IllegalArgumentException.class, () -> Resume.starts(ofA, "e1", channels, SINCE));
        String threePositions = Cursor.text("e1", channels, SINCE, 1, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> Resume.starts(threePositions, "e1", channels, SINCE));
        for (String bad : List.of("e1", "e1__1", "E1_x_1", "e1_x_-1", "e1_x_1..2", "e1_x_1\n", "e1_x_1_2_3",
                                  "x".repeat(2000))) {
            assertThrows(IllegalArgumentException.class, () -> Resume.starts(bad, "e1", channels, SINCE), bad);
        }
        String overflow = Cursor.text("e1", List.of(A), SINCE) + "_zzzzzzzzzzzzz";
        assertThrows(IllegalArgumentException.class, () -> Resume.starts(overflow, "e1", List.of(A), SINCE));
    }

    @Test
    void replayLargerThanTheConnectionsBudget_resyncsThatChannelFromItsHead_andTheOthersStillReplay() {
        // each test event is 8-9 bytes of data: A's three fit in 30, B's three do not fit in what is left
        History history = new History()
                .replay(A, 3, new Replay(events(A, 4, 6), true, 6))
                .replay(B, 0, new Replay(events(B, 1, 3), true, 3));
        Resume resume = new Resume(List.of(A, B), List.of(new Resume.After(3), new Resume.After(0)));
        List<String> written = new ArrayList<>();
        for (Resume.Frame frame : resume.plan(history, 30)) {
            if (frame instanceof Resume.Resync || resume.accept(((Resume.Missed) frame).event())) {
                written.add(show(List.of(frame)).get(0));
            }
        }
        assertEquals(List.of("resync " + B + " from 3", A + " #4", A + " #5", A + " #6"), written);
        assertEquals(3, resume.position(1), "B continues live after its head");
        assertFalse(resume.accept(event(B, 3, 1)));
        assertTrue(resume.accept(event(B, 4, 1)));
    }

    @Test
    void aPositionIsNeverNegative_andEveryChannelHasAStart() {
        assertThrows(IllegalArgumentException.class, () -> new Resume.After(-1));
        assertThrows(IllegalArgumentException.class, () -> new Resume(List.of(A, B), List.of(Resume.LIVE)));
    }

    private static Event event(String channel, long id, long publishedAt) {
        return new Event(channel, id, ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8), publishedAt);
    }

    /** Events of one channel with ids {@code from..to}, published one ms apart. */
    private static List<Event> events(String channel, long from, long to) {
        List<Event> events = new ArrayList<>();
        for (long id = from; id <= to; id++) {
            events.add(event(channel, id, 1000 + id));
        }
        return events;
    }

    /** What a stream writes of the plan, as {@code SseStream} does: resyncs, and missed events that are accepted. */
    private static List<String> written(Resume resume, Resume.Source history) {
        List<Resume.Frame> written = new ArrayList<>();
        for (Resume.Frame frame : resume.plan(history)) {
            if (frame instanceof Resume.Resync || resume.accept(((Resume.Missed) frame).event())) {
                written.add(frame);
            }
        }
        return show(written);
    }

    /** Frames as text ({@link Event} holds an array, so records of events compare by identity). */
    private static List<String> show(List<? extends Resume.Frame> frames) {
        return frames.stream().map(frame -> switch (frame) {
            case Resume.Resync resync -> "resync " + resync.channel() + " from " + resync.from();
            case Resume.Missed missed -> missed.event().channel() + " #" + missed.event().id();
        }).toList();
    }

    private static List<String> missed(String channel, long from, long to) {
        List<String> shown = new ArrayList<>();
        for (long id = from; id <= to; id++) {
            shown.add(channel + " #" + id);
        }
        return shown;
    }

    private static List<String> resyncThen(String channel, long from, List<String> rest) {
        List<String> shown = new ArrayList<>(List.of("resync " + channel + " from " + from));
        shown.addAll(rest);
        return shown;
    }

    /** What a broker's history answers, set per case; records the reads, in order. */
    private static final class History implements Resume.Source {
        private final Map<String, Long> heads = new HashMap<>();
        private final Map<String, Replay> replays = new HashMap<>();
        final List<String> reads = new ArrayList<>();

        History head(String channel, long head) {
            heads.put(channel, head);
            return this;
        }

        History replay(String channel, long after, Replay replay) {
            replays.put(channel + "@" + after, replay);
            return this;
        }

        @Override
        public long head(String channel) {
            reads.add("head " + channel);
            return heads.get(channel);
        }

        @Override
        public Replay replay(String channel, long after, long maxBytes) {
            reads.add("replay " + channel + " after " + after);
            Replay replay = replays.get(channel + "@" + after);
            if (replay == null) {
                throw new AssertionError("unexpected read: replay " + channel + " after " + after);
            }
            return Replay.bytes(replay.events()) > maxBytes ? Replay.overBudget(replay.head()) : replay;
        }
    }
}
