package dev.herald.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TcpConnections;
import dev.herald.TestPod;
import dev.herald.TestTls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HTTP/2 in its three forms: h2c prior knowledge, h2c upgrade, and h2 over TLS with ALPN. */
class Http2Test {
    private static final Duration WAIT = Duration.ofSeconds(15);

    /** Prior knowledge through curl, a real HTTP/2 client: the JDK's client only upgrades or uses ALPN. */
    @Test
    void priorKnowledge_servesStreamsAndApi(@TempDir Path dir) throws Exception {
        try (TestPod pod = TestPod.start()) {
            String base = "http://127.0.0.1:" + pod.port();
            String token = pod.token("ivan");
            assertEquals("2 200", curl("-XPOST", base + "/dev/token", "-H", "Content-Type: application/json",
                                       "-d", "{\"userId\":\"ivan\"}", "-o", "/dev/null"));
            Path streamed = dir.resolve("stream.txt");
            Process stream = new ProcessBuilder("curl", "-sN", "--http2-prior-knowledge", "-H",
                                                "Authorization: Bearer " + token, base + TestPod.eventsPath("channel:pk"))
                    .redirectOutput(streamed.toFile()).redirectErrorStream(false).start();
            try {
                Await.until("the stream to start", WAIT, () -> read(streamed).contains("id: "));
                assertEquals("2 204", curl("-XPOST", base + "/api/chat/messages", "-H", "Content-Type: application/json",
                                           "-H", "Authorization: Bearer " + token,
                                           "-d", "{\"channel\":\"channel:pk\",\"content\":\"over h2c\"}"));
                Await.until("the chat event", WAIT, () -> read(streamed).contains("\"content\":\"over h2c\""));
                assertTrue(read(streamed).startsWith("retry: "), read(streamed));
            } finally {
                stream.destroy();
            }
            assertEquals("2 200", curl(base + "/api/channels/channel:pk/presence", "-H", "Authorization: Bearer " + token,
                                       "-o", "/dev/null"));
            assertEquals("2 200", curl(base + "/observe/metrics", "-o", "/dev/null"));
        }
    }

    /** Runs curl with prior knowledge and returns "<http version> <status>". */
    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "--http2-prior-knowledge", "-w",
                                                       "%{http_version} %{http_code}"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return out.substring(Math.max(0, out.length() - 5));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void tlsWithAlpn_negotiatesH2_andStreams(@TempDir Path dir) throws Exception {
        Path keystore = TestTls.keystore(dir);
        try (TestPod pod = TestPod.start(tls(keystore))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(TestTls.trusting(keystore)).build();
            URI events = URI.create("https://localhost:" + pod.port() + TestPod.eventsPath("channel:tls"));
            try (SseClient sse = SseClient.open(client, events, Map.of("Authorization", "Bearer " + pod.token("jo")))) {
                assertEquals(HttpClient.Version.HTTP_2, sse.response().version(), "ALPN chose h2");
                HttpResponse<String> posted = client.send(
                        HttpRequest.newBuilder(URI.create("https://localhost:" + pod.port() + "/api/chat/messages"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + pod.token("jo"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"channel:tls\",\"content\":\"x\"}"))
                                .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(204, posted.statusCode());
                assertEquals(HttpClient.Version.HTTP_2, posted.version());
                sse.awaitEvents("chat", 1, WAIT);
            }
            HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .sslContext(TestTls.trusting(keystore)).build();
            HttpResponse<String> health = http11.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + pod.port() + "/observe/health")).build(),
                                                      HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals(HttpClient.Version.HTTP_1_1, health.version(), "HTTP/1.1 over TLS still works");
        }
    }

