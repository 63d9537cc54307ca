package dev.herald;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.hub.Subscription;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Draining: readiness goes down, new streams are refused, open streams get a jittered retry and end. */
class ShutdownTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void drain_refusesNewStreams_endsOpenOnesWithJitteredRetry_andReadinessGoesDown() {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.retry", "PT4S"))) {
            String token = pod.token("pat");
            List<SseClient> open = List.of(pod.subscribe(HttpClient.Version.HTTP_1_1, token, "channel:s"),
                                           pod.subscribe(HttpClient.Version.HTTP_2, token, "channel:s"));
            open.forEach(c -> c.awaitCursor(WAIT));
            pod.publish("channel:s", "last", "\"n\":1");
            pod.herald().drain();
            for (SseClient sse : open) {
                sse.awaitEnd(WAIT);
                assertEquals(1, sse.events("last").size(), "queued events are delivered before the end");
                assertEquals(2, sse.retries().size(), sse.rawLines().toString());
                long retry = Long.parseLong(sse.retries().get(1));
                assertTrue(retry >= 2000 && retry <= 6000, "jittered around the usual retry: " + retry);
            }
            HttpResponse<String> ready = pod.get(HttpClient.Version.HTTP_1_1, "/observe/health/ready", null);
            assertEquals(503, ready.statusCode());
            assertEquals("DOWN", TestPod.json(ready.body()).get("status").asText());
            HttpResponse<String> refused = pod.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:s"), token);
            assertEquals(503, refused.statusCode());
            assertEquals("5", refused.headers().firstValue("retry-after").orElseThrow());
            assertEquals(1.0, pod.metric("sse_connections_rejected_total", "reason=\"shutting_down\""));
            assertEquals(200, pod.get(HttpClient.Version.HTTP_1_1, "/observe/health/live", null).statusCode());
        }
    }

    /**
     * Events that reach a stream after the drain ended it are not written, counted as dropped for shutdown, and stay
     * in history. A stream's writer leaves the hub moments after the drain, so a subscription registered without a
     * writer stands for one that has not left yet.
     */
    @Test
    void drain_eventsForAStreamItEnded_areCountedAsDroppedForShutdown() {
        try (TestPod pod = TestPod.start()) {
            Subscription lingering = new Subscription(List.of("channel:late"), "lin", 16);
            pod.herald().hub().register(lingering);
            try {
                pod.publish("channel:late", "before", "");
                pod.herald().drain();
                pod.publish("channel:late", "after", "");
                pod.publish("channel:late", "after", "");
                assertEquals(2.0, pod.metric("sse_events_dropped_total", "reason=\"shutdown\""));
                assertEquals(0.0, pod.metric("sse_events_dropped_total", "reason=\"slow_consumer\""));
            } finally {
                pod.herald().hub().unregister(lingering);
            }
        }
    }
}
