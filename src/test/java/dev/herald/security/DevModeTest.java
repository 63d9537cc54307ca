package dev.herald.security;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;

import dev.herald.TestPod;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Dev mode beside real keys: its tokens are never signed with the real secret, and only this machine gets them. */
class DevModeTest {
    private static final String PUBLISH = "{\"channel\":\"channel:ops\",\"type\":\"deploy\"}";

    @Test
    void devTokensBesideARealSecret_workWhereMinted_butAProductionPodWithTheSameSecretRefusesThem() {
        try (TestPod dev = TestPod.start(Map.of("herald.auth.dev-mode", "true"));
             TestPod production = TestPod.start(Map.of("herald.auth.dev-mode", "false"))) {
            HttpResponse<String> minted = dev.post(HttpClient.Version.HTTP_1_1, "/dev/token", null,
                                                   "{\"userId\":\"mallory\",\"roles\":[\"service\"]}");
            assertEquals(200, minted.statusCode(), minted.body());
            String devToken = TestPod.json(minted.body()).get("token").asText();
            assertEquals(202, dev.post(HttpClient.Version.HTTP_1_1, "/api/publish", devToken, PUBLISH).statusCode(),
                         "a dev token works on the dev pod");
            HttpResponse<String> refused = production.post(HttpClient.Version.HTTP_1_1, "/api/publish", devToken,
                                                           PUBLISH);
            assertEquals(401, refused.statusCode(), "signed with the real secret, it would be a production token: "
                                                    + refused.body());
            assertEquals(202, production.post(HttpClient.Version.HTTP_1_1, "/api/publish",
                                              production.serviceToken(), PUBLISH).statusCode(),
                         "real tokens keep working on both");
            assertEquals(202, dev.post(HttpClient.Version.HTTP_1_1, "/api/publish", dev.serviceToken(), PUBLISH)
                    .statusCode());
        }
    }

    @Test
    void devToken_askedFromAnotherMachine_is404() throws Exception {
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> { try { return i.isUp() && !i.isLoopback(); } catch (java.net.SocketException e) { return false; } })
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no address but loopback");
        try (TestPod pod = TestPod.start(Map.of("server.host", "0.0.0.0"))) {
            HttpClient client = HttpClient.newHttpClient();
            for (String host : new String[] {external.get().getHostAddress(), "127.0.0.1"}) {
                HttpResponse<String> res = client.send(HttpRequest.newBuilder(
                                URI.create("http://" + host + ":" + pod.port() + "/dev/token"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"eve\"}")).build(),
                                                       HttpResponse.BodyHandlers.ofString());
                assertEquals(host.equals("127.0.0.1") ? 200 : 404, res.statusCode(), host + ": " + res.body());
            }
        }
    }

    @Test
    void ttlSeconds_setsTheLifetime_withinOneSecondToTwelveHours() throws Exception {
        try (TestPod pod = TestPod.start()) {
            HttpResponse<String> minted = pod.post(HttpClient.Version.HTTP_1_1, "/dev/token", null,
                                                   "{\"userId\":\"ivy\",\"ttlSeconds\":5}");
            assertEquals(200, minted.statusCode(), minted.body());
            long exp = com.nimbusds.jwt.SignedJWT.parse(TestPod.json(minted.body()).get("token").asText())
                    .getJWTClaimsSet().getExpirationTime().getTime();
            long left = exp - System.currentTimeMillis();
            org.junit.jupiter.api.Assertions.assertTrue(left > 3000 && left <= 5000, left + " ms left");
            for (String bad : new String[] {"0", "43201", "\"5\"", "1.5", "-1", "1e3"}) {
                HttpResponse<String> refused = pod.post(HttpClient.Version.HTTP_1_1, "/dev/token", null,
                                                        "{\"userId\":\"ivy\",\"ttlSeconds\":" + bad + "}");
                assertEquals(400, refused.statusCode(), bad + ": " + refused.body());
                assertEquals("bad_request", TestPod.json(refused.body()).get("error").asText());
            }
        }
    }
}