    @Test
    void manyStreams_shareOneConnection(@TempDir Path dir) throws Exception {
        Path keystore = TestTls.keystore(dir);
        try (TestPod pod = TestPod.start(tls(keystore))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(TestTls.trusting(keystore)).build();
            String base = "https://localhost:" + pod.port();
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(base + "/observe/health")).build(),
                                          HttpResponse.BodyHandlers.discarding()).statusCode());
            List<SseClient> streams = new ArrayList<>();
            try {
                for (int i = 0; i < 60; i++) {
                    streams.add(SseClient.open(client, URI.create(base + TestPod.eventsPath("channel:many")),
                                               Map.of("Authorization", "Bearer " + pod.token("user" + i))));
                }
                assertEquals(1, TcpConnections.establishedTo(pod.port()), "60 streams over one TCP connection");
                pod.publish("channel:many", "note", "\"n\":1");
                for (SseClient sse : streams) {
                    sse.awaitEvents("note", 1, WAIT);
                    assertEquals(HttpClient.Version.HTTP_2, sse.response().version());
                }
            } finally {
                streams.forEach(SseClient::close);
            }
        }
    }

    /**
     * Helidon closes an HTTP/2 connection idle past server.idle-connection-timeout when its client next sends a
     * frame, even with an SSE stream open on it; Herald's stream-aware connections are not idle while streaming.
     */
    @Test
    void sseOverH2Tls_outlivesIdleTimeout_whileOtherRequestsShareTheConnection(@TempDir Path dir) throws Exception {
        Path keystore = TestTls.keystore(dir);
        Map<String, String> config = new java.util.HashMap<>(tls(keystore));
        config.putAll(SHORT_IDLE);
        try (TestPod pod = TestPod.start(config)) {
            checkStreamSurvives(pod, "channel:idle-tls");
        }
    }

    @Test
    void sseOverH2cUpgrade_outlivesIdleTimeout_whileOtherRequestsShareTheConnection() throws Exception {
        try (TestPod pod = TestPod.start(SHORT_IDLE)) {
            checkStreamSurvives(pod, "channel:idle-h2c");
        }
    }

    private static final Map<String, String> SHORT_IDLE = Map.of("server.idle-connection-timeout", "PT1S",
                                                                 "server.idle-connection-period", "PT0.2S",
                                                                 "herald.sse.heartbeat", "PT0.25S");

    private static void checkStreamSurvives(TestPod pod, String channel) throws Exception {
        HttpClient client = pod.client(HttpClient.Version.HTTP_2);
        String base = pod.uri("").toString();
        String token = pod.token("kim");
        assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(base + "/observe/health")).build(),
                                      HttpResponse.BodyHandlers.discarding()).statusCode());
        try (SseClient sse = SseClient.open(client, URI.create(base + TestPod.eventsPath(channel)),
                                            Map.of("Authorization", "Bearer " + token))) {
            assertEquals(HttpClient.Version.HTTP_2, sse.response().version());
            // 2.5 s of heartbeats: well past the 1 s idle timeout, counted by the stream itself
            sse.await("10 heartbeats", WAIT, c -> c.comments().size() >= 10);
            HttpResponse<String> posted = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/chat/messages"))
                            .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"channel\":\"" + channel + "\",\"content\":\"still here\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(204, posted.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, posted.version());
            sse.awaitEvents("chat", 1, WAIT);
            int pings = sse.comments().size();
            sse.await("more heartbeats after the request", WAIT, c -> c.comments().size() >= pings + 4);
            assertFalse(sse.ended(), "the stream survived the idle timeout and the new request");
            assertEquals(1, TcpConnections.establishedTo(pod.port()), "all of it on one connection");
        }
        Await.until("the idle connection to be closed, since it has no stream any more", WAIT,
                    () -> TcpConnections.establishedTo(pod.port()) == 0);
    }

    private static Map<String, String> tls(Path keystore) {
        return Map.of("herald.tls.keystore", keystore.toString(),
                      "herald.tls.password", TestTls.PASSWORD,
                      "herald.tls.alias", TestTls.ALIAS);
    }
}
