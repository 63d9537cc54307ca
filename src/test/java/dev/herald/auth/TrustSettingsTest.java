package dev.herald.auth;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.herald.Await;
import dev.herald.Herald;
import dev.herald.HeraldConfig;
import dev.herald.StartupException;
import dev.herald.TestPod;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 7: who is a service, what production requires of a JWKS, and a JWKS cache that outlives its
 * identity provider's outages and floods of made-up {@code kid}s. The provider is a real HTTP server that the tests
 * take down, make answer 500 or hang.
 */
class TrustSettingsTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String ISSUER = "https://id.example";
    private static final String AUDIENCE = "herald";
    /** Below the 2 s fetch timeout: a known key that waited for a hung provider would take longer. */
    private static final long NO_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);

    private final FakeIdp idp = new FakeIdp();

    @AfterEach
    void stopIdp() {
        idp.stop();
    }

    @Test
    void aScopeGivesTheServiceRole_onlyWhenTheSettingNamesIt() {
        String publish = "{\"channel\":\"channel:x\",\"type\":\"note\"}";
        byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
        try (TestPod plain = TestPod.start();
             TestPod scoped = TestPod.start(Map.of("herald.auth.jwt.service-scope", "herald:publish"))) {
            String readService = hmac(secret, claims("client-app").claim("scope", "read service"));
            assertEquals(403, plain.post(HttpClient.Version.HTTP_1_1, "/api/publish", readService, publish).statusCode(),
                         "a scope a client asked for is no role");
            String herald = hmac(secret, claims("worker").claim("scope", "read herald:publish"));
            assertEquals(403, plain.post(HttpClient.Version.HTTP_1_1, "/api/publish", herald, publish).statusCode());
            assertEquals(202, scoped.post(HttpClient.Version.HTTP_1_1, "/api/publish", herald, publish).statusCode(),
                         "the configured scope grants it");
            assertEquals(403, scoped.post(HttpClient.Version.HTTP_1_1, "/api/publish", readService, publish).statusCode());
            String roles = hmac(secret, claims("backend").claim("roles", List.of("service")));
            assertEquals(202, plain.post(HttpClient.Version.HTTP_1_1, "/api/publish", roles, publish).statusCode());
        }
    }

    @Test
    void aJwksWithoutIssuerOrAudience_refusesToStartOutsideDevMode_namingBothSettings(@TempDir Path dir)
            throws Exception {
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK())
                .toString());
        Map<String, String> config = new HashMap<>(Map.of("server.port", "0", "herald.pod-id", "trust",
                                                          "herald.auth.dev-mode", "false",
                                                          "herald.auth.jwt.jwks-file", jwks.toString()));
        for (Map<String, String> missing : List.of(Map.<String, String>of(), Map.of("herald.auth.jwt.issuer", ISSUER),
                                                   Map.of("herald.auth.jwt.audience", AUDIENCE))) {
            Map<String, String> attempt = new HashMap<>(config);
            attempt.putAll(missing);
            StartupException e = assertThrows(StartupException.class,
                                              () -> Herald.build(HeraldConfig.withOverrides(attempt)), missing::toString);
            assertTrue(e.getMessage().contains("herald.auth.jwt.issuer")
                       && e.getMessage().contains("herald.auth.jwt.audience"), e.getMessage());
        }
        config.put("herald.auth.jwt.issuer", ISSUER);
        config.put("herald.auth.jwt.audience", AUDIENCE);
        Herald.build(HeraldConfig.withOverrides(config)).start().stop();
        config.remove("herald.auth.jwt.issuer");
        config.put("herald.auth.dev-mode", "true");
        Herald.build(HeraldConfig.withOverrides(config)).start().stop();
    }

    @Test
    void keysItHad_keepWorkingThroughAnOutage_andARotatedKeyIsPickedUpAfterIt() throws Exception {
        ECKey first = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        ECKey second = new ECKeyGenerator(Curve.P_256).keyID("k2").generate();
        idp.serve(new JWKSet(first.toPublicJWK()));
        TokenVerifier verifier = verifier(Jwks.url(idp.url(), Duration.ofMillis(300), Duration.ofMillis(300)));
        assertEquals("a", verifier.verify(ec(first, claims("a"))).userId());
        assertEquals(1, idp.requests.get());

        for (String outage : List.of("500", "hang", "down")) {
            idp.outage(outage);
            int before = idp.requests.get();
            long since = System.nanoTime();
            // past the cache time the set is stale: each known-kid token still verifies at once, while the pod
            // tries the provider in the background (seen at the provider, except when its port is closed)
            Await.until("known keys to keep working for 3 cache times of the " + outage + " outage", WAIT, () -> {
                long start = System.nanoTime();
                assertEquals("b", verifier.verify(ec(first, claims("b"))).userId(), outage);
                assertTrue(System.nanoTime() - start < NO_WAIT_NANOS,
                           "a known key never waits for the provider (" + outage + ")");
                return System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(900)
                       && (idp.requests.get() > before || "down".equals(outage));
            });
            assertEquals("signature", assertThrows(AuthException.class,
                    () -> verifier.verify(ec(second, claims("d")))).reason(), "an unknown key stays unknown");
        }
        idp.serve(new JWKSet(List.of(first.toPublicJWK(), second.toPublicJWK())));
        Await.until("the rotated key to be accepted after the outage", WAIT, () -> {
            try {
                return "e".equals(verifier.verify(ec(second, claims("e"))).userId());
            } catch (AuthException e) {
                return false;
            }
        });
        assertEquals("f", verifier.verify(ec(first, claims("f"))).userId());
    }

    @Test
    void aFloodOfUnknownKids_fetchesAtMostOncePerInterval_andNeverDelaysKnownKeys() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        ECKey attacker = new ECKeyGenerator(Curve.P_256).generate();
        idp.serve(new JWKSet(key.toPublicJWK()));
        TokenVerifier verifier = verifier(Jwks.url(idp.url(), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertEquals("a", verifier.verify(ec(key, claims("a"))).userId());
        idp.outage("hang"); // the worst case: each allowed refetch hangs until its timeout
        int before = idp.requests.get();
        long floodStart = System.nanoTime();
        List<String> junk = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            junk.add(ec(new ECKey.Builder(attacker).keyID(UUID.randomUUID().toString()).build(), claims("m" + i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> flood = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                flood.add(pool.submit(() -> {
                    go.await();
                    for (int i = offset; System.nanoTime() - floodStart < TimeUnit.SECONDS.toNanos(3); i += 8) {
                        String token = junk.get(i % junk.size());
                        assertThrows(AuthException.class, () -> verifier.verify(token));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (int i = 0; i < 50; i++) {
                long start = System.nanoTime();
                assertEquals("v" + i, verifier.verify(ec(key, claims("v" + i))).userId());
                assertTrue(System.nanoTime() - start < NO_WAIT_NANOS,
                           "a known key is not held up by the flood");
            }
            for (Future<?> f : flood) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - floodStart);
        int fetches = idp.requests.get() - before;
        assertTrue(fetches >= 1 && fetches <= seconds + 1,
                   "unknown kids for " + seconds + " s, one refetch a second at most: " + fetches + " fetches");
    }

    private static TokenVerifier verifier(JWKSource<SecurityContext> jwks) {
        return new TokenVerifier(null, jwks, ISSUER, AUDIENCE);
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).issuer(ISSUER).audience(AUDIENCE).jwtID(UUID.randomUUID().toString())
                .expirationTime(new Date(System.currentTimeMillis() + 300_000));
    }

    private static String ec(ECKey key, JWTClaimsSet.Builder claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                                          claims.build());
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String hmac(byte[] secret, JWTClaimsSet.Builder claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A JWKS endpoint that counts its requests and can answer, fail with 500, hang, or be down (port closed). */
    private static final class FakeIdp {
        final AtomicInteger requests = new AtomicInteger();
        final AtomicReference<String> mode = new AtomicReference<>("ok");
        private final AtomicReference<JWKSet> keys = new AtomicReference<>();
        private final CountDownLatch released = new CountDownLatch(1);
        private HttpServer server;
        private int port;

        void serve(JWKSet set) throws IOException {
            keys.set(set);
            mode.set("ok");
            if (server == null) {
                start(new InetSocketAddress("127.0.0.1", port));
            }
        }

        /** "500", "hang" (no answer until the test ends), or "down" (the port closed). */
        void outage(String kind) {
            mode.set(kind);
            if ("down".equals(kind)) {
                server.stop(0);
                server = null;
            }
        }

        String url() {
            return "http://127.0.0.1:" + port + "/jwks.json";
        }

        private void start(InetSocketAddress address) throws IOException {
            server = HttpServer.create(address, 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/jwks.json", this::answer);
            server.start();
            port = server.getAddress().getPort();
        }

        private void answer(HttpExchange exchange) throws IOException {
            requests.incrementAndGet();
            switch (mode.get()) {
                case "hang" -> {
                    try {
                        released.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.close();
                    return;
                }
                case "500" -> {
                    exchange.sendResponseHeaders(500, -1);
                    exchange.close();
                    return;
                }
                default -> {
                }
            }
            byte[] body = keys.get().toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }

        void stop() {
            released.countDown();
            if (server != null) {
                server.stop(0);
            }
        }
    }
}
