package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.Tag("unit")
class LocalBrokerTest {
    private static final byte[] BODY = "{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void expiredHistory_keepsIdsGoing_andAnOldCursorGetsResync() {
        try (LocalBroker broker = new LocalBroker(10, Duration.ZERO)) {
            List<Event> delivered = new ArrayList<>();
            broker.start(new BrokerListener() {
                @Override
                public void deliver(Event event) {
                    delivered.add(event);
                }

                @Override
                public void historyLost() {
                    throw new AssertionError("the local broker never loses history");
                }

                @Override
                public void resync(String channel, long from, Break reason) {
                }
            });
            broker.publish("channel:a", BODY);
            broker.publish("channel:a", BODY);
            broker.sweep();
            Replay expired = broker.replay("channel:a", 1);
            assertFalse(expired.complete(), "event 2 is gone: the client must resync");
            assertEquals(2, expired.head());
            assertEquals(3, broker.publish("channel:a", BODY).id(), "ids never restart under a cursor");
            assertTrue(broker.replay("channel:a", 2).complete());
            assertEquals("{\"id\":3,\"type\":\"t\"}", new String(delivered.get(2).data(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void replay_isCompleteOnlyWhenHistoryCoversTheCursor() {
        try (LocalBroker broker = new LocalBroker(3, Duration.ofHours(1))) {
            broker.start(Ignoring.LISTENER);
            for (int i = 0; i < 5; i++) {
                broker.publish("channel:b", BODY);
            }
            assertEquals(List.of(4L, 5L), broker.replay("channel:b", 3).events().stream().map(Event::id).toList());
            assertTrue(broker.replay("channel:b", 2).complete(), "3, 4, 5 are held");
            assertFalse(broker.replay("channel:b", 1).complete(), "2 was trimmed");
            assertFalse(broker.replay("channel:b", 9).complete(), "a cursor ahead of the head is from elsewhere");
            assertFalse(broker.replay("channel:b", -1).complete(), "an unknown position");
            assertTrue(broker.replay("channel:none", 0).complete());
        }
    }

    @Test
    void aChannelNobodyPublishesToOrReads_isForgottenAfterTheCursorTtl_andACursorAheadOfItGetsResync() {
        Duration cursorTtl = Duration.ofMinutes(10);
        try (LocalBroker broker = new LocalBroker(10, Duration.ofMinutes(1), Duration.ofHours(1), cursorTtl)) {
            broker.start(Ignoring.LISTENER);
            for (int i = 0; i < 5; i++) {
                broker.publish("channel:idle", BODY);
            }
            long forget = cursorTtl.plus(Broker.cursorSlack(cursorTtl)).toMillis();
            broker.sweep(System.currentTimeMillis() + forget - 1000);
            assertEquals(1, broker.heldChannels(), "not yet: a cursor written just now may still come back");
            broker.sweep(System.currentTimeMillis() + forget + 1000);
            assertEquals(0, broker.heldChannels(), "freed: memory holds only channels in use");
            assertEquals(0, broker.head("channel:idle"));
            Replay ahead = broker.replay("channel:idle", 5);
            assertFalse(ahead.complete(), "a cursor ahead of a forgotten channel resyncs");
            assertEquals(1, broker.publish("channel:idle", BODY).id(), "a new beginning");
        }
    }

    @Test
    void aChannelBeingRead_isNeverForgotten_andItsLastReaderLeavingRestartsTheClock() {
        Duration cursorTtl = Duration.ofMinutes(10);
        try (LocalBroker broker = new LocalBroker(10, Duration.ofMinutes(1), Duration.ofHours(1), cursorTtl)) {
            broker.start(Ignoring.LISTENER);
            broker.publish("channel:read", BODY);
            broker.subscribe("channel:read");
            broker.subscribe("channel:read");
            long forget = cursorTtl.plus(Broker.cursorSlack(cursorTtl)).toMillis();
            broker.sweep(System.currentTimeMillis() + 10 * forget);
            broker.unsubscribe("channel:read");
            broker.sweep(System.currentTimeMillis() + 10 * forget);
            assertEquals(1, broker.heldChannels(), "one reader is left");
            broker.unsubscribe("channel:read");
            long left = System.currentTimeMillis();
            broker.sweep(left + forget - 1000);
            assertEquals(1, broker.heldChannels(), "a cursor written by the last reader is honoured for the TTL");
            assertEquals(2, broker.publish("channel:read", BODY).id(), "its ids go on");
            broker.sweep(System.currentTimeMillis() + forget + 1000);
            assertEquals(0, broker.heldChannels());
        }
    }

    @Test
    void replayOverTheByteBudget_returnsNothing_andSaysSo() {
        try (LocalBroker broker = new LocalBroker(100, Duration.ofHours(1))) {
            broker.start(Ignoring.LISTENER);
            for (int i = 0; i < 10; i++) {
                broker.publish("channel:big", BODY);
            }
            long all = Replay.bytes(broker.replay("channel:big", 0).events());
            Replay over = broker.replay("channel:big", 0, all - 1);
            assertTrue(over.overBudget());
            assertEquals(List.of(), over.events());
            assertEquals(10, over.head());
            assertEquals(10, broker.replay("channel:big", 0, all).events().size());
        }
    }
}
