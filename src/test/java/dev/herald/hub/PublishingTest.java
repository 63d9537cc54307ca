package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.herald.Await;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every publish of the pod goes through {@link Publishing}, which counts each outcome exactly once. */
@Tag("unit")
class PublishingTest {
    private static final byte[] BODY = "{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8);
    private static final RateLimiter.Budget CHAT = new RateLimiter.Budget("chat", "user:ann", 10, 10);

    private static RateLimiter.Budget channel(String channel, double perSecond, int burst) {
        return new RateLimiter.Budget("channel", channel, perSecond, burst);
    }

    @Test
    void anAcceptedPublish_countsOnePublished() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            Publishing publishing = new Publishing(broker, metrics);
            publishing.publish("channel:a", BODY);
            publishing.publish("channel:a", BODY, new LocalRateLimiter(), null, channel("channel:a", 10, 10), null);
        }
        assertEquals(2, metrics.published.get());
        assertEquals(0, metrics.failed.get());
    }

    @Test
    void aPublishTheBrokerCannotStore_countsOneError_andTheCallerStillSeesIt() {
        Counting metrics = new Counting();
        Publishing publishing = new Publishing(new Unavailable(), metrics);
        assertThrows(BrokerUnavailableException.class, () -> publishing.publish("channel:a", BODY));
        assertThrows(BrokerUnavailableException.class,
                     () -> publishing.publish("channel:a", BODY, new LocalRateLimiter(), null, channel("channel:a", 10, 10), null));
        assertEquals(0, metrics.published.get());
        assertEquals(2, metrics.failed.get());
    }

    @Test
    void aPublishRefusedForTheChannelBudget_isNeitherPublishedNorAnError() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            Publishing publishing = new Publishing(broker, metrics);
            LocalRateLimiter limiter = new LocalRateLimiter();
            publishing.publish("channel:b", BODY, limiter, null, channel("channel:b", 0.001, 1), null);
            RateLimitedException refused = assertThrows(RateLimitedException.class,
                    () -> publishing.publish("channel:b", BODY, limiter, null, channel("channel:b", 0.001, 1), null));
            assertEquals("channel", refused.limit());
        }
        assertEquals(1, metrics.published.get());
        assertEquals(0, metrics.failed.get());
    }

    @Test
    void aSenderBudgetTheBackendCannotCheck_countsOneError_andPublishesNothing() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            Publishing publishing = new Publishing(broker, metrics);
            RateLimiter down = (key, perSecond, burst) -> {
                throw new BrokerUnavailableException("down", null);
            };
            assertThrows(BrokerUnavailableException.class,
                         () -> publishing.publish("channel:c", BODY, down, CHAT, channel("channel:c", 10, 10), null));
            assertEquals(0, broker.head("channel:c"), "nothing published");
        }
        assertEquals(0, metrics.published.get());
        assertEquals(1, metrics.failed.get());
    }

    @Test
    void aStoreFailureAfterTheSenderBudget_countsOneErrorOnly() {
        Counting metrics = new Counting();
        Publishing publishing = new Publishing(new Unavailable(), metrics);
        assertThrows(BrokerUnavailableException.class,
                     () -> publishing.publish("channel:a", BODY, new LocalRateLimiter(), CHAT, channel("channel:a", 10, 10), null));
        assertEquals(1, metrics.failed.get());
    }

    @Test
    void aPublishRefusedForTheSenderBudget_namesIt_countsNothing_andLeavesTheChannelBudget() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            Publishing publishing = new Publishing(broker, metrics);
            LocalRateLimiter limiter = new LocalRateLimiter();
            RateLimiter.Budget once = new RateLimiter.Budget("chat", "user:ann", 0.001, 1);
            publishing.publish("channel:d", BODY, limiter, once, channel("channel:d", 0.001, 2), null);
            RateLimitedException refused = assertThrows(RateLimitedException.class,
                    () -> publishing.publish("channel:d", BODY, limiter, once, channel("channel:d", 0.001, 2), null));
            assertEquals("chat", refused.limit());
            publishing.publish("channel:d", BODY, limiter, null, channel("channel:d", 0.001, 2), null); // the channel's second token is still there
        }
        assertEquals(2, metrics.published.get());
        assertEquals(0, metrics.failed.get());
    }

    @Test
    void presenceAnnouncements_goThroughTheCountedPath() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            PresenceTracker presence = new PresenceTracker(new LocalPresence(), new Publishing(broker, metrics));
            presence.joined(List.of("channel:room", "user:ann"), "ann", "Ann");
            presence.joined(List.of("channel:room"), "ann", "Ann");
            presence.left(List.of("channel:room"), "ann", "Ann");
            presence.left(List.of("channel:room", "user:ann"), "ann", "Ann");
            assertEquals(2, broker.head("channel:room"), "one online, one offline");
        }
        assertEquals(2, metrics.published.get());
    }

    @Test
    void presenceThatCannotBeAnnounced_countsAnError_andDoesNotFailTheStream() {
        Counting metrics = new Counting();
        PresenceTracker presence = new PresenceTracker(new LocalPresence(), new Publishing(new Unavailable(), metrics));
        presence.joined(List.of("channel:room"), "ann", "Ann");
        assertEquals(1, metrics.failed.get());
    }

    @Test
    void jobProgress_goesThroughTheCountedPath() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started(); dev.herald.jobs.Jobs jobs = new dev.herald.jobs.Jobs(
                new dev.herald.jobs.LocalJobStore(new Publishing(broker, metrics), null, 0, 0, Duration.ofHours(1)),
                metrics, 1, java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), 1024, () -> { }, () -> { }, n -> { })) {
            jobs.start();
            jobs.start("olga", "export", "", "/r/{jobId}", (reporter, out) -> reporter.progress(50, "half"));
            Await.until("start, progress and completion", Duration.ofSeconds(5), () -> metrics.published.get() == 3);
            assertEquals(3, broker.head("user:olga"));
        }
    }

    @Test
    void aServerEventOverTheChannelBudget_isDroppedAndCounted_unlessItMayWaitForAToken() {
        Counting metrics = new Counting();
        try (LocalBroker broker = started()) {
            Publishing slow = new Publishing(broker, metrics, new LocalRateLimiter(), 0.001, 1);
            assertEquals(true, slow.publishServerEvent("channel:s", BODY, "presence"));
            assertEquals(false, slow.publishServerEvent("channel:s", BODY, "presence"), "the burst of 1 is spent");
            assertEquals(1, broker.head("channel:s"));
            assertEquals(1, metrics.dropped.get());

            Publishing patient = new Publishing(broker, metrics, new LocalRateLimiter(), 4, 1);
            assertEquals(true, patient.publishServerEvent("channel:t", BODY, "job"));
            assertEquals(true, patient.publishServerEvent("channel:t", BODY, "job", Duration.ofSeconds(5)),
                         "waits the 250 ms until the next token");
            assertEquals(2, broker.head("channel:t"));
        }
        assertEquals(3, metrics.published.get());
        assertEquals(1, metrics.dropped.get());
    }

    private static LocalBroker started() {
        LocalBroker broker = new LocalBroker(100, Duration.ofHours(1));
        broker.start(Ignoring.LISTENER);
        return broker;
    }

    /** A broker whose store is down. */
    private static final class Unavailable implements Broker {
        @Override
        public void start(BrokerListener listener) {
        }

        @Override
        public Event publish(String channel, byte[] body) {
            throw new BrokerUnavailableException("down", null);
        }

        @Override
        public Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget budget,
                                 Idempotency idempotency) {
            throw new BrokerUnavailableException("down", null);
        }

        @Override
        public java.util.OptionalLong published(String channel, Idempotency idempotency) {
            throw new BrokerUnavailableException("down", null);
        }

        @Override
        public java.time.Duration cursorTtl() {
            return java.time.Duration.ofDays(1);
        }

        @Override
        public void subscribe(String channel) {
        }

        @Override
        public void unsubscribe(String channel) {
        }

        @Override
        public ChannelState state(String channel) {
            throw new BrokerUnavailableException("down", null);
        }

        @Override
        public long head(String channel) {
            return 0;
        }

        @Override
        public Replay replay(String channel, long after, long maxBytes) {
            return new Replay(List.of(), true, 0);
        }

        @Override
        public String epoch() {
            return "e";
        }

        @Override
        public boolean ready() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    /** Counts what the publish path reports. Thread-safe: atomic counters. */
    private static final class Counting implements HubMetrics {
        final AtomicInteger published = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger replayed = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();

        @Override
        public void eventsSent(int count) {
        }

        @Override
        public void eventPublished() {
            published.incrementAndGet();
        }

        @Override
        public void publishFailed() {
            failed.incrementAndGet();
        }

        @Override
        public void idempotentReplay() {
            replayed.incrementAndGet();
        }

        @Override
        public void eventsDropped(DropReason reason, int count) {
        }

        @Override
        public void serverEventDropped(String source) {
            dropped.incrementAndGet();
        }

        @Override
        public void slowConsumerDisconnected() {
        }

        @Override
        public void tokenExpired() {
        }

        @Override
        public void deliveryLatency(long millis) {
        }

        @Override
        public void historyBreak(BrokerListener.Break reason) {
        }
    }
}
