package dev.herald.metrics;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Prometheus metrics carry true values; health answers with JSON. */
class MetricsAndHealthTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void seedMetrics_countWhatHappened() {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.heartbeat", "PT0.2S"))) {
            HttpResponse<String> text = pod.get(HttpClient.Version.HTTP_1_1, "/observe/metrics", null);
            assertEquals(200, text.statusCode());
            assertTrue(text.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
            for (String name : List.of("sse_connections_total", "sse_channels_total", "sse_events_sent_total",
                                       "redis_publish_errors_total", "sse_events_dropped_total",
                                       "sse_slow_consumer_disconnects_total", "sse_token_expiries_total",
                                       "herald_channels_held")) {
                assertEquals(0.0, pod.metric(name, null), name + " starts at zero");
            }
            Map<String, List<String>> labelled = Map.of(
                    "sse_events_dropped_total", List.of("slow_consumer", "shutdown", "token_expired"),
                    "sse_connections_rejected_total", List.of("pod_full", "user_full", "shutting_down"),
                    "herald_rate_limited_total", List.of("chat", "channel", "export"),
                    "herald_auth_failures_total", List.of("missing", "malformed", "expired", "signature", "claims"));
            labelled.forEach((name, reasons) -> reasons.forEach(reason -> assertEquals(
                    0.0, pod.metric(name, "reason=\"" + reason + "\""), name + "{" + reason + "} exists from the start")));
            String service = pod.serviceToken();
            List<SseClient> clients = List.of(pod.subscribe(HttpClient.Version.HTTP_1_1, service, "channel:m"),
                                              pod.subscribe(HttpClient.Version.HTTP_2, service, "channel:m"),
                                              pod.subscribe(HttpClient.Version.HTTP_1_1, service, "channel:m"),
                                              pod.subscribe(HttpClient.Version.HTTP_2, service, "user:m0"));
            try {
                assertEquals(4.0, pod.metric("sse_connections_total", null));
                assertEquals(2.0, pod.metric("sse_channels_total", null));
                for (int i = 0; i < 5; i++) {
                    pod.publish("channel:m", "tick", "\"n\":" + i);
                }
                pod.publish("user:m0", "tick", "\"n\":0");
                pod.publish("user:m0", "tick", "\"n\":1");
                for (int i = 0; i < 3; i++) {
                    clients.get(i).awaitEvents("tick", 5, WAIT);
                }
                clients.get(3).awaitEvents("tick", 2, WAIT);
                assertEquals(17.0, pod.metric("sse_events_sent_total", null), "3 x 5 + 1 x 2 deliveries");
                assertEquals(7.0, pod.metric("herald_events_published_total", null));
                assertEquals(0.0, pod.metric("redis_publish_errors_total", null));
                assertTrue(pod.metric("herald_delivery_latency_seconds_count", null) >= 4);
                assertTrue(pod.metric("herald_delivery_latency_seconds_bucket", "le=\"0.25\"") >= 4,
                           "loopback deliveries land in the sub-second buckets");
                // exposed; loopback deliveries may all round to 0 ms, so these need not move
                assertTrue(pod.metric("herald_delivery_latency_seconds_sum", null) >= 0);
                assertTrue(pod.metric("herald_delivery_latency_seconds_max", null) >= 0);
            } finally {
                clients.forEach(SseClient::close);
            }
            Await.until("closed streams to leave the gauges", WAIT,
                        () -> pod.metric("sse_connections_total", null) == 0
                              && pod.metric("sse_channels_total", null) == 0);
        }
    }

    @Test
    void health_answersJsonForAllLiveAndReady() {
        try (TestPod pod = TestPod.start()) {
            for (String path : List.of("/observe/health", "/observe/health/live", "/observe/health/ready")) {
                HttpResponse<String> res = pod.get(HttpClient.Version.HTTP_1_1, path, null);
                assertEquals(200, res.statusCode(), path);
                JsonNode json = TestPod.json(res.body());
                assertEquals("UP", json.get("status").asText(), path);
            }
        }
    }
}
