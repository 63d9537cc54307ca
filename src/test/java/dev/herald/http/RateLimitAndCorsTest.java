package dev.herald.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat and channel budgets of one pod, and CORS. */
class RateLimitAndCorsTest {
    private static final Map<String, String> REAL_BUDGETS = Map.of(
            "herald.rate.chat.per-second", "5", "herald.rate.chat.burst", "20",
            "herald.rate.channel.per-second", "2", "herald.rate.channel.burst", "30");

    @Test
    void chatBudgetPerUser_burst20ThenA429WithRetryAfter() {
        try (TestPod pod = TestPod.start(REAL_BUDGETS)) {
            String ada = pod.token("ada");
            for (int i = 0; i < 20; i++) {
                assertEquals(204, chat(pod, ada, "channel:rl-" + i).statusCode(), "message " + i + " of the burst");
            }
            HttpResponse<String> limited = chat(pod, ada, "channel:rl-x");
            LimitsAndBadInputTest.assertError(limited, 429, "rate_limited");
            assertEquals("1", limited.headers().firstValue("retry-after").orElseThrow(), "one token in 0.2 s at 5/s");
            assertEquals(204, chat(pod, pod.token("bob"), "channel:rl-x").statusCode(), "another user has a budget");
            assertTrue(pod.metric("herald_rate_limited_total", "chat") >= 1);
        }
    }

    @Test
    void channelBudget_appliesToEveryPublisherOfTheChannel() {
        try (TestPod pod = TestPod.start(REAL_BUDGETS)) {
            for (int i = 0; i < 30; i++) {
                pod.publish("channel:busy", "tick", "\"n\":" + i);
            }
            HttpResponse<String> limited = pod.post(HttpClient.Version.HTTP_1_1, "/api/publish", pod.serviceToken(),
                                                    "{\"channel\":\"channel:busy\",\"type\":\"tick\"}");
            LimitsAndBadInputTest.assertError(limited, 429, "rate_limited");
            assertEquals("1", limited.headers().firstValue("retry-after").orElseThrow(), "one token in 0.5 s at 2/s");
            pod.publish("channel:calm", "tick", "\"n\":1");
            assertTrue(pod.metric("herald_rate_limited_total", "channel") >= 1);
        }
    }

    @Test
    void cors_onlyListedOriginsGetHeaders_preflightAnswered() {
        try (TestPod pod = TestPod.start(Map.of("herald.cors.allowed-origins", "https://app.example"))) {
            HttpResponse<String> preflight = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/chat/messages"))
                            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                            .header("Origin", "https://app.example")
                            .header("Access-Control-Request-Method", "POST")
                            .header("Access-Control-Request-Headers", "authorization, content-type").build());
            assertEquals(204, preflight.statusCode());
            assertEquals("https://app.example", preflight.headers().firstValue("access-control-allow-origin").orElseThrow());
            assertEquals("true", preflight.headers().firstValue("access-control-allow-credentials").orElseThrow());
            assertTrue(preflight.headers().firstValue("access-control-allow-headers").orElseThrow().contains("Authorization"));
            assertTrue(preflight.headers().firstValue("access-control-allow-methods").orElseThrow().contains("POST"));

            HttpResponse<String> simple = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/channels/channel:c/presence"))
                            .header("Origin", "https://app.example")
                            .header("Authorization", "Bearer " + pod.token("cy")).build());
            assertEquals(200, simple.statusCode());
            assertEquals("https://app.example", simple.headers().firstValue("access-control-allow-origin").orElseThrow());
            assertEquals("Origin", simple.headers().firstValue("vary").orElseThrow());

            HttpResponse<String> evil = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/chat/messages"))
                            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                            .header("Origin", "https://evil.example")
                            .header("Access-Control-Request-Method", "POST").build());
            LimitsAndBadInputTest.assertError(evil, 403, "cors_forbidden");
            HttpResponse<String> evilGet = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/channels/channel:c/presence"))
                            .header("Origin", "https://evil.example")
                            .header("Authorization", "Bearer " + pod.token("cy")).build());
            assertFalse(evilGet.headers().firstValue("access-control-allow-origin").isPresent());
        }
        try (TestPod closed = TestPod.start()) {
            HttpResponse<String> preflight = closed.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(closed.uri("/api/events"))
                            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                            .header("Origin", "http://localhost:3000")
                            .header("Access-Control-Request-Method", "GET").build());
            assertEquals(403, preflight.statusCode(), "nothing is allowed by default");
        }
    }

    private static HttpResponse<String> chat(TestPod pod, String token, String channel) {
        return pod.post(HttpClient.Version.HTTP_1_1, "/api/chat/messages", token,
                        "{\"channel\":\"" + channel + "\",\"content\":\"hi\"}");
    }
}
