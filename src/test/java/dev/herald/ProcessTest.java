package dev.herald;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.auth.TokenIssuer;
import dev.herald.redis.RedisProcess;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Herald as an operator runs it: a separate process, configured by environment and -D, stopped by SIGTERM. */
class ProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "process-secret-process-secret-process-secret";

    @Test
    void envNamesAndSystemProperties_configure_andSigtermDrainsStreamsAndExits() throws Exception {
        int port = HeraldProcess.freePort();
        HeraldProcess herald = HeraldProcess.start(Map.of("SERVER_PORT", String.valueOf(port), "HERALD_JWT_SECRET", SECRET,
                                      "HERALD_DEV_MODE", "false", "HERALD_SSE_RETRY", "PT2S",
                                      "HERALD_SSE_MAX_dash_CHANNELS", "9"),
                               List.of("-Dherald.sse.max-channels=2"));
        try {
            HttpClient client = HttpClient.newHttpClient();
            String token = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8))
                    .issue("quinn", "Quinn", List.of(), Duration.ofMinutes(5));
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpResponse<String> dev = client.send(HttpRequest.newBuilder(base.resolve("/dev/token"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"x\"}")).build(),
                                                   HttpResponse.BodyHandlers.ofString());
            assertEquals(404, dev.statusCode(), "HERALD_DEV_MODE=false turned dev mode off");
            HttpResponse<String> three = client.send(HttpRequest.newBuilder(base.resolve(
                    "/api/events?channel=channel:a&channel=channel:b&channel=channel:c"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, three.statusCode(), "-Dherald.sse.max-channels=2 applies, over the environment's 9");
            HttpResponse<String> badQuery = client.send(HttpRequest.newBuilder(base.resolve(
                    "/api/events?channel=channel:a&access_token=" + token.substring(0, token.length() - 3) + "xyz"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, badQuery.statusCode(), "a tampered query-string token");
            try (SseClient sse = SseClient.open(client, base.resolve("/api/events?channel=channel:a&access_token="
                                                                      + token), Map.of())) {
                sse.awaitCursor(WAIT);
                assertEquals("2000", sse.retries().get(0), "HERALD_SSE_RETRY maps to herald.sse.retry");
                long start = System.nanoTime();
                herald.process().destroy();
                sse.awaitEnd(WAIT);
                assertEquals(2, sse.retries().size(), "a last retry hint before the end");
                assertTrue(herald.process().waitFor(20, TimeUnit.SECONDS), "the process exits after SIGTERM");
                assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos());
            }
            Await.until("the last lines of the log", WAIT, () -> herald.output().contains("herald: stopped"));
            assertTrue(herald.output().contains("herald: stopping: draining 1 streams"), herald.output());
            String log = herald.output();
            assertTrue(log.contains("GET /api/events "), "the access log has the request, without its query: " + log);
            assertFalse(log.contains(token), "the token never appears in the logs");
            assertFalse(log.contains(token.substring(0, token.length() - 3)), "nor the tampered one");
            assertFalse(log.contains(token.split("\\.")[2]), "nor a token's signature");
        } finally {
            herald.process().destroyForcibly();
        }
    }

    @Test
    void devModeWithoutSecret_makesOneAndWarns() throws Exception {
        int port = HeraldProcess.freePort();
        HeraldProcess herald = HeraldProcess.start(Map.of("SERVER_PORT", String.valueOf(port), "HERALD_DEV_MODE", "true"), List.of());
        try {
            assertTrue(herald.output().contains("DEV MODE"), herald.output());
            HttpResponse<String> token = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/dev/token"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"r\",\"name\":\"R\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, token.statusCode());
        } finally {
            herald.process().destroy();
            herald.process().waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void devModeBesideARealSecret_warnsLoudlyAtStart() throws Exception {
        HeraldProcess herald = HeraldProcess.start(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                          "HERALD_DEV_MODE", "true", "HERALD_JWT_SECRET", SECRET),
                                                   List.of());
        try {
            assertTrue(herald.output().contains("DEV MODE IS ON BESIDE A REAL SECRET"), herald.output());
            assertFalse(herald.output().contains(SECRET), "never the secret itself");
        } finally {
            herald.process().destroy();
            herald.process().waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void productionWithoutSecret_refusesToStartWithOneLine() throws Exception {
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()), "HERALD_DEV_MODE", "false"),
                                  List.of("-Dherald.config=config/production.yaml")).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        List<String> reasons = output.lines().filter(l -> l.startsWith("herald: cannot start")).toList();
        assertEquals(1, reasons.size(), output);
        assertTrue(reasons.get(0).contains("HERALD_JWT_SECRET"), reasons.get(0));
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
    }

    @Test
    void portInUse_exitsWithStatus2_andOneLineNamingThePort() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            String port = String.valueOf(taken.getLocalPort());
            Process process = HeraldProcess.command(Map.of("SERVER_PORT", port, "HERALD_DEV_MODE", "true"), List.of())
                    .start();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), output);
            List<String> reasons = output.lines().filter(l -> l.startsWith("herald: cannot start")).toList();
            assertEquals(List.of("herald: cannot start: cannot listen on 0.0.0.0:" + port
                                 + " (server.host, server.port): Address already in use"), reasons, output);
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
            assertFalse(output.contains("Herald listening"), output);
        }
    }

    @Test
    void redisRefusing_exitsWithStatus2_andOneLineNamingRedis() throws Exception {
        int closed = HeraldProcess.freePort();
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                       "HERALD_DEV_MODE", "true",
                                                       "HERALD_REDIS_URL", "redis://127.0.0.1:" + closed),
                                                List.of()).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        List<String> reasons = output.lines().filter(l -> l.startsWith("herald: cannot start")).toList();
        assertEquals(1, reasons.size(), output);
        assertTrue(reasons.get(0).contains("127.0.0.1:" + closed) && reasons.get(0).endsWith("(herald.redis.url)"),
                   reasons.get(0));
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
    }

    @Test
    void settingOutOfRange_exitsWithStatus2_andOneLineNamingIt() throws Exception {
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                       "HERALD_DEV_MODE", "true"),
                                                List.of("-Dherald.sse.heartbeat=PT0S")).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        assertTrue(output.lines().anyMatch(l -> l.equals(
                "herald: cannot start: herald.sse.heartbeat must be between PT0.05S and PT1H (is PT0S)")), output);
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
    }

    @Test
    void productionConfigWithDevMode_refusesToStart() throws Exception {
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                       "HERALD_JWT_SECRET", SECRET, "HERALD_DEV_MODE", "true"),
                                                List.of("-Dherald.config=config/production.yaml")).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        assertTrue(output.contains("herald: cannot start: dev mode is on in a production configuration"), output);
    }

    @Test
    void redisUrlFromEnvironment_startsClusteredMode() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            HeraldProcess herald = HeraldProcess.start(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                              "HERALD_REDIS_URL", redis.url(),
                                                              "HERALD_DEV_MODE", "true"), List.of());
            try {
                assertTrue(herald.output().contains("clustered mode"), herald.output());
            } finally {
                herald.process().destroy();
                herald.process().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }
}
