package dev.herald.security;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch of hostile requests, each with its exact status and JSON error code; afterwards the service still
 * serves a control subscriber, and the few payloads that are accepted arrive intact and harmless.
 */
class HostileInputTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String CHAT = "/api/chat/messages";
    private static final String PUBLISH = "/api/publish";
    private static final String PRESENCE = "/api/channels/channel:lobby/presence";

    /** One hostile request: a JSON body (or raw bytes) with a content type, and the answer it must get. */
    private record Case(String name, String method, String path, String token, String contentType,
                        HttpRequest.BodyPublisher body,
                        Map<String, String> headers, int status, String error) {
    }

    private final List<Case> cases = new ArrayList<>();

    @Test
    void hostileRequests_getExactErrors_andTheServiceKeepsServing() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.events.max-bytes", "4096"))) {
            String alice = pod.token("alice");
            String service = pod.serviceToken();
            byte[] secret = TestPod.SECRET.getBytes(StandardCharsets.UTF_8);
            try (SseClient control = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("control"), "channel:lobby")) {
                control.awaitCursor(WAIT);
                authCases(alice, secret);
                channelCases(alice, service);
                cursorCases(alice);
                bodyCases(alice);
                publishCases(service);
                otherCases();
                assertTrue(cases.size() >= 60, "at least 60 hostile requests: " + cases.size());

                List<String> wrong = new ArrayList<>();
                for (Case c : cases) {
                    HttpResponse<String> res = send(pod, c);
                    String problem = check(res, c.status(), c.error());
                    if (problem != null) {
                        wrong.add(c.name() + ": " + problem);
                    }
                }
                for (String[] raw : rawCases()) {
                    String answer = raw(pod.port(), raw[1]);
                    if (!answer.startsWith("HTTP/1.1 " + raw[2]) || !answer.contains("{\"error\":")) {
                        wrong.add(raw[0] + ": " + answer.lines().findFirst().orElse("(no answer)"));
                    }
                }
                assertEquals(List.of(), wrong, "hostile requests answered wrongly");

                // accepted, but harmless: a forged userId, an SSE-injection attempt and odd Unicode arrive intact
                String tricky = "hi\r\nevent: admin\r\ndata: {\"x\":1}\n\n\u0000 é 日本 🎉 \u202Eevil \u0301";
                HttpResponse<String> posted = pod.send(HttpClient.Version.HTTP_1_1, HttpRequest.newBuilder(pod.uri(CHAT))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + alice)
                        .POST(HttpRequest.BodyPublishers.ofString(new com.fasterxml.jackson.databind.ObjectMapper()
                                .writeValueAsString(Map.of("channel", "channel:lobby", "content", tricky,
                                                           "userId", "mallory", "userName", "Mallory")))).build());
                assertEquals(204, posted.statusCode(), posted.body());
                JsonNode chat = control.awaitEvents("chat", 1, WAIT).get(0);
                assertEquals(tricky, chat.get("content").asText(), "any Unicode content round-trips intact");
                assertEquals("alice", chat.get("userId").asText(), "the forged userId is ignored");
                assertEquals("Alice", chat.get("userName").asText());
                for (String line : control.rawLines()) {
                    assertFalse(line.startsWith("event:"), "no injected SSE field: " + line);
                    assertFalse(line.indexOf('\u0000') >= 0 || line.indexOf('\r') >= 0, "no NUL or CR on a line");
                }
                // numbers that underflow become 0 (as in every IEEE 754 reader); a real pair of surrogates is kept
                pod.publish("channel:lobby", "edge", "\"tiny\":1e-400,\"max\":-1.7976931348623157e308,"
                                                     + "\"pair\":\"\\ud83c\\udf89\"");
                JsonNode edge = control.awaitEvents("edge", 1, WAIT).get(0);
                assertEquals(0.0, edge.get("tiny").doubleValue());
                assertEquals(-Double.MAX_VALUE, edge.get("max").doubleValue());
                assertEquals("\uD83C\uDF89", edge.get("pair").textValue());
                assertEquals("a number is beyond the range of a 64-bit float (about 1.8e308)",
                             TestPod.json(pod.post(HttpClient.Version.HTTP_1_1, PUBLISH, service,
                                                   "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"n\":1e400}")
                                             .body()).get("message").asText());
                assertEquals("a string has an unpaired UTF-16 surrogate (\\ud800-\\udfff)",
                             TestPod.json(pod.post(HttpClient.Version.HTTP_1_1, PUBLISH, service,
                                                   "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"s\":\"\\ud800\"}")
                                             .body()).get("message").asText());
                assertEquals("a number is longer than 1000 characters",
                             TestPod.json(pod.post(HttpClient.Version.HTTP_1_1, PUBLISH, service,
                                                   "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"n\":"
                                                   + "1".repeat(1001) + "}").body()).get("message").asText());
                assertEquals("the body has an unpaired UTF-16 surrogate",
                             TestPod.json(pod.post(HttpClient.Version.HTTP_1_1, PUBLISH, service,
                                                   "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"\\ud800\":1}")
                                             .body()).get("message").asText());
                long id = pod.publish("channel:lobby", "control", "\"n\":1");
                assertEquals(id, control.awaitEvents("control", 1, WAIT).get(0).get("id").asLong(),
                             "after the batch the control subscriber still receives events");
            }
        }
    }

    private void authCases(String alice, byte[] secret) throws Exception {
        String[] parts = alice.split("\\.");
        add("no token", "GET", PRESENCE, null, 401, "unauthorized");
        add("empty bearer", "GET", PRESENCE, "", 401, "unauthorized");
        addHeaders("basic auth", "GET", PRESENCE, Map.of("Authorization", "Basic YWxpY2U6cHc="), 401, "unauthorized");
        add("garbage token", "GET", PRESENCE, "not-a-jwt", 401, "unauthorized");
        add("three dots", "GET", PRESENCE, "a.b.c", 401, "unauthorized");
        add("expired", "GET", PRESENCE, token(secret, claims("alice").expirationTime(ago(120))), 401, "unauthorized");
        add("not yet valid", "GET", PRESENCE, token(secret, claims("alice").notBeforeTime(later(600))), 401,
            "unauthorized");
        add("no exp", "GET", PRESENCE, token(secret, new JWTClaimsSet.Builder().subject("alice")), 401, "unauthorized");
        add("no sub", "GET", PRESENCE, token(secret, new JWTClaimsSet.Builder().expirationTime(later(60))), 401,
            "unauthorized");
        add("other secret", "GET", PRESENCE, token("x".repeat(48).getBytes(StandardCharsets.UTF_8), claims("alice")),
            401, "unauthorized");
        add("alg none", "GET", PRESENCE, b64("{\"alg\":\"none\"}") + "." + parts[1] + ".", 401, "unauthorized");
        add("tampered claims", "GET", PRESENCE, parts[0] + "." + b64("{\"sub\":\"root\",\"roles\":[\"service\"],"
                                                                       + "\"exp\":9999999999}") + "." + parts[2],
            401, "unauthorized");
        add("huge token", "GET", PRESENCE, "a".repeat(9000), 401, "unauthorized");
        add("token in query is garbage", "GET", PRESENCE + "?access_token=garbage", null, 401, "unauthorized");
        add("sub with a newline (log injection)", "GET", PRESENCE, token(secret, claims("alice\nINFO: forged")), 401,
            "unauthorized");
        add("sub with a NUL", "GET", PRESENCE, token(secret, claims("alice\u0000")), 401, "unauthorized");
        // a sub must have a user channel of at most 128 characters once escaped (docs/channels.md)
        add("sub too long for its channel", "GET", PRESENCE, token(secret, claims("a".repeat(129))), 401,
            "unauthorized");
        add("sub of 43 escaped bytes", "GET", PRESENCE, token(secret, claims("|".repeat(43))), 401, "unauthorized");
        JWSObject lone = new JWSObject(new JWSHeader(JWSAlgorithm.HS256),
                                       new Payload("{\"sub\":\"alice\\ud800\",\"exp\":" + later(60).getTime() / 1000 + "}"));
        lone.sign(new MACSigner(secret));
        add("sub with a lone surrogate", "GET", PRESENCE, lone.serialize(), 401, "unauthorized");
    }

    private void channelCases(String alice, String service) {
        add("another user's channel", "GET", "/api/events?channel=user:bob", alice, 403, "forbidden");
        addJson("chat to another user's channel", CHAT, alice, "{\"channel\":\"user:bob\",\"content\":\"x\"}", 403,
                "forbidden");
        addJson("user token publishes", PUBLISH, alice, "{\"channel\":\"channel:lobby\",\"type\":\"x\"}", 403,
                "forbidden");
        add("space in channel", "GET", "/api/events?channel=channel:a%20b", alice, 400, "bad_request");
        add("unknown prefix", "GET", "/api/events?channel=room:a", alice, 400, "bad_request");
        add("empty id", "GET", "/api/events?channel=channel:", alice, 400, "bad_request");
        add("129-character id", "GET", "/api/events?channel=channel:" + "a".repeat(129), alice, 400, "bad_request");
        add("no channel", "GET", "/api/events", alice, 400, "bad_request");
        StringBuilder thousand = new StringBuilder("/api/events?");
        for (int i = 0; i < 1000; i++) {
            thousand.append("channel=channel:c").append(i).append('&');
        }
        add("1000 channels", "GET", thousand.toString(), service, 414, "uri_too_long");
        add("17 channels", "GET", thousand.substring(0, thousand.indexOf("channel=channel:c17&")), service, 400,
            "bad_request");
        add("CRLF in channel", "GET", "/api/events?channel=channel:a%0d%0aX-Evil:%201", alice, 400, "bad_request");
        add("NUL in channel", "GET", "/api/events?channel=channel:a%00b", alice, 400, "bad_request");
        add("non-ASCII channel", "GET", "/api/events?channel=channel:caf%C3%A9", alice, 400, "bad_request");
        add("presence of a user channel", "GET", "/api/channels/user:alice/presence", alice, 400, "bad_request");
    }

    private void cursorCases(String alice) {
        String lobby = "/api/events?channel=channel:lobby";
        addHeaders("garbage cursor", "GET", lobby, Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", "%%%"),
                   400, "bad_cursor");
        addHeaders("oversized cursor", "GET", lobby,
                   Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", "a".repeat(5000)), 400, "bad_cursor");
        addHeaders("cursor of other channels", "GET", lobby,
                   Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", "abc_zzzz_1"), 400, "bad_cursor");
        addHeaders("negative position", "GET", lobby,
                   Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", "abc_1_-5"), 400, "bad_cursor");
        addHeaders("overflowing position", "GET", lobby,
                   Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", "abc_1_zzzzzzzzzzzzz"), 400, "bad_cursor");
        add("garbage lastEventId parameter", "GET", lobby + "&lastEventId=" + URLEncoder.encode("<script>",
                StandardCharsets.UTF_8), alice, 400, "bad_cursor");
    }

    private void bodyCases(String alice) {
        addJson("not JSON", CHAT, alice, "hello", 400, "bad_request");
        cases.add(new Case("invalid UTF-8", "POST", CHAT, alice, "application/json",
                           bytes(new byte[] {'{', '"', 'c', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}),
                           Map.of(), 400, "bad_request"));
        addJson("truncated JSON", CHAT, alice, "{\"channel\":\"channel:lobby\",", 400, "bad_request");
        addJson("JSON array", CHAT, alice, "[1,2,3]", 400, "bad_request");
        addJson("JSON string", CHAT, alice, "\"hi\"", 400, "bad_request");
        addJson("JSON null", CHAT, alice, "null", 400, "bad_request");
        addJson("empty body", CHAT, alice, "", 400, "bad_request");
        addJson("deep nesting", CHAT, alice, "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}", 400, "bad_request");
        StringBuilder fields = new StringBuilder("{\"channel\":\"channel:lobby\",\"content\":\"x\"");
        for (int i = 0; i < 300; i++) {
            fields.append(",\"f").append(i).append("\":").append(i);
        }
        addJson("300 fields", CHAT, alice, fields.append('}').toString(), 400, "bad_request");
        addJson("content is a number", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":5}", 400, "bad_request");
        addJson("content is null", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":null}", 400, "bad_request");
        addJson("content is an object", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":{}}", 400,
                "bad_request");
        addJson("content is blank", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":\" \\t \"}", 400,
                "bad_request");
        addJson("channel is a number", CHAT, alice, "{\"channel\":1,\"content\":\"x\"}", 400, "bad_request");
        addJson("channel is missing", CHAT, alice, "{\"content\":\"x\"}", 400, "bad_request");
        addJson("huge content", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":\"" + "x".repeat(20_000)
                                             + "\"}", 413, "payload_too_large");
        addJson("content just over the event limit", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":\""
                                                                  + "x".repeat(4000) + "\"}", 413, "payload_too_large");
        addJson("duplicate keys", CHAT, alice, "{\"channel\":\"channel:lobby\",\"channel\":\"user:bob\","
                                               + "\"content\":\"x\"}", 400, "bad_request");
        addJson("trailing garbage", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":\"x\"} {}", 400,
                "bad_request");
        addJson("NaN", CHAT, alice, "{\"channel\":\"channel:lobby\",\"content\":\"x\",\"n\":NaN}", 400, "bad_request");
        addJson("comments", CHAT, alice, "{/*x*/\"channel\":\"channel:lobby\",\"content\":\"x\"}", 400, "bad_request");
        unreadableJsonCases(alice);
        cases.add(new Case("text/plain", "POST", CHAT, alice, "text/plain",
                           utf8("{\"channel\":\"channel:lobby\",\"content\":\"x\"}"),
                           Map.of(), 415, "unsupported_media_type"));
        cases.add(new Case("no content type", "POST", CHAT, alice, null,
                           utf8("{\"channel\":\"channel:lobby\",\"content\":\"x\"}"),
                           Map.of(), 415, "unsupported_media_type"));
        cases.add(new Case("XML", "POST", CHAT, alice, "application/xml",
                           utf8("<chat/>"), Map.of(), 415, "unsupported_media_type"));
        cases.add(new Case("form", "POST", CHAT, alice, "application/x-www-form-urlencoded",
                           utf8("channel=channel:lobby&content=x"), Map.of(), 415,
                           "unsupported_media_type"));
    }

    /** JSON a peer cannot read back as sent: numbers beyond a double, unpaired surrogates (issue 12, item 5). */
    private void unreadableJsonCases(String alice) {
        String lobby = "{\"channel\":\"channel:lobby\",\"content\":\"x\",";
        addJson("1e400", CHAT, alice, lobby + "\"n\":1e400}", 400, "bad_request");
        addJson("-1e400", CHAT, alice, lobby + "\"n\":-1e400}", 400, "bad_request");
        addJson("huge exponent", CHAT, alice, lobby + "\"n\":1e999999999}", 400, "bad_request");
        addJson("400-digit integer", CHAT, alice, lobby + "\"n\":" + "9".repeat(400) + "}", 400, "bad_request");
        addJson("nested 1e400", CHAT, alice, lobby + "\"n\":{\"a\":[1,1e400]}}", 400, "bad_request");
        addJson("2000-digit number", CHAT, alice, lobby + "\"n\":" + "1".repeat(2000) + "}", 400, "bad_request");
        addJson("escaped lone high surrogate", CHAT, alice, lobby.replace("\"x\"", "\"a\\ud800b\"") + "\"z\":0}", 400,
                "bad_request");
        addJson("escaped lone low surrogate", CHAT, alice, lobby + "\"s\":\"\\udc00\"}", 400, "bad_request");
        addJson("reversed surrogate pair", CHAT, alice, lobby + "\"s\":\"\\ude00\\ud83d\"}", 400, "bad_request");
        addJson("lone surrogate in a key", CHAT, alice, lobby + "\"\\ud800\":1}", 400, "bad_request");
        addJson("lone surrogate in a nested key", CHAT, alice, lobby + "\"o\":[{\"k\\udfff\":1}]}", 400,
                "bad_request");
        cases.add(new Case("raw surrogate bytes", "POST", CHAT, alice, "application/json",
                           bytes(new byte[] {'{', '"', 'c', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"',
                                             '}'}), Map.of(), 400, "bad_request"));
    }

    private void publishCases(String service) {
        addJson("publish sets id", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"id\":9}", 400,
                "bad_request");
        addJson("publish sets timestamp", PUBLISH, service,
                "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"timestamp\":\"2000-01-01T00:00:00Z\"}", 400,
                "bad_request");
        addJson("publish forges userId", PUBLISH, service,
                "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"userId\":\"alice\"}", 400, "bad_request");
        addJson("publish resync", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"resync\"}", 400,
                "bad_request");
        // herald.js acts on these two: a published one would make every subscriber reconnect
        addJson("publish token_expired", PUBLISH, service,
                "{\"channel\":\"channel:lobby\",\"type\":\"token_expired\"}", 400, "bad_request");
        addJson("publish ready", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"ready\"}", 400,
                "bad_request");
        addJson("publish presence", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"presence\"}", 400,
                "bad_request");
        addJson("type with capitals", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"Chat\"}", 400,
                "bad_request");
        addJson("type with newline", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"a\\nb\"}", 400,
                "bad_request");
        addJson("65-character type", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"" + "t".repeat(65)
                                                       + "\"}", 400, "bad_request");
        addJson("type missing", PUBLISH, service, "{\"channel\":\"channel:lobby\"}", 400, "bad_request");
        addJson("type is a list", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":[\"x\"]}", 400,
                "bad_request");
        addJson("publish huge payload", PUBLISH, service, "{\"channel\":\"channel:lobby\",\"type\":\"x\",\"blob\":\""
                                                          + "b".repeat(100_000) + "\"}", 413, "payload_too_large");
    }

    private void otherCases() {
        add("unknown endpoint", "GET", "/api/admin", null, 401, "unauthorized");
        add("unknown public path", "GET", "/nothing/here", null, 404, "not_found");
        addJson("dev token with a bad userId", "/dev/token", null, "{\"userId\":\"bad\\nid\"}", 400, "bad_request");
        addJson("dev token for a sub with no channel", "/dev/token", null, "{\"userId\":\"" + "|".repeat(43) + "\"}", 400,
                "bad_request");
        addJson("dev token with no userId", "/dev/token", null, "{}", 400, "bad_request");
        addJson("dev token not JSON", "/dev/token", null, "userId=x", 400, "bad_request");
    }

    /** Malformed HTTP that no client library sends: answered before routing, still as JSON. */
    private static List<String[]> rawCases() {
        return List.of(
                new String[] {"not HTTP at all", "HELLO THIS IS NOT HTTP AT ALL, NOT EVEN CLOSE\r\n\r\n", "400"},
                new String[] {"bad percent-encoding", "GET /api/%zz HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
                new String[] {"non-numeric Content-Length",
                              "POST /api/chat/messages HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400"},
                new String[] {"70 KB header", "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(70_000)
                                              + "\r\n\r\n", "431"},
                new String[] {"1 MB header", "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(1 << 20)
                                             + "\r\n\r\n", "431"},
                new String[] {"9 KB request line", "GET /api/" + "a".repeat(9 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                              "414"},
                new String[] {"1 MB request line", "GET /api/" + "a".repeat(1 << 20) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                              "414"},
                new String[] {"bad header name", "GET /api/events HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", "400"},
                new String[] {"header injection bytes", "GET /api/events HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
                              "400"});
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            StringBuilder answer = new StringBuilder();
            int n;
            try {
                while (!answer.toString().contains("}") && (n = in.read(buffer)) > 0) {
                    answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (java.net.SocketTimeoutException e) {
                return answer + "(timed out)";
            }
            return answer.toString();
        }
    }

    private void add(String name, String method, String path, String token, int status, String error) {
        cases.add(new Case(name, method, path, token, null, HttpRequest.BodyPublishers.noBody(), Map.of(), status,
                           error));
    }

    private void addHeaders(String name, String method, String path, Map<String, String> headers, int status,
                            String error) {
        cases.add(new Case(name, method, path, null, null, HttpRequest.BodyPublishers.noBody(), headers, status,
                           error));
    }

    private void addJson(String name, String path, String token, String body, int status, String error) {
        cases.add(new Case(name, "POST", path, token, "application/json", utf8(body), Map.of(), status, error));
    }

    private static HttpRequest.BodyPublisher utf8(String body) {
        return bytes(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The exact bytes to send (a publisher, not the array: a record keeps no mutable array). */
    private static HttpRequest.BodyPublisher bytes(byte[] body) {
        return HttpRequest.BodyPublishers.ofByteArray(body);
    }

    private static HttpResponse<String> send(TestPod pod, Case c) {
        HttpRequest.Builder request = HttpRequest.newBuilder(pod.uri(c.path()));
        request.method(c.method(), c.body());
        if (c.token() != null) {
            request.header("Authorization", "Bearer " + c.token());
        }
        if (c.contentType() != null) {
            request.header("Content-Type", c.contentType());
        }
        c.headers().forEach(request::header);
        return pod.send(HttpClient.Version.HTTP_1_1, request.build());
    }

    /** Null when the answer is as expected, else what is wrong. */
    private static String check(HttpResponse<String> res, int status, String error) {
        if (res.statusCode() != status) {
            return "status " + res.statusCode() + " " + res.body();
        }
        if (!res.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
            return "content type " + res.headers().firstValue("content-type");
        }
        JsonNode json;
        try {
            json = TestPod.json(res.body());
        } catch (AssertionError e) {
            return "not JSON: " + res.body();
        }
        if (!error.equals(json.path("error").asText()) || json.path("message").asText().isBlank()) {
            return "body " + res.body();
        }
        if (res.body().contains("Exception") || res.body().contains(".java")) {
            return "leaks internals: " + res.body();
        }
        return null;
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(later(60));
    }

    private static String token(byte[] secret, JWTClaimsSet.Builder claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    private static Date ago(int seconds) {
        return new Date(System.currentTimeMillis() - seconds * 1000L);
    }

    private static Date later(int seconds) {
        return new Date(System.currentTimeMillis() + seconds * 1000L);
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
