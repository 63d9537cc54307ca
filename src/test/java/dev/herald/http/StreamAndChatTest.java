package dev.herald.http;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Subscribing, chatting and publishing over the wire, on HTTP/1.1 and HTTP/2 (h2c upgrade). */
class StreamAndChatTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestPod pod;

    @BeforeAll
    static void start() {
        pod = TestPod.start(Map.of("herald.sse.heartbeat", "PT0.2S"));
    }

    @AfterAll
    static void stop() {
        pod.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void subscribe_sendsRetryHintSseHeadersAndHeartbeats(HttpClient.Version version) {
        try (SseClient sse = pod.subscribe(version, pod.token("hana"), "channel:beat-" + version)) {
            assertEquals(version, sse.response().version());
            assertEquals("text/event-stream; charset=utf-8", sse.response().headers().firstValue("content-type").orElseThrow());
            assertEquals("no-cache", sse.response().headers().firstValue("cache-control").orElseThrow());
            assertEquals("no", sse.response().headers().firstValue("x-accel-buffering").orElseThrow());
            sse.await("two pings", WAIT, c -> c.comments().stream().filter("ping"::equals).count() >= 2);
            assertEquals("3000", sse.retries().get(0));
            assertEquals("retry: 3000", sse.rawLines().get(0), "the retry hint comes first");
            assertFalse(sse.lastEventId().isEmpty(), "the stream starts with a cursor");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void chatPost_reachesEverySubscriber_withServerSetFields(HttpClient.Version version) {
        String channel = "channel:general-" + version.name().toLowerCase(Locale.ROOT).replace('_', '-');
        String alice = pod.token("alice");
        try (SseClient a = pod.subscribe(version, alice, channel, "user:alice");
             SseClient b = pod.subscribe(version, pod.token("bob"), channel)) {
            HttpResponse<String> res = pod.post(version, "/api/chat/messages", alice,
                                                "{\"channel\":\"" + channel + "\",\"content\":\"hi\",\"userId\":\"mallory\","
                                                + "\"userName\":\"Mallory\"}");
            assertEquals(204, res.statusCode(), res.body());
            for (SseClient client : List.of(a, b)) {
                JsonNode chat = client.awaitEvents("chat", 1, WAIT).get(0);
                assertEquals("alice", chat.get("userId").asText(), "userId comes from the token");
                assertEquals("Alice", chat.get("userName").asText());
                assertEquals("hi", chat.get("content").asText());
                assertEquals(channel, chat.get("channel").asText());
                assertTrue(chat.get("id").asLong() > 0);
                assertTrue(Duration.between(Instant.parse(chat.get("timestamp").asText()), Instant.now()).abs()
                                   .compareTo(Duration.ofMinutes(1)) < 0);
                SseClient.Message message = client.messages().stream()
                        .filter(m -> m.data().contains("\"chat\"")).findFirst().orElseThrow();
                assertNull(message.eventField(), "no event: field, so onmessage sees every event");
                assertFalse(message.lastEventId().isEmpty(), "every event carries an id: cursor");
                assertFalse(message.data().contains("\n"));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void tokenInQueryParameter_opensStream(HttpClient.Version version) {
        String token = URLEncoder.encode(pod.token("carol"), StandardCharsets.UTF_8);
        try (SseClient sse = SseClient.open(pod.client(version),
                                            pod.uri("/api/events?channel=user:carol&access_token=" + token), Map.of())) {
            long id = pod.publish("user:carol", "generation_progress",
                                  "\"jobId\":\"j1\",\"progress\":50,\"message\":\"half way\"");
            JsonNode event = sse.awaitEvents("generation_progress", 1, WAIT).get(0);
            assertEquals(id, event.get("id").asLong());
            assertEquals(50, event.get("progress").asInt());
            assertEquals("j1", event.get("jobId").asText());
            assertEquals("half way", event.get("message").asText());
            assertEquals("user:carol", event.get("channel").asText());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void publish_withServiceToken_returns202WithId_andUserTokenGets403(HttpClient.Version version) {
        HttpResponse<String> ok = pod.post(version, "/api/publish", pod.serviceToken(),
                                           "{\"channel\":\"user:dave\",\"type\":\"generation_complete\",\"jobId\":\"j\","
                                           + "\"result\":\"/r\"}");
        assertEquals(202, ok.statusCode(), ok.body());
        assertTrue(TestPod.json(ok.body()).get("id").asLong() > 0);
        HttpResponse<String> denied = pod.post(version, "/api/publish", pod.token("dave"),
                                               "{\"channel\":\"user:dave\",\"type\":\"x\"}");
        assertEquals(403, denied.statusCode());
        assertEquals("forbidden", TestPod.json(denied.body()).get("error").asText());
    }
}
