package dev.herald.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.HeraldProcess;
import dev.herald.SseClient;
import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With {@code herald.management.port}, metrics and health leave the public port, and the API stays off the other. */
class ManagementPortTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void observeIsServedOnlyOnTheManagementPort_andTheApiOnlyOnThePublicOne() throws Exception {
        int management = HeraldProcess.freePort();
        try (TestPod pod = TestPod.start(Map.of("herald.management.port", String.valueOf(management)));
             SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("mia"), "channel:m")) {
            stream.awaitCursor(WAIT);
            for (String path : List.of("/observe/metrics", "/observe/health", "/observe/health/live",
                                       "/observe/health/ready")) {
                HttpResponse<String> hidden = pod.get(HttpClient.Version.HTTP_1_1, path, null);
                assertEquals(404, hidden.statusCode(), path + " on the public port: " + hidden.body());
                assertEquals("not_found", TestPod.json(hidden.body()).get("error").asText());
            }
            HttpClient client = pod.client(HttpClient.Version.HTTP_1_1);
            HttpResponse<String> metrics = get(client, management, "/observe/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith("sse_connections_total{")
                                                          && l.endsWith(" 1.0")), "the open stream is counted");
            assertEquals(200, get(client, management, "/observe/health/ready").statusCode());
            HttpResponse<String> live = get(client, management, "/observe/health/live");
            assertEquals(200, live.statusCode());
            assertEquals("UP", TestPod.json(live.body()).get("status").asText());
            for (String path : List.of("/api/events?channel=channel:m", "/api/channels/channel:m/presence", "/",
                                       "/js/herald.js")) {
                assertEquals(404, get(client, management, path).statusCode(), path + " on the management port");
            }
        }
    }

    private static HttpResponse<String> get(HttpClient client, int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
                           HttpResponse.BodyHandlers.ofString());
    }
}
