package dev.herald.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import dev.herald.hub.Broker;
import dev.herald.hub.BrokerListener;
import dev.herald.hub.Cursor;
import dev.herald.hub.Event;
import dev.herald.hub.Idempotency;
import dev.herald.hub.Ignoring;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.LocalBroker;
import dev.herald.hub.RateLimiter;
import dev.herald.hub.Replay;
import dev.herald.hub.Resume;
import dev.herald.hub.Subscription;

import io.helidon.http.http2.Http2ErrorCode;
import io.helidon.http.http2.Http2Exception;
import io.helidon.webserver.ServerConnectionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write loop tells a client that went away (caught by type, quietly) from a failure nobody expected (logged at
 * WARNING with the subscription), and frames what {@link Resume} lets through.
 */
@Tag("unit")
class SseStreamTest {
    private final List<LogRecord> warnings = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger log = Logger.getLogger(SseStream.class.getName());
    private LocalBroker broker;

    @BeforeEach
    void setUp() {
        log.addHandler(capture);
        broker = new LocalBroker(100, Duration.ofHours(1));
        broker.start(Ignoring.LISTENER);
    }

    @AfterEach
    void tearDown() {
        log.removeHandler(capture);
        broker.close();
    }

    @Test
    void aClientThatWentAway_endsTheStreamQuietly_whicheverWayTheServerNoticed() {
        List<Supplier<RuntimeException>> gone = List.of(
                () -> new UncheckedIOException(new IOException("Broken pipe")),
                () -> new ServerConnectionException("connection closed", new IOException("reset")),
                () -> new Http2Exception(Http2ErrorCode.FLOW_CONTROL, "flow-control window stayed shut"));
        for (Supplier<RuntimeException> failure : gone) {
            run(new Failing(failure));
        }
        run(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Connection reset by peer");
            }
        });
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void anUnexpectedFailure_isLoggedAtWarning_withTheSubscription() {
        IllegalStateException bug = new IllegalStateException("a bug");
        run(new Failing(() -> bug));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).getMessage().contains("subscription of ann to [channel:a]"),
                   warnings.get(0).getMessage());
        assertSame(bug, warnings.get(0).getThrown());
    }

    @Test
    void replay_isFramedWithTheCursorOfEachFrame_thenTheIdOnlyFrame() {
        byte[] body = "{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8);
        broker.publish("channel:a", body);
        broker.publish("channel:a", body);
        Subscription subscription = new Subscription(List.of("channel:a"), "ann", 8);
        SseStream stream = new SseStream(subscription, broker, HubMetrics.NONE, List.of(new Resume.After(0)));
        stream.prepare();
        subscription.queue().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long before = System.currentTimeMillis() / 1000;
        stream.run(SseStream.Out.of(out), () -> false, false, 3000, 3000);
        long after = System.currentTimeMillis() / 1000;
        String prefix = "id: " + dev.herald.hub.Cursor.prefix(broker.epoch(), List.of("channel:a"));
        // each cursor says when it was written (base 36 seconds), then the position
        java.util.regex.Matcher written = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix)
                + "([0-9a-z]+)_").matcher(out.toString(StandardCharsets.UTF_8));
        int cursors = 0;
        while (written.find()) {
            long at = Long.parseLong(written.group(1), 36);
            assertTrue(at >= before && at <= after, "written at " + at);
            cursors++;
        }
        assertEquals(3, cursors);
        assertEquals("retry: 3000\n\n"
                     + prefix + "T_1\ndata: {\"id\":1,\"type\":\"t\"}\n\n"
                     + prefix + "T_2\ndata: {\"id\":2,\"type\":\"t\"}\n\n"
                     + prefix + "T_2\n\n",
                     out.toString(StandardCharsets.UTF_8).replaceAll("(id: [0-9a-z]+_[0-9a-z]+_)[0-9a-z]+_", "$1T_"));
    }

    /**
     * With an epoch per channel (a Redis Cluster's slots), a cursor takes a channel's new epoch with that channel's
     * resync only: a cursor never pairs another channel's new epoch with that channel's position in the old ids.
     */
    @Test
    void perChannelEpochs_aChannelsNewEpochEntersTheCursorWithItsResyncOnly() throws Exception {
        Map<String, String> epochs = new ConcurrentHashMap<>(Map.of("channel:a", "ea", "channel:b", "eb"));
        Broker sharded = new PerChannelEpochs(broker, epochs);
        List<String> channels = List.of("channel:a", "channel:b");
        Subscription subscription = new Subscription(channels, "ann", 8);
        SseStream stream = new SseStream(subscription, sharded, HubMetrics.NONE, List.of(Resume.LIVE, Resume.LIVE));
        stream.prepare();
        // both shards lost their data; the resync of channel:a is queued, channel:b's is not yet
        epochs.putAll(Map.of("channel:a", "na", "channel:b", "nb"));
        subscription.queue().offer(Event.resync("channel:a", 0));
        subscription.queue().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stream.run(SseStream.Out.of(out), () -> false, false, 3000, 3000);
        String text = out.toString(StandardCharsets.UTF_8);
        String before = "id: " + Cursor.prefix(Cursor.combine(List.of("ea", "eb")), channels);
        String after = "id: " + Cursor.prefix(Cursor.combine(List.of("na", "eb")), channels);
        assertTrue(text.contains(before), "the id-only frame under both old epochs: " + text);
        assertTrue(text.contains(after), "the resync of channel:a under its new epoch only: " + text);
        assertTrue(!text.contains("id: " + Cursor.prefix(Cursor.combine(List.of("na", "nb")), channels)), text);
    }

    /** A broker whose channels each have an epoch of their own, read from a map. */
    private record PerChannelEpochs(LocalBroker local, Map<String, String> epochs) implements Broker {
        @Override
        public void start(BrokerListener listener) {
        }

        @Override
        public Event publish(String channel, byte[] body) {
            return local.publish(channel, body);
        }

        @Override
        public Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget budget,
                                 Idempotency idempotency) {
            return local.publish(channel, body, limiter, budget, idempotency);
        }

        @Override
        public OptionalLong published(String channel, Idempotency idempotency) {
            return local.published(channel, idempotency);
        }

        @Override
        public ChannelState state(String channel) {
            return local.state(channel);
        }

        @Override
        public void subscribe(String channel) {
        }

        @Override
        public void unsubscribe(String channel) {
        }

        @Override
        public long head(String channel) {
            return local.head(channel);
        }

        @Override
        public Replay replay(String channel, long after, long maxBytes) {
            return local.replay(channel, after, maxBytes);
        }

        @Override
        public Duration cursorTtl() {
            return local.cursorTtl();
        }

        @Override
        public String epoch() {
            return "unused";
        }

        @Override
        public boolean epochPerChannel() {
            return true;
        }

        @Override
        public String epoch(String channel) {
            return epochs.get(channel);
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private void run(OutputStream out) {
        Subscription subscription = new Subscription(List.of("channel:a"), "ann", 8);
        SseStream stream = new SseStream(subscription, broker, HubMetrics.NONE, List.of(Resume.LIVE));
        stream.prepare();
        stream.run(SseStream.Out.of(out), () -> false, false, 3000, 3000);
    }

    /** An output whose every write fails with the given exception. */
    private static final class Failing extends OutputStream {
        private final Supplier<RuntimeException> failure;

        Failing(Supplier<RuntimeException> failure) {
            this.failure = failure;
        }

        @Override
        public void write(int b) {
            throw failure.get();
        }

        @Override
        public void write(byte[] b, int off, int len) {
            throw failure.get();
        }
    }
}
