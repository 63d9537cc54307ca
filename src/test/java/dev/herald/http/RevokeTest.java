package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/users/{userId}/disconnect} with {@code revokeTokensIssuedBefore}: the user's older tokens are
 * refused with 401 {@code revoked} on every route and every pod (those that missed the message and those started
 * later too), newer tokens and other users are not.
 */
class RevokeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration EVERY_POD = Duration.ofSeconds(2);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    private static final HttpClient.Version H2 = HttpClient.Version.HTTP_2;
    private static final String REVOKED = "herald_auth_failures_total";

    @Test
    void revokeNow_endsTheStreams_andRefusesOlderTokensOnEveryRoute_newerTokensAndOtherUsersWork() throws Exception {
        try (TestPod pod = TestPod.start(Map.of())) {
            Instant issued = Instant.now().minusSeconds(5);
            String old = pod.token("alice", issued);
            try (SseClient h1 = pod.subscribe(H1, old, "channel:a");
                 SseClient h2 = pod.subscribe(H2, old, "user:alice");
                 SseClient bob = pod.subscribe(H1, pod.token("bob"), "channel:a")) {
                h1.awaitCursor(WAIT);
                h2.awaitCursor(WAIT);
                bob.awaitCursor(WAIT);
                JsonNode answer = revoke(pod, "alice", "{\"reason\":\"banned\",\"revokeTokensIssuedBefore\":\"now\"}");
                assertEquals(2, answer.get("endedOnThisPod").asInt());
                Instant before = Instant.parse(answer.get("revokedBefore").asText());
                assertTrue(!before.isBefore(issued.plusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                           && before.equals(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                           "'now', in whole seconds: " + before);
                for (SseClient stream : new SseClient[] {h1, h2}) {
                    stream.awaitEnd(WAIT);
                    assertEquals("banned", stream.events("disconnect").getFirst().get("reason").asText());
                }
                // the old token: refused for streams (direct HTTP/1.1 path, routed HTTP/2) and for every other route
                expectRevoked(stream(pod, H1, old));
                expectRevoked(stream(pod, H2, old));
                expectRevoked(pod.post(H1, "/api/chat/messages", old, "{\"channel\":\"channel:a\",\"text\":\"hi\"}"));
                expectRevoked(pod.get(H2, "/api/channels/channel:a/presence", old));
                // the same old token in a query parameter and without any iat: refused too
                expectRevoked(stream(pod, H1, null, "access_token=" + old));
                expectRevoked(stream(pod, H1, noIat("alice")));
                assertTrue(pod.metric(REVOKED, "reason=\"revoked\"") >= 6.0, "counted by reason");
                // a token issued at the instant (same second) or later works: the user logs in again
                try (SseClient fresh = pod.subscribe(H1, pod.token("alice", before), "channel:a")) {
                    fresh.awaitCursor(WAIT);
                    pod.publish("channel:a", "welcome-back", "\"n\":1");
                    assertEquals(1, fresh.awaitEvents("welcome-back", 1, WAIT).size());
                    assertEquals(1, bob.awaitEvents("welcome-back", 1, WAIT).size(), "bob was never touched");
                }
                // another user's old token is untouched
                try (SseClient carol = pod.subscribe(H1, pod.token("carol", issued), "channel:a")) {
                    carol.awaitCursor(WAIT);
                }
            }
        }
    }

    @Test
    void anInstantInThePast_refusesOnlyTokensIssuedBeforeIt_andBadInstantsAre400WithoutEffect() throws Exception {
        try (TestPod pod = TestPod.start(Map.of())) {
            Instant cut = Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            for (String bad : new String[] {"\"yesterday\"", "5", "\"2026-13-01T00:00:00Z\"",
                                            "\"" + Instant.now().plusSeconds(3600) + "\"", "null"}) {
                HttpResponse<String> res = pod.post(H1, "/api/users/alice/disconnect", pod.serviceToken(),
                                                    "{\"revokeTokensIssuedBefore\":" + bad + "}");
                assertEquals(400, res.statusCode(), bad + " -> " + res.body());
                assertEquals("bad_request", TestPod.json(res.body()).get("error").asText());
            }
            try (SseClient stillThere = pod.subscribe(H1, pod.token("alice", cut.minusSeconds(1)), "channel:a")) {
                stillThere.awaitCursor(WAIT);
                assertTrue(!stillThere.ended(), "no refused call revoked anything");
            }
            JsonNode answer = revoke(pod, "alice", "{\"revokeTokensIssuedBefore\":\"" + cut + "\"}");
            assertEquals(cut.toString(), answer.get("revokedBefore").asText());
            assertEquals("disconnected", answer.get("reason").asText());
            expectRevoked(stream(pod, H1, pod.token("alice", cut.minusSeconds(1))));
            try (SseClient after = pod.subscribe(H1, pod.token("alice", cut.plusSeconds(1)), "channel:a")) {
                after.awaitCursor(WAIT);
            }
            // a later, earlier revocation never shortens the first
            revoke(pod, "alice", "{\"revokeTokensIssuedBefore\":\"" + cut.minusSeconds(30) + "\"}");
            expectRevoked(stream(pod, H1, pod.token("alice", cut.minusSeconds(10))));
        }
    }

    /**
     * Across pods on Redis: a revocation on pod A ends the stream on pod B within 2 s and B refuses the old token;
     * a pod whose pub/sub connection was cut while it was sent, and a pod started after it, refuse it too.
     */
    @Test
    void acrossPods_aRevokedTokenIsRefusedOnEveryPod_includingOneThatMissedTheMessageAndOneStartedLater()
            throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            Instant issued = Instant.now().minusSeconds(5);
            String old = a.token("alice", issued);
            try (SseClient onB = b.subscribe(H1, old, "channel:x")) {
                onB.awaitCursor(WAIT);
                long start = System.nanoTime();
                revoke(a, "alice", "{\"reason\":\"banned\",\"revokeTokensIssuedBefore\":\"now\"}");
                onB.awaitEnd(EVERY_POD);
                assertTrue(System.nanoTime() - start < EVERY_POD.toNanos());
                assertEquals("banned", onB.events("disconnect").getFirst().get("reason").asText());
                expectRevoked(stream(b, H1, old));
                expectRevoked(b.post(H1, "/api/chat/messages", old, "{\"channel\":\"channel:x\",\"text\":\"hi\"}"));
            }
            // bob is revoked while every pod's subscriber is cut: the message may reach nobody; the reload on
            // resubscribing must bring it
            String bobsOld = a.token("bob", issued);
            redis.command("CLIENT", "KILL", "TYPE", "pubsub");
            revoke(a, "bob", "{\"revokeTokensIssuedBefore\":\"now\"}");
            Await.until("pod B to refuse bob's old token", WAIT,
                        () -> stream(b, H1, bobsOld).statusCode() == 401);
            expectRevoked(stream(b, H1, bobsOld));
            try (TestPod later = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
                expectRevoked(stream(later, H1, old));
                expectRevoked(stream(later, H2, bobsOld));
                try (SseClient fresh = later.subscribe(H1, later.token("alice"), "channel:x")) {
                    fresh.awaitCursor(WAIT);
                }
            }
            // Redis restarts empty, its revocations gone: the pods that hold them store them again when their
            // subscriber reconnects, so a pod started after that refuses the old tokens too
            redis.kill();
            redis.restart();
            Await.until("the revocations to be stored again", WAIT, () -> {
                try {
                    return redis.command("HLEN", "realtime:revoked").equals("2");
                } catch (IOException e) {
                    return false;
                }
            });
            try (TestPod afterRestore = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
                expectRevoked(stream(afterRestore, H1, old));
                expectRevoked(stream(afterRestore, H1, bobsOld));
            }
        }
    }

    @Test
    void redisDown_theRevocationHoldsOnThisPod_theAnswerIs503_andTheRetryStoresItForEveryPod() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            String old = a.token("alice", Instant.now().minusSeconds(5));
            redis.kill();
            HttpResponse<String> res = a.post(H1, "/api/users/alice/disconnect", a.serviceToken(),
                                              "{\"revokeTokensIssuedBefore\":\"now\"}");
            assertEquals(503, res.statusCode(), res.body());
            assertEquals("broker_unavailable", TestPod.json(res.body()).get("error").asText());
            expectRevoked(a.post(H1, "/api/chat/messages", old, "{\"channel\":\"channel:x\",\"text\":\"hi\"}"));
            redis.restart();
            Await.until("the retry to be taken once Redis is back", WAIT, () -> a.post(
                    H1, "/api/users/alice/disconnect", a.serviceToken(), "{\"revokeTokensIssuedBefore\":\"now\"}")
                    .statusCode() == 202);
            try (TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
                expectRevoked(stream(b, H1, old));
            }
        }
    }

    private static JsonNode revoke(TestPod pod, String user, String body) {
        HttpResponse<String> res = pod.post(H1, "/api/users/" + user + "/disconnect", pod.serviceToken(), body);
        assertEquals(202, res.statusCode(), res.body());
        return TestPod.json(res.body());
    }

    private static void expectRevoked(HttpResponse<String> res) {
        assertEquals(401, res.statusCode(), res.body());
        assertEquals("revoked", TestPod.json(res.body()).get("error").asText(), res.body());
        assertTrue(res.headers().firstValue("www-authenticate").isPresent());
    }

    private static HttpResponse<String> stream(TestPod pod, HttpClient.Version version, String token) {
        return stream(pod, version, token, null);
    }

    /** Opens a stream and returns its answer: the error's body, or, for a 200, nothing (the stream is closed). */
    private static HttpResponse<String> stream(TestPod pod, HttpClient.Version version, String token, String query) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                pod.uri("/api/events?channel=channel:a" + (query == null ? "" : "&" + query))).timeout(WAIT);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<InputStream> res = pod.client(version).send(request.build(),
                                                                     HttpResponse.BodyHandlers.ofInputStream());
            String body;
            try (InputStream in = res.body()) {
                body = res.statusCode() == 200 ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return new Answer(res, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A token of the user without {@code iat}: older than any revocation. */
    private static String noIat(String user) throws JOSEException {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user)
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(TestPod.SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    /** A streamed answer with its body read. */
    private record Answer(HttpResponse<InputStream> response, String body) implements HttpResponse<String> {
        @Override
        public int statusCode() {
            return response.statusCode();
        }

        @Override
        public HttpRequest request() {
            return response.request();
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return response.headers();
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return response.sslSession();
        }

        @Override
        public java.net.URI uri() {
            return response.uri();
        }

        @Override
        public HttpClient.Version version() {
            return response.version();
        }
    }
}
