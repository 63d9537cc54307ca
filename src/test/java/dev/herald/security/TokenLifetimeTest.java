package dev.herald.security;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;
import dev.herald.hub.Subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream lives no longer than its token: it ends at the token's {@code exp} plus the clock skew with a last
 * {@code token_expired} frame whose id is the cursor to resume from, and the expired token cannot open it again.
 */
class TokenLifetimeTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Map<String, String> ONE_SECOND_SKEW = Map.of("herald.auth.jwt.clock-skew", "PT1S");
    private final TokenIssuer issuer = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8));

    @ParameterizedTest
    @EnumSource(value = HttpClient.Version.class)
    void aStreamEndsAtItsTokensExpiryPlusSkew_withATokenExpiredFrameCarryingTheCursor(HttpClient.Version version)
            throws Exception {
        try (TestPod pod = TestPod.start(ONE_SECOND_SKEW)) {
            String shortToken = issuer.issue("ada", "Ada", List.of(), Duration.ofSeconds(3));
            long endsAt = expiry(shortToken) + 1000;
            try (SseClient expiring = pod.subscribe(version, shortToken, "channel:news");
                 SseClient lasting = pod.subscribe(version, pod.token("bea"), "channel:news")) {
                expiring.awaitCursor(WAIT);
                lasting.awaitCursor(WAIT);
                int published = 0;
                // events keep flowing while the token runs out: the last frame must still cover every one written
                while (!expiring.ended() && System.currentTimeMillis() < endsAt + 5000) {
                    pod.publish("channel:news", "tick", "\"n\":" + ++published);
                    expiring.await("an event or the end", WAIT, c -> c.ended() || c.events("tick").size() > 0);
                }
                expiring.awaitEnd(WAIT);
                long ended = System.currentTimeMillis();
                assertTrue(ended >= endsAt - 50, "ended " + (endsAt - ended) + " ms before exp + skew");
                assertTrue(ended <= endsAt + 2000, "ended " + (ended - endsAt) + " ms after exp + skew");
                List<SseClient.Message> messages = expiring.messages();
                SseClient.Message last = messages.get(messages.size() - 1);
                JsonNode frame = last.json();
                assertEquals("token_expired", frame.path("type").asText(), "the last frame says why: " + last.data());
                assertEquals(Instant.ofEpochMilli(endsAt), Instant.parse(frame.path("expiredAt").asText()));
                int seen = expiring.events("tick").size();

                pod.publish("channel:news", "tick", "\"n\":" + ++published);
                int total = published;
                lasting.await("every tick on the stream with a lasting token", WAIT,
                              c -> c.events("tick").size() == total);
                assertTrue(!lasting.ended(), "a stream with a valid token goes on");
                assertEquals(1.0, pod.metric("sse_token_expiries_total", null));

                // resuming from the last frame's cursor with a fresh token: exactly what was missed
                try (SseClient resumed = SseClient.open(pod.client(version), pod.uri(TestPod.eventsPath("channel:news")),
                        Map.of("Authorization", "Bearer " + pod.token("ada"), "Last-Event-ID", last.lastEventId()))) {
                    int expected = total - seen;
                    resumed.await(expected + " missed ticks", WAIT, c -> c.events("tick").size() >= expected);
                    resumed.awaitCursor(WAIT);
                    List<Integer> numbers = resumed.events("tick").stream().map(e -> e.get("n").asInt()).toList();
                    assertEquals(java.util.stream.IntStream.rangeClosed(seen + 1, total).boxed().toList(), numbers,
                                 "no loss, no duplicate across the expiry");
                }
            }
        }
    }

    @Test
    void theExpiredTokenCannotReopenTheStream_401Expired() throws Exception {
        try (TestPod pod = TestPod.start(ONE_SECOND_SKEW)) {
            String shortToken = issuer.issue("ada", "Ada", List.of(), Duration.ofSeconds(1));
            try (SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, shortToken, "channel:news")) {
                stream.awaitEnd(WAIT);
                assertEquals("token_expired", stream.messages().getLast().json().path("type").asText());
            }
            // the browser's EventSource reconnects by itself with the same URL: it gets 401 and stops
            HttpResponse<String> again = pod.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:news")
                                                 + "&access_token=" + shortToken, null);
            assertEquals(401, again.statusCode());
            JsonNode body = TestPod.json(again.body());
            assertEquals("unauthorized", body.path("error").asText());
            assertTrue(body.path("message").asText().contains("expired"), again.body());
        }
    }

    @Test
    void aTokenAlreadyInsideItsSkew_opensAStreamThatEndsAtOnce() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.auth.jwt.clock-skew", "PT5S"))) {
            String expired = issuer.issue("ada", "Ada", List.of(), Duration.ofSeconds(-1));
            long endsAt = expiry(expired) + 5000;
            try (SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, expired, "channel:news")) {
                stream.awaitEnd(WAIT);
                assertTrue(System.currentTimeMillis() >= endsAt - 50);
                assertEquals("token_expired", stream.messages().getLast().json().path("type").asText());
            }
        }
    }

    @Test
    void aStreamClosedByItsClient_isNotCountedAsExpired() throws Exception {
        // a fast heartbeat: the pod notices the departed client at its next write, long before the token ends
        try (TestPod pod = TestPod.start(Map.of("herald.auth.jwt.clock-skew", "PT1S", "herald.sse.heartbeat", "PT0.1S"))) {
            String shortToken = issuer.issue("ada", "Ada", List.of(), Duration.ofSeconds(4));
            long endsAt = expiry(shortToken) + 1000;
            try (SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, shortToken, "channel:news")) {
                stream.awaitCursor(WAIT);
            }
            dev.herald.Await.until("the stream to be gone", WAIT,
                                   () -> pod.metric("sse_connections_total", null) == 0.0);
            assertTrue(System.currentTimeMillis() < endsAt, "the client's leaving ended it, not its token");
            // a fresh stream that outlives the old token's end proves the timer ran past it
            try (SseClient other = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("bea"), "channel:news")) {
                other.awaitCursor(WAIT);
                dev.herald.Await.until("the old token's end to pass", WAIT,
                                       () -> System.currentTimeMillis() > endsAt + 500);
                assertEquals(0.0, pod.metric("sse_token_expiries_total", null));
                assertTrue(!other.ended());
            }
        }
    }

    /**
     * Events that reach a stream after its token ended it are not written, counted as dropped for token expiry, and
     * stay in history. A subscription registered without a writer stands for a stream whose writer has not left yet.
     */
    @Test
    void eventsForAStreamWhoseTokenEnded_areCountedAsDroppedForTokenExpiry() {
        try (TestPod pod = TestPod.start()) {
            Subscription lingering = new Subscription(List.of("channel:late"), "lin", 16,
                                                      System.currentTimeMillis() + 300);
            pod.herald().hub().register(lingering);
            try {
                dev.herald.Await.until("the expiry", WAIT, () -> lingering.end() == Subscription.End.TOKEN_EXPIRED);
                pod.publish("channel:late", "after", "");
                pod.publish("channel:late", "after", "");
                assertEquals(2.0, pod.metric("sse_events_dropped_total", "reason=\"token_expired\""));
                assertEquals(0.0, pod.metric("sse_events_dropped_total", "reason=\"shutdown\""));
                assertEquals(1.0, pod.metric("sse_token_expiries_total", null));
            } finally {
                pod.herald().hub().unregister(lingering);
            }
        }
    }

    private static long expiry(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().getTime();
    }
}
