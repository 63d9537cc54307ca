package dev.herald.hub;

import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The channel history ring: keeps the newest {@code capacity} events in order, through growth and wrap-around. */
@Tag("unit")
class HistoryTest {
    private static Event event(long id) {
        return new Event("channel:a", id, new byte[0], 0);
    }

    private static void appendRange(History history, long fromInclusive, long toInclusive) {
        for (long id = fromInclusive; id <= toInclusive; id++) {
            history.append(event(id));
        }
    }

    private static List<Long> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    private static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }

    @Test
    void append_withCapacityZero_keepsNothing() {
        History history = new History(0);
        appendRange(history, 1, 20);
        assertTrue(history.after(0).isEmpty());
        assertEquals(21, history.oldestId(20), "nothing retained: oldest is head + 1");
    }

    @Test
    void append_beyondCapacity_keepsOnlyTheNewest() {
        History history = new History(3);
        appendRange(history, 1, 10);
        assertEquals(List.of(8L, 9L, 10L), ids(history.after(0)));
        assertEquals(8, history.oldestId(10));
    }

    @Test
    void append_withCapacityOne_keepsOnlyTheLast() {
        History history = new History(1);
        appendRange(history, 1, 5);
        assertEquals(List.of(5L), ids(history.after(0)));
        assertEquals(5, history.oldestId(5));
    }

    @Test
    void after_returnsOnlyIdsStrictlyGreater_oldestFirst() {
        History history = new History(10);
        appendRange(history, 1, 5);
        assertEquals(List.of(4L, 5L), ids(history.after(3)));
        assertTrue(history.after(5).isEmpty(), "after the newest: nothing");
        assertTrue(history.after(Long.MAX_VALUE).isEmpty());
        assertEquals(range(1, 5), ids(history.after(-1)));
        assertEquals(range(1, 5), ids(history.after(Long.MIN_VALUE)));
    }

    @Test
    void after_withGapsInIds_filtersByValueNotPosition() {
        History history = new History(10);
        for (long id : new long[] {2, 4, 6, 8}) {
            history.append(event(id));
        }
        assertEquals(List.of(4L, 6L, 8L), ids(history.after(3)));
        assertEquals(List.of(6L, 8L), ids(history.after(4)));
    }

    @Test
    void after_returnsACopy_thatLaterAppendsDoNotChange() {
        History history = new History(2);
        appendRange(history, 1, 2);
        List<Event> snapshot = history.after(0);
        appendRange(history, 3, 4);
        assertEquals(List.of(1L, 2L), ids(snapshot));
    }

    @Test
    void oldestId_whenEmpty_isHeadPlusOne_otherwiseTheOldestRetained() {
        History history = new History(4);
        assertEquals(1, history.oldestId(0));
        assertEquals(43, history.oldestId(42));
        appendRange(history, 40, 42);
        assertEquals(40, history.oldestId(42), "the head is ignored while something is retained");
    }

    @Test
    void clear_forgetsEverything_andLaterAppendsGrowAgainInOrder() {
        History history = new History(20);
        appendRange(history, 1, 30);
        history.clear();
        assertTrue(history.after(0).isEmpty());
        assertEquals(31, history.oldestId(30));
        appendRange(history, 31, 80);
        assertEquals(range(61, 80), ids(history.after(0)), "after clear the ring grows back to full capacity");
        assertEquals(61, history.oldestId(80));
    }

    @Test
    void growth_pastInitialRing_preservesOrderThenWrapsKeepingNewest() {
        History history = new History(100);
        appendRange(history, 1, 100);
        assertEquals(range(1, 100), ids(history.after(0)), "grown from 8 to 100 without losing or reordering");
        appendRange(history, 101, 250);
        assertEquals(range(151, 250), ids(history.after(0)));
        assertEquals(range(201, 250), ids(history.after(200)));
    }

    /** Against a model: for every capacity and fill level, exactly the newest min(n, capacity) ids, in order. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 100})
    void append_anyCountAnyCapacity_matchesNewestWindow(int capacity) {
        for (int n = 0; n <= 3 * capacity + 2; n++) {
            History history = new History(capacity);
            appendRange(history, 1, n);
            long oldest = Math.max(1, n - capacity + 1);
            assertEquals(range(oldest, n), ids(history.after(0)), "capacity " + capacity + ", " + n + " appended");
            assertEquals(n == 0 ? 1 : oldest, history.oldestId(n));
        }
    }
}
