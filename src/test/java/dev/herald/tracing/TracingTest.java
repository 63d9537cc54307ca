package dev.herald.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.hub.BrokerListener;
import dev.herald.redis.RedisProcess;

import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Tracing end to end against an OTLP/HTTP receiver: a publish with the caller's {@code traceparent} on pod A, its
 * Redis publish, and its delivery and write on pod B, all in the caller's trace with the right parents; the same in
 * embedded mode without Redis; and with tracing off, nothing exported and the Redis message as before.
 */
class TracingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01";

    @Test
    void clusteredPublish_withTraceparent_exportsPublishRedisDeliverAndWriteInTheCallersTrace() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start(); RedisProcess redis = RedisProcess.start(false);
             RawMessages raw = RawMessages.listen(redis, "realtime:channel:traced")) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.tracing.otlp-endpoint", receiver.endpoint());
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config);
                 SseClient stream = b.subscribe(HttpClient.Version.HTTP_1_1, b.serviceToken(), "channel:traced")) {
                stream.awaitCursor(WAIT);
                assertEquals(202, publish(a, "channel:traced", TRACEPARENT).statusCode());
                String data = stream.awaitEvents("note", 1, WAIT).get(0).toString();
                assertEquals("hi", TestPod.json(data).get("text").asText(), "the event reaches the client intact");

                Map<String, OtlpReceiver.Received> spans = await(receiver, "publish", "redis.publish", "deliver",
                                                                 "stream.write");
                OtlpReceiver.Received publish = spans.get("publish");
                OtlpReceiver.Received redisPublish = spans.get("redis.publish");
                OtlpReceiver.Received deliver = spans.get("deliver");
                OtlpReceiver.Received write = spans.get("stream.write");
                spans.values().forEach(span -> assertEquals(TRACE_ID, span.traceId(), span.name()));
                assertEquals(CALLER_SPAN, publish.parentSpanId(), "publish continues the caller's span");
                assertEquals(publish.spanId(), redisPublish.parentSpanId());
                assertEquals(redisPublish.spanId(), deliver.parentSpanId(), "deliver's parent came in the message");
                assertEquals(deliver.spanId(), write.parentSpanId());
                assertEquals(Span.SpanKind.SPAN_KIND_SERVER, publish.kind());
                assertEquals(Span.SpanKind.SPAN_KIND_PRODUCER, redisPublish.kind());
                assertEquals(Span.SpanKind.SPAN_KIND_CONSUMER, deliver.kind());
                assertEquals(a.herald().podId(), publish.pod());
                assertEquals(a.herald().podId(), redisPublish.pod());
                assertEquals(b.herald().podId(), deliver.pod());
                assertEquals(b.herald().podId(), write.pod());
                assertEquals("herald", deliver.resource().get("service.name"));
                for (OtlpReceiver.Received span : List.of(publish, redisPublish, deliver, write)) {
                    assertEquals("channel:traced", span.attributes().get("herald.channel"), span.name());
                }
                assertEquals("1", deliver.attributes().get("herald.subscribers"));
                assertEquals(publish.attributes().get("herald.event.id"), deliver.attributes().get("herald.event.id"));

                // the message carries the Redis publish's context after the JSON, on a line of its own
                String message = raw.await(1).get(0);
                assertTrue(message.endsWith(data + "\n00-" + TRACE_ID + "-" + redisPublish.spanId() + "-01"),
                           message);
            }
        }
    }

    @Test
    void embeddedPublish_withTraceparent_exportsPublishDeliverAndWriteInOneTrace() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start();
             TestPod pod = TestPod.start(Map.of("herald.tracing.otlp-endpoint", receiver.endpoint()));
             SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:local")) {
            stream.awaitCursor(WAIT);
            assertEquals(202, publish(pod, "channel:local", TRACEPARENT).statusCode());
            stream.awaitEvents("note", 1, WAIT);

            Map<String, OtlpReceiver.Received> spans = await(receiver, "publish", "deliver", "stream.write");
            spans.values().forEach(span -> assertEquals(TRACE_ID, span.traceId(), span.name()));
            assertEquals(CALLER_SPAN, spans.get("publish").parentSpanId());
            assertEquals(spans.get("publish").spanId(), spans.get("deliver").parentSpanId());
            assertEquals(spans.get("deliver").spanId(), spans.get("stream.write").parentSpanId());
            assertEquals("channel:local", spans.get("deliver").attributes().get("herald.channel"));
            assertFalse(receiver.spans().stream().anyMatch(span -> span.name().equals("redis.publish")));
        }
    }

    @Test
    void embeddedPublish_withoutTraceparent_startsATraceOfItsOwn() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start();
             TestPod pod = TestPod.start(Map.of("herald.tracing.otlp-endpoint", receiver.endpoint()));
             SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), "channel:root")) {
            stream.awaitCursor(WAIT);
            assertEquals(202, publish(pod, "channel:root", null).statusCode());
            stream.awaitEvents("note", 1, WAIT);
            Map<String, OtlpReceiver.Received> spans = await(receiver, "publish", "deliver", "stream.write");
            assertEquals("", spans.get("publish").parentSpanId());
            assertEquals(spans.get("publish").traceId(), spans.get("stream.write").traceId());
        }
    }

    @Test
    void tracingOff_exportsNothing_andTheRedisMessageIsUnchanged() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start(); RedisProcess redis = RedisProcess.start(false);
             RawMessages raw = RawMessages.listen(redis, "realtime:channel:plain")) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url());
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config);
                 SseClient stream = b.subscribe(HttpClient.Version.HTTP_1_1, b.serviceToken(), "channel:plain")) {
                stream.awaitCursor(WAIT);
                assertEquals(202, publish(a, "channel:plain", TRACEPARENT).statusCode());
                String data = stream.awaitEvents("note", 1, WAIT).get(0).toString();
                String message = raw.await(1).get(0);
                // "<epoch> <id> <ms> <json>": nothing after the JSON
                String[] parts = message.split(" ", 4);
                assertEquals(data, parts[3]);
                assertFalse(message.contains("\n"));
                assertEquals(0, receiver.requests(), "nothing was exported");
            }
        }
    }

    @Test
    void sampleRatioZero_withoutTraceparent_exportsNothing_andTheMessageCarriesNoTrace() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start(); RedisProcess redis = RedisProcess.start(false);
             RawMessages raw = RawMessages.listen(redis, "realtime:channel:unsampled")) {
            TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(),
                                               "herald.tracing.otlp-endpoint", receiver.endpoint(),
                                               "herald.tracing.sample-ratio", "0"));
            try (pod; SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(),
                                                       "channel:unsampled")) {
                stream.awaitCursor(WAIT);
                assertEquals(202, publish(pod, "channel:unsampled", null).statusCode());
                String data = stream.awaitEvents("note", 1, WAIT).get(0).toString();
                assertEquals(data, raw.await(1).get(0).split(" ", 4)[3]);
            }
            // stopping the pod flushed its exporter: anything recorded would have been sent by now
            assertEquals(0, receiver.spans().size(), receiver.spans().toString());
        }
    }

    @Test
    void tracingOff_isOneSharedObject_andTheBrokerDeliversToTheHubItself() {
        BrokerListener hub = new BrokerListener() {
            @Override
            public void deliver(dev.herald.hub.Event event) {
            }

            @Override
            public void historyLost() {
            }

            @Override
            public void resync(String channel, long from, Break reason) {
            }
        };
        Tracing off = Tracing.of(java.util.Optional.empty(), 1.0, "pod");
        assertSame(Tracing.off(), off);
        off.start();
        assertSame(hub, off.listener(hub, channel -> 0));
        try (Traced publish = off.publish(TRACEPARENT, "channel:x", "svc");
             Traced redisPublish = off.redisPublish("channel:x")) {
            assertSame(Traced.NONE, publish);
            assertSame(Traced.NONE, redisPublish);
        }
        off.close();
    }

    private static HttpResponse<String> publish(TestPod pod, String channel, String traceparent) {
        HttpRequest.Builder request = HttpRequest.newBuilder(pod.uri("/api/publish"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + pod.serviceToken())
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + channel
                                                          + "\",\"type\":\"note\",\"text\":\"hi\"}"));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return pod.send(HttpClient.Version.HTTP_1_1, request.build());
    }

    /** Waits until the receiver holds one span of each name; returns them by name. */
    private static Map<String, OtlpReceiver.Received> await(OtlpReceiver receiver, String... names) {
        Map<String, OtlpReceiver.Received> byName = new HashMap<>();
        try {
            Await.until("spans " + List.of(names), WAIT, () -> {
                byName.clear();
                receiver.spans().forEach(span -> byName.putIfAbsent(span.name(), span));
                return byName.keySet().containsAll(List.of(names));
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the receiver had " + receiver.requests() + " requests, "
                                     + receiver.spans() + ", errors " + receiver.errors, e);
        }
        return byName;
    }

    /** A plain Redis subscriber: the bytes every pod reads. */
    private static final class RawMessages extends JedisPubSub implements AutoCloseable {
        private final List<String> messages = new CopyOnWriteArrayList<>();
        private volatile boolean subscribed;
        private final Thread thread;

        private RawMessages(RedisProcess redis, String pubsub) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
                    jedis.subscribe(this, pubsub);
                }
            });
        }

        static RawMessages listen(RedisProcess redis, String pubsub) {
            RawMessages raw = new RawMessages(redis, pubsub);
            Await.until("the raw subscription", WAIT, () -> raw.subscribed);
            return raw;
        }

        @Override
        public void onSubscribe(String channel, int count) {
            subscribed = true;
        }

        @Override
        public void onMessage(String channel, String message) {
            messages.add(message);
        }

        List<String> await(int count) {
            Await.until(count + " raw messages", WAIT, () -> messages.size() >= count);
            return messages;
        }

        @Override
        public void close() throws InterruptedException {
            if (subscribed) {
                unsubscribe();
            }
            thread.join(WAIT);
        }
    }
}
