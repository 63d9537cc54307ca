package dev.herald.auth;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who may do what: token checks (401) and channel policy (403), on both protocols. */
class AuthTest {
    private static TestPod pod;

    @BeforeAll
    static void start() {
        pod = TestPod.start();
    }

    @AfterAll
    static void stop() {
        pod.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void untrustedTokens_are401(HttpClient.Version version) throws Exception {
        byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
        Date now = new Date();
        String expired = sign(secret, claims("alice").expirationTime(new Date(now.getTime() - 60_000)).build());
        String noExp = sign(secret, new JWTClaimsSet.Builder().subject("alice").build());
        String noSub = sign(secret, new JWTClaimsSet.Builder().expirationTime(new Date(now.getTime() + 60_000)).build());
        String otherSecret = sign("another-secret-another-secret-another-secret!".getBytes(StandardCharsets.UTF_8),
                                  claims("alice").build());
        String valid = pod.token("alice");
        String[] parts = valid.split("\\.");
        String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        String tampered = parts[0] + "." + b64("{\"sub\":\"root\",\"exp\":9999999999,\"roles\":[\"service\"]}") + "."
                          + parts[2];
        String notYet = sign(secret, claims("alice").notBeforeTime(new Date(now.getTime() + 600_000)).build());
        for (String bad : List.of(expired, noExp, noSub, otherSecret, none, tampered, notYet, "garbage", "a.b.c")) {
            HttpResponse<String> res = pod.get(version, TestPod.eventsPath("channel:x"), bad);
            assertEquals(401, res.statusCode(), bad + " -> " + res.body());
            assertEquals("unauthorized", TestPod.json(res.body()).get("error").asText());
            assertFalse(res.body().contains(bad), "the token is never echoed");
            HttpResponse<String> post = pod.post(version, "/api/chat/messages", bad,
                                                 "{\"channel\":\"channel:x\",\"content\":\"hi\"}");
            assertEquals(401, post.statusCode());
        }
        assertEquals(401, pod.get(version, TestPod.eventsPath("channel:x"), null).statusCode(), "no token");
        HttpResponse<String> basic = pod.send(version, java.net.http.HttpRequest.newBuilder(
                pod.uri(TestPod.eventsPath("channel:x"))).header("Authorization", "Basic YTpi").build());
        assertEquals(401, basic.statusCode());
        assertTrue(pod.metric("herald_auth_failures_total", "expired") >= 1);
    }

    /** Each refused token moves its own reason of herald_auth_failures_total by one, and no other. */
    @Test
    void eachRefusedToken_countsOneAuthFailureUnderItsReason() throws Exception {
        byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
        Map<String, String> tokens = new java.util.LinkedHashMap<>();
        tokens.put("missing", null);
        tokens.put("malformed", "not-a-jwt");
        tokens.put("expired", sign(secret, claims("alice").expirationTime(new Date(System.currentTimeMillis() - 60_000))
                .build()));
        tokens.put("signature", sign("another-secret-another-secret-another-secret!".getBytes(StandardCharsets.UTF_8),
                                     claims("alice").build()));
        tokens.put("claims", sign(secret, new JWTClaimsSet.Builder()
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build()));
        for (Map.Entry<String, String> token : tokens.entrySet()) {
            Map<String, Double> before = authFailures();
            assertEquals(401, pod.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:x"), token.getValue())
                    .statusCode(), token.getKey());
            Map<String, Double> expected = new java.util.HashMap<>(before);
            expected.merge(token.getKey(), 1.0, Double::sum);
            assertEquals(expected, authFailures(), token.getKey());
        }
    }

    private static Map<String, Double> authFailures() {
        Map<String, Double> counts = new java.util.HashMap<>();
        for (String reason : List.of("missing", "malformed", "expired", "signature", "claims")) {
            counts.put(reason, pod.metric("herald_auth_failures_total", "reason=\"" + reason + "\""));
        }
        return counts;
    }

    @Test
    void clockSkewOf30Seconds_isTolerated() throws Exception {
        byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
        String justExpired = sign(secret, claims("alice").expirationTime(new Date(System.currentTimeMillis() - 10_000))
                .build());
        try (SseClient sse = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1), pod.uri(TestPod.eventsPath("user:alice")),
                                            Map.of("Authorization", "Bearer " + justExpired))) {
            assertFalse(sse.ended());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void anotherUsersChannel_is403_andServiceMayGoAnywhere(HttpClient.Version version) {
        String alice = pod.token("alice");
        HttpResponse<String> res = pod.get(version, TestPod.eventsPath("user:bob"), alice);
        assertEquals(403, res.statusCode());
        assertEquals("forbidden", TestPod.json(res.body()).get("error").asText());
        assertEquals(403, pod.get(version, TestPod.eventsPath("channel:ok", "user:bob"), alice).statusCode(),
                     "one forbidden channel refuses the whole stream");
        assertEquals(403, pod.post(version, "/api/chat/messages", alice, "{\"channel\":\"user:bob\",\"content\":\"x\"}")
                .statusCode());
        try (SseClient service = pod.subscribe(version, pod.serviceToken(), "user:bob", "channel:ok")) {
            assertFalse(service.ended());
        }
    }

    @Test
    void channelsClaim_narrowsWhatAUserMaySubscribe() throws Exception {
        byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
        String narrowed = sign(secret, claims("tess").claim("channels", List.of("channel:team-*", "user:tess")).build());
        assertEquals(403, pod.get(HttpClient.Version.HTTP_1_1, TestPod.eventsPath("channel:general"), narrowed).statusCode());
        try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, narrowed, "channel:team-blue", "user:tess")) {
            assertFalse(sse.ended());
        }
    }

    @Test
    void devToken_worksInDevMode_andIs404WhenOff() {
        HttpResponse<String> res = pod.post(HttpClient.Version.HTTP_1_1, "/dev/token", null,
                                            "{\"userId\":\"alice\",\"name\":\"Alice\"}");
        assertEquals(200, res.statusCode());
        String token = TestPod.json(res.body()).get("token").asText();
        try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, token, "user:alice")) {
            pod.chat(token, "channel:dev", "hello");
            assertFalse(sse.ended());
        }
        assertEquals(400, pod.post(HttpClient.Version.HTTP_1_1, "/dev/token", null, "{\"userId\":\"bad\\nid\"}").statusCode());
        try (TestPod production = TestPod.start(Map.of("herald.auth.dev-mode", "false"))) {
            HttpResponse<String> off = production.post(HttpClient.Version.HTTP_1_1, "/dev/token", null,
                                                       "{\"userId\":\"alice\"}");
            assertEquals(404, off.statusCode());
            assertEquals("not_found", TestPod.json(off.body()).get("error").asText());
        }
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).claim("name", sub)
                .expirationTime(new Date(System.currentTimeMillis() + Duration.ofMinutes(5).toMillis()));
    }

    private static String sign(byte[] secret, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
