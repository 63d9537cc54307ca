package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.herald.Await;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Broker} promises (the contract in its Javadoc and docs/architecture.md), run against each
 * backend so the embedded and the Redis twins cannot drift apart (as Centrifuge's shared broker tests). A subclass
 * builds a fresh {@link Backend}; the tests start it, drive its broker as the hub would, and stop it.
 */
public abstract class BrokerContract {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A new backend, built and not started, isolated from every other test's. */
    protected abstract Backend newBackend(int historySize, Duration historyTtl);

    private final List<Backend> started = new ArrayList<>();

    @AfterEach
    void stopBackends() {
        started.forEach(Backend::stop);
    }

    @Test
    void publish_assignsIdsFromOnePerChannel_andSplicesTheIdIntoTheBody() {
        Broker broker = start(new Recorder());
        assertEquals(1, broker.publish("channel:a", body("x")).id());
        assertEquals(2, broker.publish("channel:a", body("y")).id());
        Event first = broker.publish("channel:b", body("z"));
        assertEquals(1, first.id(), "each channel counts on its own");
        assertEquals("{\"id\":1,\"type\":\"t\",\"v\":\"z\"}", text(first));
        assertEquals("channel:b", first.channel());
    }

    @Test
    void publish_returnsOnlyOnceTheEventIsInHistory() {
        Broker broker = start(new Recorder());
        for (int i = 1; i <= 20; i++) {
            Event published = broker.publish("channel:h", body("e" + i));
            Replay replay = broker.replay("channel:h", i - 1);
            assertTrue(replay.complete());
            assertEquals(1, replay.events().size(), "event " + i + " is stored when publish returns");
            assertArrayEquals(published.data(), replay.events().get(0).data(), "stored as delivered");
        }
    }

    @Test
    void subscribedChannels_reachTheListenerInIdOrder_onceEach_fromManyPublishers() throws Exception {
        Recorder recorder = new Recorder();
        Broker broker = start(recorder);
        List<String> channels = List.of("channel:p1", "channel:p2");
        channels.forEach(broker::subscribe);
        int threads = 4;
        int perThread = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        broker.publish(channels.get(i % 2), body("n" + i));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (String channel : channels) {
            int expected = threads * perThread / 2;
            Await.until(expected + " events of " + channel, WAIT, () -> recorder.ids(channel).size() >= expected);
            List<Long> ids = recorder.ids(channel);
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(i + 1, ids.get(i), channel + " in id order, no gap, no duplicate: " + ids);
            }
            assertEquals(expected, ids.size());
        }
        assertEquals(0, recorder.historyLost.get(), "nothing was lost");
        assertEquals(List.of(), recorder.resyncs, "no break in any channel's history");
    }

    @Test
    void replay_afterAPositionInHistory_isCompleteWithEveryLaterEvent() {
        Broker broker = start(new Recorder());
        publish(broker, "channel:r", 5);
        Replay replay = broker.replay("channel:r", 2);
        assertTrue(replay.complete());
        assertEquals(List.of(3L, 4L, 5L), ids(replay));
        assertEquals(5, replay.head());
    }

    @Test
    void replay_atTheHead_orOfAnUnusedChannelFromZero_isCompleteAndEmpty() {
        Broker broker = start(new Recorder());
        publish(broker, "channel:r", 3);
        Replay atHead = broker.replay("channel:r", 3);
        assertTrue(atHead.complete());
        assertEquals(List.of(), ids(atHead));
        Replay unused = broker.replay("channel:never", 0);
        assertTrue(unused.complete());
        assertEquals(List.of(), ids(unused));
        assertEquals(0, unused.head());
    }

    @Test
    void replay_olderThanWhatHistoryKeeps_isIncomplete_withWhatIsLeft() {
        // history of 3: a broker may keep more (Redis trims approximately) but never reaches back to event 2
        Broker broker = start(new Recorder(), 3, Duration.ofHours(1));
        publish(broker, "channel:t", 300);
        Replay replay = broker.replay("channel:t", 1);
        assertFalse(replay.complete(), "events after 1 were trimmed");
        List<Long> ids = ids(replay);
        assertFalse(ids.isEmpty());
        assertTrue(ids.get(0) > 2, "trimmed from the front: " + ids.get(0));
        assertEquals(300, ids.get(ids.size() - 1));
        assertEquals(300, replay.head());
    }

    @Test
    void replay_aheadOfTheHead_orFromAnUnknownPosition_isIncompleteWithEverythingRetained() {
        Broker broker = start(new Recorder());
        publish(broker, "channel:u", 4);
        Replay ahead = broker.replay("channel:u", 9);
        assertFalse(ahead.complete(), "9 was never written here");
        assertEquals(List.of(1L, 2L, 3L, 4L), ids(ahead));
        Replay unknown = broker.replay("channel:u", Replay.UNKNOWN);
        assertFalse(unknown.complete());
        assertEquals(List.of(1L, 2L, 3L, 4L), ids(unknown));
        assertEquals(4, unknown.head());
    }

    @Test
    void head_isZeroForAnUnusedChannel_andTheLastIdOnceDelivered() {
        Recorder recorder = new Recorder();
        Broker broker = start(recorder);
        assertEquals(0, broker.head("channel:none"));
        broker.subscribe("channel:k");
        publish(broker, "channel:k", 7);
        Await.until("7 deliveries", WAIT, () -> recorder.ids("channel:k").size() == 7);
        assertEquals(7, broker.head("channel:k"));
    }

    @Test
    void channelBudget_refusesPastTheBurst_storingNothing_andTakingNoId() {
        Backend backend = newBackend(100, Duration.ofHours(1));
        Broker broker = start(backend, new Recorder());
        RateLimiter limiter = backend.rateLimiter();
        RateLimiter.Budget budget = new RateLimiter.Budget("channel", "channel:q", 0.001, 2);
        assertEquals(1, broker.publish("channel:q", body("a"), limiter, budget, null).id());
        assertEquals(2, broker.publish("channel:q", body("b"), limiter, budget, null).id());
        RateLimitedException refused = assertThrows(RateLimitedException.class,
                                                    () -> broker.publish("channel:q", body("c"), limiter, budget, null));
        assertTrue(refused.waitMillis() > 0);
        assertEquals("channel", refused.limit());
        assertEquals(List.of(1L, 2L), ids(broker.replay("channel:q", 0)), "nothing stored");
        assertEquals(3, broker.publish("channel:q", body("d")).id(), "the refused publish took no id");
    }

    @Test
    void idempotentPublish_theSameRequestAgain_getsTheFirstId_andPublishesNothing() {
        Recorder recorder = new Recorder();
        Backend backend = newBackend(100, Duration.ofHours(1));
        Broker broker = start(backend, recorder);
        broker.subscribe("channel:i");
        Idempotency key = new Idempotency("backend", "k-1", "request-a");
        assertEquals(java.util.OptionalLong.empty(), broker.published("channel:i", key));
        Broker.Published first = broker.publish("channel:i", body("a"), backend.rateLimiter(), null, key);
        Broker.Published again = broker.publish("channel:i", body("a"), backend.rateLimiter(), null, key);
        assertEquals(new Broker.Published(1, false), first);
        assertEquals(new Broker.Published(1, true), again);
        assertEquals(java.util.OptionalLong.of(1), broker.published("channel:i", key));
        assertEquals(List.of(1L), ids(broker.replay("channel:i", 0)), "stored once");
        assertEquals(2, broker.publish("channel:i", body("b")).id());
        Await.until("both events delivered", WAIT, () -> recorder.ids("channel:i").size() == 2);
        assertEquals(List.of(1L, 2L), recorder.ids("channel:i"), "delivered once");
        Broker.Published otherPublisher = broker.publish("channel:i", body("a"), backend.rateLimiter(), null,
                                                         new Idempotency("someone-else", "k-1", "request-a"));
        assertEquals(new Broker.Published(3, false), otherPublisher, "keys of different publishers never meet");
    }

    @Test
    void idempotentPublish_theSameKeyWithAnotherRequest_isRefused_andPublishesNothing() {
        Backend backend = newBackend(100, Duration.ofHours(1));
        Broker broker = start(backend, new Recorder());
        broker.publish("channel:j", body("a"), backend.rateLimiter(), null, new Idempotency("p", "k", "request-a"));
        Idempotency reused = new Idempotency("p", "k", "request-b");
        assertThrows(IdempotencyConflictException.class,
                     () -> broker.publish("channel:j", body("b"), backend.rateLimiter(), null, reused));
        assertThrows(IdempotencyConflictException.class, () -> broker.published("channel:j", reused));
        assertEquals(List.of(1L), ids(broker.replay("channel:j", 0)));
    }

    @Test
    void idempotentReplay_takesNoBudget_butARefusedPublishIsNotRemembered() {
        Backend backend = newBackend(100, Duration.ofHours(1));
        Broker broker = start(backend, new Recorder());
        RateLimiter limiter = backend.rateLimiter();
        RateLimiter.Budget once = new RateLimiter.Budget("channel", "channel:m", 0.001, 1);
        Idempotency first = new Idempotency("p", "first", "r1");
        assertEquals(1, broker.publish("channel:m", body("a"), limiter, once, first).id());
        assertEquals(new Broker.Published(1, true), broker.publish("channel:m", body("a"), limiter, once, first),
                     "a replay is answered although the budget is spent");
        Idempotency second = new Idempotency("p", "second", "r2");
        assertThrows(RateLimitedException.class, () -> broker.publish("channel:m", body("b"), limiter, once, second));
        assertEquals(java.util.OptionalLong.empty(), broker.published("channel:m", second), "a refusal is not kept");
        RateLimiter.Budget roomy = new RateLimiter.Budget("channel", "channel:m2", 0.001, 5);
        assertEquals(new Broker.Published(1, false), broker.publish("channel:m2", body("b"), limiter, roomy, second),
                     "the same key, sent again once it can be accepted, publishes");
    }

    @Test
    void idempotentPublish_sentManyTimesAtOnce_publishesOnce_andEveryoneGetsItsId() throws Exception {
        Backend backend = newBackend(100, Duration.ofHours(1));
        Broker broker = start(backend, new Recorder());
        Idempotency key = new Idempotency("p", "storm", "request");
        int senders = 8;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Broker.Published>> answers = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return broker.publish("channel:s", body("x"), backend.rateLimiter(), null, key);
                }));
            }
            go.countDown();
            int fresh = 0;
            for (Future<Broker.Published> answer : answers) {
                Broker.Published published = answer.get(30, TimeUnit.SECONDS);
                assertEquals(1, published.id());
                fresh += published.replayed() ? 0 : 1;
            }
            assertEquals(1, fresh, "exactly one request published");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(1L), ids(broker.replay("channel:s", 0)));
    }

    @Test
    void historyOfAnIdleChannelExpires_butIdsNeverStartOver() {
        Broker broker = start(new Recorder(), 100, Duration.ofSeconds(1));
        publish(broker, "channel:x", 2);
        Await.until("the idle history to expire", WAIT, () -> !broker.replay("channel:x", 1).complete());
        assertEquals(List.of(), ids(broker.replay("channel:x", 1)));
        assertEquals(3, broker.publish("channel:x", body("later")).id(), "a cursor at 2 must never see a new 1");
        assertTrue(broker.replay("channel:x", 2).complete());
    }

    @Test
    void epoch_isSetAndStable_andTheBrokerIsReadyOnceStarted() {
        Broker broker = start(new Recorder());
        String epoch = broker.epoch();
        assertNotEquals("", epoch);
        publish(broker, "channel:e", 3);
        assertEquals(epoch, broker.epoch());
        Await.until("the broker to be ready", WAIT, broker::ready);
    }

    @Test
    void stop_isIdempotent() {
        Backend backend = newBackend(10, Duration.ofHours(1));
        backend.start(new Recorder());
        backend.stop();
        backend.stop();
    }

    private Broker start(Recorder recorder) {
        return start(recorder, 1000, Duration.ofHours(1));
    }

    private Broker start(Recorder recorder, int historySize, Duration ttl) {
        return start(newBackend(historySize, ttl), recorder);
    }

    private Broker start(Backend backend, Recorder recorder) {
        backend.start(recorder);
        started.add(backend);
        return backend.broker();
    }

    private static void publish(Broker broker, String channel, int count) {
        for (int i = 0; i < count; i++) {
            broker.publish(channel, body("n" + i));
        }
    }

    private static byte[] body(String value) {
        return ("{\"type\":\"t\",\"v\":\"" + value + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Event event) {
        return new String(event.data(), StandardCharsets.UTF_8);
    }

    private static List<Long> ids(Replay replay) {
        return replay.events().stream().map(Event::id).toList();
    }

    /** The hub's side: what reached it, per channel, in order. Thread-safe: delivery may come from any thread. */
    private static final class Recorder implements BrokerListener {
        private final Map<String, List<Long>> delivered = new ConcurrentHashMap<>();
        private final AtomicInteger historyLost = new AtomicInteger();
        private final List<String> resyncs = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void deliver(Event event) {
            delivered.computeIfAbsent(event.channel(), c -> Collections.synchronizedList(new ArrayList<>()))
                    .add(event.id());
        }

        @Override
        public void historyLost() {
            historyLost.incrementAndGet();
        }

        @Override
        public void resync(String channel, long from, Break reason) {
            resyncs.add(channel + " " + reason);
        }

        List<Long> ids(String channel) {
            List<Long> ids = delivered.getOrDefault(channel, List.of());
            synchronized (ids) {
                return List.copyOf(ids);
            }
        }
    }
}
