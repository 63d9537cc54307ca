package dev.herald;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.herald.auth.TokenIssuer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code herald.log.format}: a pod run as a process with {@code json} writes nothing but one JSON object per line,
 * with the request fields on access-log lines; with either format no token, sent in a header, in
 * {@code access_token} or tampered with, appears anywhere in its output.
 */
class JsonLogsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "json-logs-secret-json-logs-secret-json-logs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TokenIssuer ISSUER = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8));

    @Test
    void jsonFormat_writesOneObjectPerLine_withRequestFields_andNoToken() throws Exception {
        Tokens tokens = new Tokens();
        String output = exercise("json", tokens);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new AssertionError("not a JSON line: " + line + "\nin:\n" + output, e);
            }
            assertTrue(node.isObject(), line);
            assertTrue(node.path("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line);
            assertTrue(List.of("SEVERE", "WARNING", "INFO", "CONFIG", "FINE").contains(node.path("level").asText()),
                       line);
            assertTrue(node.path("logger").isTextual(), line);
            assertTrue(node.path("message").isTextual(), line);
            assertEquals("json-pod", node.path("pod").asText(), line);
            lines.add(node);
        }
        assertTrue(lines.stream().anyMatch(l -> l.path("message").asText().startsWith("Herald listening")), output);
        assertTrue(lines.stream().anyMatch(l -> l.path("message").asText().equals("herald: stopped")),
                   "the shutdown hook's lines are JSON too: " + output);

        List<JsonNode> requests = lines.stream().filter(l -> l.path("logger").asText().equals("herald.access"))
                .toList();
        for (JsonNode request : requests) {
            assertTrue(request.path("method").isTextual() && request.path("path").isTextual()
                       && request.path("status").isInt() && request.path("duration").isIntegralNumber()
                       && request.path("duration").asLong() >= 0 && request.path("protocol").isTextual()
                       && request.path("peer").isTextual(), request.toString());
        }
        JsonNode queryStream = one(requests, "GET", "/api/events", 200, "ada");
        assertEquals("HTTP/1.1", queryStream.path("protocol").asText());
        one(requests, "GET", "/api/events", 200, "bo");
        one(requests, "POST", "/api/publish", 202, "backend");
        one(requests, "GET", "/api/events", 401, null);
        one(requests, "GET", "/api/channels/channel:a", 401, null);
        one(requests, "GET", "/no/such/page", 404, null);
        tokens.assertNoneIn(output);
    }

    @Test
    void textFormat_keepsItsLines_andNoToken() throws Exception {
        Tokens tokens = new Tokens();
        String output = exercise("text", tokens);
        assertTrue(output.contains("GET /api/events HTTP/1.1 200 "), output);
        assertTrue(output.contains("POST /api/publish HTTP/1.1 202 "), output);
        assertTrue(output.contains("GET /api/channels/channel:a HTTP/1.1 401 "), output);
        assertTrue(output.contains("herald: stopped"), output);
        assertFalse(output.contains("{\"time\""), "no JSON in the text format: " + output);
        tokens.assertNoneIn(output);
    }

    @Test
    void unknownFormat_refusesToStart_namingTheSetting() throws Exception {
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                       "HERALD_JWT_SECRET", SECRET, "HERALD_LOG_FORMAT", "xml"),
                                                List.of()).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        assertTrue(output.contains("herald: cannot start: herald.log.format must be text or json (is 'xml')"), output);
    }

    @Test
    void otherBadSetting_inJson_isOneJsonLine() throws Exception {
        Process process = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                       "HERALD_JWT_SECRET", SECRET, "HERALD_LOG_FORMAT", "json"),
                                                List.of("-Dherald.pod-id=json-pod",
                                                        "-Dherald.sse.queue-capacity=0")).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.lines().filter(l -> !l.isEmpty()).toList()) {
            lines.add(JSON.readTree(line));
        }
        List<JsonNode> reasons = lines.stream()
                .filter(l -> l.path("message").asText().startsWith("herald: cannot start")).toList();
        assertEquals(1, reasons.size(), output);
        JsonNode line = reasons.get(0);
        assertEquals("SEVERE", line.path("level").asText());
        assertEquals("json-pod", line.path("pod").asText());
        assertTrue(line.path("message").asText().startsWith("herald: cannot start: herald.sse.queue-capacity"),
                   output);
    }

    /**
     * Runs a pod with {@code format}: two streams on the direct HTTP/1.1 path (token in {@code access_token}, in the
     * header), a publish, 401s (a tampered token in {@code access_token}, a bad one in the header), a 404; then
     * SIGTERM. Returns everything the process wrote.
     */
    private static String exercise(String format, Tokens tokens) throws Exception {
        int port = HeraldProcess.freePort();
        HeraldProcess herald = HeraldProcess.start(
                Map.of("SERVER_PORT", String.valueOf(port), "HERALD_JWT_SECRET", SECRET, "HERALD_DEV_MODE", "false",
                       "HERALD_LOG_FORMAT", format),
                List.of("-Dherald.pod-id=json-pod", "-Dherald.access-log=true", "-Dherald.sse.heartbeat=PT0.2S"));
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI base = URI.create("http://127.0.0.1:" + port);
            try (SseClient ada = SseClient.open(client, base.resolve("/api/events?channel=channel:a&access_token="
                                                                      + tokens.ada), Map.of());
                 SseClient bo = SseClient.open(client, base.resolve("/api/events?channel=channel:a"),
                                               Map.of("Authorization", "Bearer " + tokens.bo))) {
                ada.awaitCursor(WAIT);
                bo.awaitCursor(WAIT);
                HttpResponse<String> publish = client.send(HttpRequest.newBuilder(base.resolve("/api/publish"))
                        .header("Authorization", "Bearer " + tokens.service)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"channel:a\",\"type\":\"note\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(202, publish.statusCode(), publish.body());
                ada.awaitEvents("note", 1, WAIT);
            }
            assertEquals(401, get(client, base.resolve("/api/events?channel=channel:a&access_token="
                                                       + tokens.tampered), Map.of()));
            assertEquals(401, get(client, base.resolve("/api/channels/channel:a"),
                                  Map.of("Authorization", "Bearer " + tokens.bad)));
            assertEquals(404, get(client, base.resolve("/no/such/page"), Map.of()));
            // a stream's line is written when it ends: the heartbeat finds the client gone
            Await.until("the three access lines of /api/events", WAIT,
                        () -> herald.output().lines().filter(l -> l.contains("GET /api/events HTTP/1.1 ")).count() >= 3);
            herald.process().destroy();
            assertTrue(herald.process().waitFor(20, TimeUnit.SECONDS), "the process exits after SIGTERM");
            Await.until("the last line", WAIT, () -> herald.output().contains("herald: stopped"));
            return herald.output();
        } finally {
            herald.process().destroyForcibly();
        }
    }

    private static int get(HttpClient client, URI uri, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static JsonNode one(List<JsonNode> requests, String method, String path, int status, String user) {
        List<JsonNode> found = requests.stream()
                .filter(r -> r.path("method").asText().equals(method) && r.path("path").asText().equals(path)
                             && r.path("status").asInt() == status
                             && (user == null ? r.path("user").isMissingNode() : r.path("user").asText().equals(user)))
                .toList();
        assertEquals(1, found.size(), method + " " + path + " " + status + " user " + user + " in " + requests);
        return found.get(0);
    }

    /** The tokens sent, and what of them must never be logged. */
    private static final class Tokens {
        final String ada = ISSUER.issue("ada", "Ada", List.of(), Duration.ofMinutes(5));
        final String bo = ISSUER.issue("bo", "Bo", List.of(), Duration.ofMinutes(5));
        final String service = ISSUER.issue("backend", "Backend", List.of("service"), Duration.ofMinutes(5));
        final String tampered = ada.substring(0, ada.length() - 3) + "xyz";
        final String bad = "not.a-token.at-all-" + Long.toHexString(System.nanoTime());

        void assertNoneIn(String output) {
            for (String token : List.of(ada, bo, service, tampered, bad)) {
                assertFalse(output.contains(token), "a token in the log: " + token + "\n" + output);
                String[] parts = token.split("\\.");
                assertFalse(output.contains(parts[parts.length - 1]), "a token's last part in the log: " + output);
            }
            assertFalse(output.contains("access_token"), "no query string in the log: " + output);
        }
    }
}
