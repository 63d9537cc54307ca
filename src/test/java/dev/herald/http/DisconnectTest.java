package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code POST /api/users/{userId}/disconnect}: every stream of the user ends with a last event, on every pod. */
class DisconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The promise: every pod within 2 s. */
    private static final Duration EVERY_POD = Duration.ofSeconds(2);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;

    @Test
    void everyStreamOfTheUser_endsWithADisconnectEvent_otherUsersStay() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient alice1 = pod.subscribe(H1, pod.token("alice"), "channel:a");
             SseClient alice2 = pod.subscribe(HttpClient.Version.HTTP_2, pod.token("alice"), "channel:b", "user:alice");
             SseClient bob = pod.subscribe(H1, pod.token("bob"), "channel:a")) {
            alice1.awaitCursor(WAIT);
            alice2.awaitCursor(WAIT);
            bob.awaitCursor(WAIT);
            HttpResponse<String> res = pod.post(H1, "/api/users/alice/disconnect", pod.serviceToken(),
                                                "{\"reason\":\"banned\"}");
            assertEquals(202, res.statusCode(), res.body());
            JsonNode answer = TestPod.json(res.body());
            assertEquals(2, answer.get("endedOnThisPod").asInt());
            assertEquals("banned", answer.get("reason").asText());
            for (SseClient alice : new SseClient[] {alice1, alice2}) {
                alice.awaitEnd(WAIT);
                JsonNode last = alice.messages().getLast().json();
                assertEquals("disconnect", last.get("type").asText(), "the last event: " + last);
                assertEquals("banned", last.get("reason").asText());
                assertFalse(alice.messages().getLast().lastEventId().isEmpty(), "it carries the cursor");
            }
            pod.publish("channel:a", "after", "\"n\":1");
            assertEquals(1, bob.awaitEvents("after", 1, WAIT).size(), "bob's stream is untouched");
            assertTrue(bob.events("disconnect").isEmpty());
            Await.until("alice's streams to be gone", WAIT, () -> pod.metric("sse_connections_total", null) == 1.0);
            // no stream of the user: still 202, nothing ended, and the default reason
            HttpResponse<String> again = pod.post(H1, "/api/users/alice/disconnect", pod.serviceToken(), "");
            assertEquals(202, again.statusCode(), again.body());
            assertEquals(0, TestPod.json(again.body()).get("endedOnThisPod").asInt());
            assertEquals("disconnected", TestPod.json(again.body()).get("reason").asText());
        }
    }

    @Test
    void onlyServices_withAValidReason() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient alice = pod.subscribe(H1, pod.token("alice"), "channel:a")) {
            alice.awaitCursor(WAIT);
            expect(pod, pod.token("mallory"), "{}", 403, "forbidden");
            expect(pod, pod.token("alice"), "{}", 403, "forbidden");
            expect(pod, pod.serviceToken(), "{\"reason\":\"Not Allowed!\"}", 400, "bad_request");
            expect(pod, pod.serviceToken(), "{\"reason\":5}", 400, "bad_request");
            expect(pod, pod.serviceToken(), "{\"revokeTokensIssuedBefore\":\"soon\"}", 400, "bad_request");
            expect(pod, pod.serviceToken(), "not json", 400, "bad_request");
            pod.publish("channel:a", "still", "\"n\":1");
            assertEquals(1, alice.awaitEvents("still", 1, WAIT).size(), "no refused call ended the stream");
            assertFalse(alice.ended());
        }
    }

    @Test
    void acrossPods_aDisconnectOnPodA_endsTheStreamOnPodB_within2s() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()));
             SseClient onB = b.subscribe(H1, b.token("alice"), "channel:x");
             SseClient bobOnB = b.subscribe(H1, b.token("bob"), "channel:x")) {
            onB.awaitCursor(WAIT);
            bobOnB.awaitCursor(WAIT);
            long start = System.nanoTime();
            HttpResponse<String> res = a.post(H1, "/api/users/alice/disconnect", a.serviceToken(), "{\"reason\":\"kicked\"}");
            assertEquals(202, res.statusCode(), res.body());
            assertEquals(0, TestPod.json(res.body()).get("endedOnThisPod").asInt());
            onB.awaitEnd(EVERY_POD);
            assertTrue(System.nanoTime() - start < EVERY_POD.toNanos());
            assertEquals("kicked", onB.events("disconnect").getFirst().get("reason").asText());
            a.publish("channel:x", "after", "\"n\":1");
            assertEquals(1, bobOnB.awaitEvents("after", 1, WAIT).size());
        }
    }

    /**
     * Redis is down: the pod that takes the call still ends its own streams, and answers 503 so the caller retries
     * (the other pods could not be told); once Redis is back the retry is 202.
     */
    @Test
    void redisDown_thisPodsStreamsEnd_theAnswerIs503_andTheRetryAfterItsReturnIs202() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()));
             SseClient alice = pod.subscribe(H1, pod.token("alice"), "channel:down")) {
            alice.awaitCursor(WAIT);
            redis.kill();
            HttpResponse<String> res = pod.post(H1, "/api/users/alice/disconnect", pod.serviceToken(),
                                                "{\"reason\":\"banned\"}");
            assertEquals(503, res.statusCode(), res.body());
            assertEquals("broker_unavailable", TestPod.json(res.body()).get("error").asText());
            assertTrue(res.headers().firstValue("retry-after").isPresent());
            alice.awaitEnd(WAIT);
            assertEquals("banned", alice.events("disconnect").getFirst().get("reason").asText());
            redis.restart();
            Await.until("the retry to be taken once Redis is back", WAIT, () -> pod.post(
                    H1, "/api/users/alice/disconnect", pod.serviceToken(), "{\"reason\":\"banned\"}")
                    .statusCode() == 202);
        }
    }

    private static void expect(TestPod pod, String token, String body, int status, String error) {
        HttpResponse<String> res = pod.post(H1, "/api/users/alice/disconnect", token, body);
        assertEquals(status, res.statusCode(), body + " -> " + res.body());
        assertEquals(error, TestPod.json(res.body()).get("error").asText(), res.body());
    }
}
