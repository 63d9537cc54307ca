package dev.herald.auth;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.herald.Await;
import dev.herald.TestPod;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Production JWT: public keys from a JWKS file or URL, iss/aud, cookies, and the classic attacks. */
class JwksTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void rs256FromJwksFile_issuerAudience_andAlgorithmConfusionRefused(@TempDir Path dir) throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        RSAKey other = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(rsa.toPublicJWK()).toString());
        try (TestPod pod = TestPod.start(Map.of("herald.auth.dev-mode", "false", "herald.auth.jwt.secret", "",
                                                "herald.auth.jwt.jwks-file", jwks.toString(),
                                                "herald.auth.jwt.issuer", "https://id.example",
                                                "herald.auth.jwt.audience", "herald"))) {
            String good = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("ana"));
            assertEquals(200, status(pod, good));
            assertEquals(401, status(pod, sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1",
                                               claims("ana").issuer("https://evil.example"))), "wrong iss");
            assertEquals(401, status(pod, sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1",
                                               claims("ana").audience("someone-else"))), "wrong aud");
            assertEquals(401, status(pod, sign(new RSASSASigner(other), JWSAlgorithm.RS256, "rsa-1", claims("ana"))),
                         "a kid pointing at a key that did not sign it");
            assertEquals(401, status(pod, sign(new RSASSASigner(other), JWSAlgorithm.RS256, "rsa-2", claims("ana"))),
                         "a kid that is not in the set");
            byte[] publicKeyBytes = rsa.toRSAPublicKey().getEncoded();
            assertEquals(401, status(pod, sign(new MACSigner(publicKeyBytes), JWSAlgorithm.HS256, "rsa-1",
                                               claims("ana"))), "HS256 signed with the RSA public key");
            byte[] jwkBytes = rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
            assertEquals(401, status(pod, sign(new MACSigner(jwkBytes), JWSAlgorithm.HS256, null, claims("ana"))),
                         "HS256 signed with the JWK text");
            String[] parts = good.split("\\.");
            String none = java.util.Base64.getUrlEncoder().withoutPadding()
                                  .encodeToString("{\"alg\":\"none\",\"kid\":\"rsa-1\"}".getBytes(StandardCharsets.UTF_8))
                          + "." + parts[1] + ".";
            assertEquals(401, status(pod, none), "alg none");
            assertEquals(401, status(pod, pod.token("ana")), "an HS token when only public keys are configured");
        }
    }

    @Test
    void es256FromJwksUrl_unknownKidRefetchesAtMostOncePerInterval() throws Exception {
        ECKey first = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        ECKey second = new ECKeyGenerator(Curve.P_256).keyID("ec-2").generate();
        AtomicReference<String> served = new AtomicReference<>(new JWKSet(first.toPublicJWK()).toString());
        AtomicInteger fetches = new AtomicInteger();
        HttpServer keys = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        keys.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        keys.start();
        try (TestPod pod = TestPod.start(Map.of("herald.auth.dev-mode", "false", "herald.auth.jwt.secret", "",
                                                "herald.auth.jwt.jwks-url",
                                                "http://127.0.0.1:" + keys.getAddress().getPort() + "/jwks.json",
                                                "herald.auth.jwt.jwks-refetch", "PT2S",
                                                "herald.auth.jwt.issuer", "https://id.example",
                                                "herald.auth.jwt.audience", "herald"))) {
            assertEquals(200, status(pod, sign(new ECDSASigner(first), JWSAlgorithm.ES256, "ec-1", claims("eve"))));
            assertEquals(200, status(pod, sign(new ECDSASigner(first), JWSAlgorithm.ES256, "ec-1", claims("eve"))));
            assertEquals(1, fetches.get(), "the set is cached");

            served.set(new JWKSet(List.of(first.toPublicJWK(), second.toPublicJWK())).toString());
            String rotated = sign(new ECDSASigner(second), JWSAlgorithm.ES256, "ec-2", claims("eve"));
            for (int i = 0; i < 20; i++) {
                status(pod, sign(new ECDSASigner(second), JWSAlgorithm.ES256, "unknown-" + i, claims("eve")));
            }
            int afterBurst = fetches.get();
            org.junit.jupiter.api.Assertions.assertTrue(afterBurst <= 2,
                    "20 unknown kids cause at most one refetch per interval: " + afterBurst);
            Await.until("the rotated key to be accepted after a refetch", WAIT, () -> status(pod, rotated) == 200);
            org.junit.jupiter.api.Assertions.assertTrue(fetches.get() <= afterBurst + 1, "fetches: " + fetches.get());
        } finally {
            keys.stop(0);
        }
    }

    @Test
    void tokenInConfiguredCookie_isAccepted() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.auth.cookie", "herald_token"))) {
            HttpResponse<String> res = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/channels/channel:c/presence"))
                            .header("Cookie", "other=1; herald_token=" + pod.token("cory")).build());
            assertEquals(200, res.statusCode(), res.body());
            HttpResponse<String> wrongCookie = pod.send(HttpClient.Version.HTTP_1_1,
                    HttpRequest.newBuilder(pod.uri("/api/channels/channel:c/presence"))
                            .header("Cookie", "session=" + pod.token("cory")).build());
            assertEquals(401, wrongCookie.statusCode());
        }
    }

    private static int status(TestPod pod, String token) {
        return pod.get(HttpClient.Version.HTTP_1_1, "/api/channels/channel:k/presence", token).statusCode();
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).issuer("https://id.example").audience("herald")
                .expirationTime(new Date(System.currentTimeMillis() + 300_000));
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet.Builder claims)
            throws Exception {
        JWSHeader.Builder header = new JWSHeader.Builder(alg).type(JOSEObjectType.JWT);
        if (kid != null) {
            header.keyID(kid);
        }
        SignedJWT jwt = new SignedJWT(header.build(), claims.build());
        jwt.sign(signer);
        return jwt.serialize();
    }
}
