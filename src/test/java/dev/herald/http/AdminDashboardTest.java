package dev.herald.http;

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
import dev.herald.hub.ChannelName;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin dashboard's data and routes: each pod's {@code pod_stats} once a second on the reserved admin channel,
 * readable with a service token only (or without one on the management port), seen from any pod of a cluster.
 */
class AdminDashboardTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    private static final String ADMIN_STREAM = "/api/events?channel=" + ChannelName.ADMIN;

    @Test
    void adminChannel_refusesUserTokens403_servesServiceTokens_andCountsNothingInTheMeters() {
        try (TestPod pod = TestPod.start()) {
            String alice = pod.token("alice");
            HttpResponse<String> stream = pod.get(H1, ADMIN_STREAM, alice);
            assertEquals(403, stream.statusCode(), stream.body());
            assertEquals("forbidden", TestPod.json(stream.body()).get("error").asText());
            HttpResponse<String> chat = pod.post(H1, "/api/chat/messages", alice,
                                                 "{\"channel\":\"" + ChannelName.ADMIN + "\",\"content\":\"fake\"}");
            assertEquals(403, chat.statusCode(), chat.body());
            HttpResponse<String> presence = pod.get(H1, "/api/channels/" + ChannelName.ADMIN + "/presence", alice);
            assertEquals(403, presence.statusCode(), presence.body());

            try (SseClient admin = pod.subscribe(H1, pod.serviceToken(), ChannelName.ADMIN)) {
                JsonNode stats = admin.awaitEvents("pod_stats", 2, WAIT).get(1);
                assertEquals(pod.herald().podId(), stats.get("pod").asText());
                assertEquals(1, stats.get("streams").asInt(), "the dashboard's own stream: " + stats);
                assertEquals(1, stats.get("channels").asInt(), "the admin channel: " + stats);
                assertEquals(0.0, stats.get("eventsInPerSecond").asDouble(), "its own stats are not users' events");
                assertTrue(stats.get("dropped").has("slow_consumer"), stats.toString());
            }
            assertEquals(0.0, pod.metric("herald_events_published_total", null),
                         "pod_stats are not counted as published events");
        }
    }

    @Test
    void twoClusteredPods_eachPublishOneStatsEventPerSecond_seenFromEitherPod() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()));
             SseClient watching = a.subscribe(H1, a.serviceToken(), ChannelName.ADMIN);
             SseClient user = b.subscribe(H1, b.token("bob"), "channel:room")) {
            user.awaitCursor(WAIT);
            int samples = 5;
            watching.await(samples + " samples of each pod", WAIT,
                           c -> of(c, a.herald().podId()).size() >= samples && of(c, b.herald().podId()).size() >= samples);
            for (TestPod pod : List.of(a, b)) {
                List<JsonNode> stats = of(watching, pod.herald().podId());
                long first = stats.get(0).get("at").asLong();
                long last = stats.get(stats.size() - 1).get("at").asLong();
                double period = (last - first) / (double) (stats.size() - 1);
                assertTrue(period > 800 && period < 1300, pod.herald().podId() + ": one a second, got every "
                                                          + period + " ms: " + stats);
                assertEquals(1, stats.get(stats.size() - 1).get("streams").asInt(), "one stream on each pod");
            }
            b.publish("channel:room", "note", "\"n\":1");
            watching.await("pod b's published event and its delivery", WAIT, c -> of(c, b.herald().podId()).stream()
                    .anyMatch(s -> s.get("published").asLong() >= 1 && s.get("sent").asLong() >= 1));
        }
    }

    @Test
    void managementPort_servesThePageAndATokenlessStream_thePublicPortOnlyThePage() throws Exception {
        int management = HeraldProcess.freePort();
        try (TestPod pod = TestPod.start(Map.of("herald.management.port", String.valueOf(management)))) {
            HttpClient client = pod.client(H1);
            for (int port : List.of(management, pod.port())) {
                for (String path : List.of("/admin", "/admin/")) {
                    HttpResponse<String> page = get(client, port, path);
                    assertEquals(200, page.statusCode(), "port " + port + path);
                    assertTrue(page.body().contains("Herald admin"), page.body());
                }
                assertEquals(200, get(client, port, "/admin/admin.js").statusCode(), "port " + port);
                assertEquals(200, get(client, port, "/admin/admin.css").statusCode(), "port " + port);
            }
            assertEquals(404, pod.get(H1, "/admin/stream", null).statusCode(), "no tokenless stream on the public port");
            try (SseClient stream = SseClient.open(client, URI.create("http://127.0.0.1:" + management + "/admin/stream"),
                                                   Map.of())) {
                JsonNode stats = stream.awaitEvents("pod_stats", 1, WAIT).get(0);
                assertEquals(pod.herald().podId(), stats.get("pod").asText());
            }
        }
    }

    private static List<JsonNode> of(SseClient stream, String podId) {
        return stream.events("pod_stats").stream().filter(e -> e.get("pod").asText().equals(podId)).toList();
    }

    private static HttpResponse<String> get(HttpClient client, int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
                           HttpResponse.BodyHandlers.ofString());
    }
}
