package dev.herald.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import dev.herald.Await;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an HTTP/1.1 client of {@code GET /api/events} sees on the wire, byte for byte over a raw socket: statuses,
 * headers, the chunked SSE body, the JSON errors, CORS, the limits on request heads, resume. Pinned against the
 * Helidon-routed handler so that a connection handler parsing the request itself answers the same: this class runs
 * against the direct path ({@link DirectStreams}, the default), {@link RoutedStreamContractTest} the same tests
 * against the routing ({@code herald.sse.direct-http1=false}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DirectStreamContractTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String ORIGIN = "https://app.example";
    private static final String FOREIGN = "https://evil.example";
    private static final String STREAMS = "sse_connections_total";
    private TestPod pod;
    /** The port of the pod of the class running now (classes run one after another). */
    private static volatile int port;

    /** Whether streams take the direct path. */
    boolean direct() {
        return true;
    }

    @BeforeAll
    void start() {
        pod = TestPod.start(Map.of("herald.cors.allowed-origins", ORIGIN,
                                   "herald.sse.heartbeat", "PT0.2S",
                                   "herald.http.head-timeout", "PT1S",
                                   "herald.sse.direct-http1", Boolean.toString(direct())));
        port = pod.port();
    }

    @AfterAll
    void stop() {
        pod.close();
    }

    /** Closed streams are noticed at the next heartbeats; each test starts with none open. */
    @AfterEach
    void allStreamsGone() {
        Await.until("every stream to be released", WAIT, () -> pod.metric(STREAMS, null) == 0);
    }

    @Test
    void stream_isChunkedEventStream_retryThenCursor_thenPublishedEventsAsIdAndData() throws IOException {
        try (Wire wire = Wire.get(events("channel:s1"), "Authorization: Bearer " + pod.token("alice"))) {
            Head head = wire.head();
            assertEquals("HTTP/1.1 200 OK", head.statusLine());
            assertEquals("text/event-stream; charset=utf-8", head.header("Content-Type"));
            assertEquals("no-cache", head.header("Cache-Control"));
            assertEquals("chunked", head.header("Transfer-Encoding"));
            // the one visible difference: the direct path says the connection ends with the stream
            assertEquals(direct(), "close".equalsIgnoreCase(head.header("Connection")),
                         "Connection: " + head.header("Connection"));
            assertNull(head.header("Content-Length"));
            String opening = wire.awaitBody("the retry hint and the cursor", t -> frames(t).size() >= 2);
            assertTrue(opening.startsWith("retry: 3000\n\n"), opening);
            String cursor = frames(opening).get(1);
            assertTrue(cursor.matches("id: [0-9a-z_.]+"), "an id line alone: " + cursor);

            long id = pod.publish("channel:s1", "hello", "\"n\":1");
            String frame = wire.awaitFrame("the published event", f -> f.contains("\"type\":\"hello\""));
            assertNotNull(field(frame, "id"), frame);
            JsonNode event = TestPod.json(field(frame, "data"));
            assertEquals(id, event.get("id").asLong());
            assertEquals("channel:s1", event.get("channel").asText());
            assertEquals(1, event.get("n").asInt());
        }
    }

    @Test
    void stream_withReady_firstEventIsReadyWithItsCursor() throws IOException {
        try (Wire wire = Wire.get(events("channel:s1") + "&ready", "Authorization: Bearer " + pod.token("alice"))) {
            assertEquals(200, wire.head().status());
            List<String> frames = frames(wire.awaitBody("the ready event", t -> frames(t).size() >= 2));
            assertTrue(frames.get(0).startsWith("retry: "), frames.get(0));
            assertNotNull(field(frames.get(1), "id"), frames.get(1));
            JsonNode ready = TestPod.json(field(frames.get(1), "data"));
            assertEquals("ready", ready.get("type").asText());
            assertEquals("channel:s1", ready.get("channels").get(0).asText());
        }
    }

    @Test
    void tokenInAccessTokenQuery_opensTheStream() throws IOException {
        try (Wire wire = Wire.get(events("channel:s1") + "&access_token=" + pod.token("alice"))) {
            assertEquals(200, wire.head().status());
            wire.awaitBody("the cursor", t -> frames(t).size() >= 2);
        }
    }

    @Test
    void noToken_401WithWwwAuthenticateBearer() throws IOException {
        try (Wire wire = Wire.get(events("channel:s1"))) {
            assertError(wire, 401, "unauthorized");
            assertEquals("Bearer", wire.head().header("WWW-Authenticate"));
        }
    }

    @Test
    void badToken_401WithWwwAuthenticateBearer() throws IOException {
        try (Wire header = Wire.get(events("channel:s1"), "Authorization: Bearer not.a.token");
             Wire query = Wire.get(events("channel:s1") + "&access_token=not.a.token")) {
            assertError(header, 401, "unauthorized");
            assertEquals("Bearer", header.head().header("WWW-Authenticate"));
            assertError(query, 401, "unauthorized");
        }
    }

    @Test
    void noChannel_invalidChannel_tooManyChannels_400() throws IOException {
        String auth = "Authorization: Bearer " + pod.token("alice");
        String seventeen = events("channel:c1", "channel:c2", "channel:c3", "channel:c4", "channel:c5", "channel:c6",
                                  "channel:c7", "channel:c8", "channel:c9", "channel:c10", "channel:c11", "channel:c12",
                                  "channel:c13", "channel:c14", "channel:c15", "channel:c16", "channel:c17");
        for (String target : List.of("/api/events", "/api/events?ready", events("bogus"), events("channel:"),
                                     seventeen)) {
            try (Wire wire = Wire.get(target, auth)) {
                assertError(wire, 400, "bad_request");
            }
        }
    }

    @Test
    void malformedLastEventId_400BadCursor() throws IOException {
        try (Wire wire = Wire.get(events("channel:s1"), "Authorization: Bearer " + pod.token("alice"),
                                  "Last-Event-ID: not a cursor!")) {
            assertError(wire, 400, "bad_cursor");
        }
    }

    @Test
    void anotherUsersChannel_403() throws IOException {
        try (Wire wire = Wire.get(events("user:bob"), "Authorization: Bearer " + pod.token("alice"))) {
            assertError(wire, 403, "forbidden");
        }
    }

    @Test
    void cors_allowedOriginOnStreamAndError_foreignOriginGetsNone() throws IOException {
        String auth = "Authorization: Bearer " + pod.token("alice");
        try (Wire stream = Wire.get(events("channel:s1"), auth, "Origin: " + ORIGIN);
             Wire refused = Wire.get(events("channel:s1"), "Origin: " + ORIGIN)) {
            assertEquals(200, stream.head().status());
            assertAllowed(stream.head());
            assertError(refused, 401, "unauthorized");
            assertAllowed(refused.head());
        }
        try (Wire stream = Wire.get(events("channel:s1"), auth, "Origin: " + FOREIGN);
             Wire refused = Wire.get(events("channel:s1"), "Origin: " + FOREIGN)) {
            assertEquals(200, stream.head().status());
            assertNull(stream.head().header("Access-Control-Allow-Origin"), stream.head().toString());
            assertError(refused, 401, "unauthorized");
            assertNull(refused.head().header("Access-Control-Allow-Origin"), refused.head().toString());
        }
    }

    @Test
    void requestLineOver8KiB_414_headerBlockOver16KiB_431_thenClose() throws IOException {
        try (Wire wire = Wire.send("GET " + events("channel:s1") + "&x=" + "a".repeat(8200)
                                   + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
            assertError(wire, 414, "uri_too_long");
            assertTrue(wire.closedByServer(), "closed after the 414");
        }
        try (Wire wire = Wire.send("GET " + events("channel:s1") + " HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                                   + "a".repeat(16400) + "\r\n\r\n")) {
            assertError(wire, 431, "headers_too_large");
            assertTrue(wire.closedByServer(), "closed after the 431");
        }
    }

    /**
     * Today an HTTP/1.0 request gets no stream at all: 505 with the JSON of an internal error (the direct handler
     * names every 5xx "internal") and the connection closes. Odd, but it is what clients see.
     */
    @Test
    void http10_505AsJson_thenClose() throws IOException {
        try (Wire wire = Wire.send("GET " + events("channel:s1") + "&access_token=" + pod.token("alice")
                                   + " HTTP/1.0\r\nHost: localhost\r\n\r\n")) {
            assertError(wire, 505, "internal");
            assertTrue(wire.closedByServer(), "closed after the 505");
        }
    }

    @Test
    void otherPathsAndMethods_answerAsToday() throws IOException {
        String auth = "Authorization: Bearer " + pod.token("alice");
        try (Wire wire = Wire.get("/api/eventsX?channel=channel:s1", auth)) {
            assertError(wire, 404, "not_found");
        }
        // every /api/ path is authenticated before it is routed
        try (Wire wire = Wire.get("/api/eventsX?channel=channel:s1")) {
            assertError(wire, 401, "unauthorized");
        }
        // a trailing slash is the same route
        try (Wire wire = Wire.get("/api/events/?channel=channel:s1", auth)) {
            assertEquals(200, wire.head().status());
            wire.awaitBody("the cursor", t -> frames(t).size() >= 2);
        }
        // HEAD is not routed to GET: 404 (its JSON body is sent too, against RFC 9110, so it is not pinned)
        try (Wire wire = Wire.send("HEAD " + events("channel:s1") + " HTTP/1.1\r\nHost: localhost\r\n" + auth
                                   + "\r\n\r\n")) {
            assertEquals("HTTP/1.1 404 Not Found", wire.head().statusLine());
            assertTrue(wire.head().header("Content-Type").startsWith("application/json"), wire.head().toString());
        }
        try (Wire wire = Wire.send("OPTIONS " + events("channel:s1") + " HTTP/1.1\r\nHost: localhost\r\nOrigin: "
                                   + ORIGIN + "\r\nAccess-Control-Request-Method: GET\r\n"
                                   + "Access-Control-Request-Headers: Last-Event-ID\r\n\r\n")) {
            Head head = wire.head();
            assertEquals("HTTP/1.1 204 No Content", head.statusLine());
            assertAllowed(head);
            assertEquals("GET, POST, OPTIONS", head.header("Access-Control-Allow-Methods"));
            assertTrue(head.header("Access-Control-Allow-Headers").contains("Last-Event-ID"), head.toString());
            assertEquals("600", head.header("Access-Control-Max-Age"));
        }
        try (Wire wire = Wire.send("OPTIONS " + events("channel:s1") + " HTTP/1.1\r\nHost: localhost\r\nOrigin: "
                                   + FOREIGN + "\r\nAccess-Control-Request-Method: GET\r\n\r\n")) {
            assertError(wire, 403, "cors_forbidden");
        }
    }

    @Test
    void clientVanishes_streamGaugeReturnsToItsValue() throws IOException {
        double before = pod.metric(STREAMS, null);
        Wire wire = Wire.get(events("channel:gone"), "Authorization: Bearer " + pod.token("alice"));
        assertEquals(200, wire.head().status());
        wire.awaitBody("the cursor", t -> frames(t).size() >= 2);
        assertEquals(before + 1, pod.metric(STREAMS, null));
        wire.reset();
        Await.until("the stream of the vanished client to end", WAIT, () -> {
            pod.publish("channel:gone", "poke", "");
            return pod.metric(STREAMS, null) == before;
        });
    }

    @Test
    void lastEventId_replaysExactlyTheMissedEventsInOrder() throws IOException {
        // a service's stream: no presence events of its own in the channel's history
        String auth = "Authorization: Bearer " + pod.serviceToken();
        String cursor;
        try (Wire first = Wire.get(events("channel:resume"), auth)) {
            assertEquals(200, first.head().status());
            cursor = field(frames(first.awaitBody("the cursor", t -> frames(t).size() >= 2)).get(1), "id");
        }
        List<Long> missed = List.of(pod.publish("channel:resume", "m1", ""), pod.publish("channel:resume", "m2", ""),
                                    pod.publish("channel:resume", "m3", ""));
        try (Wire second = Wire.get(events("channel:resume"), auth, "Last-Event-ID: " + cursor)) {
            assertEquals(200, second.head().status());
            // the replay, then the cursor line that follows it
            List<String> frames = frames(second.awaitBody("the replay and the cursor after it", t -> {
                List<String> all = frames(t);
                return all.size() >= 2 && all.subList(1, all.size()).stream().anyMatch(f -> !f.contains("data:"));
            }));
            List<String> replayed = new ArrayList<>();
            for (String frame : frames.subList(1, frames.size())) {
                if (!frame.contains("data:")) {
                    break;
                }
                assertNotNull(field(frame, "id"), frame);
                JsonNode event = TestPod.json(field(frame, "data"));
                replayed.add(event.get("type").asText() + "#" + event.get("id").asLong());
            }
            assertEquals(List.of("m1#" + missed.get(0), "m2#" + missed.get(1), "m3#" + missed.get(2)), replayed);
        }
    }

    @Test
    void headStalledHalfway_408AsJsonAfterTheHeadTimeout_thenClose() throws IOException {
        long start = System.nanoTime();
        try (Wire wire = Wire.send("GET " + events("channel:s1") + " HTTP/1.1\r\nHost: localhost\r\n")) {
            assertError(wire, 408, "request_timeout");
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(900).toNanos(), "not before the head timeout");
            assertTrue(wire.closedByServer(), "closed after the 408");
        }
    }

    private static String events(String... channels) {
        return TestPod.eventsPath(channels);
    }

    private static void assertAllowed(Head head) {
        assertEquals(ORIGIN, head.header("Access-Control-Allow-Origin"), head.toString());
        assertEquals("Origin", head.header("Vary"), head.toString());
        assertEquals("true", head.header("Access-Control-Allow-Credentials"), head.toString());
    }

    private static void assertError(Wire wire, int status, String error) throws IOException {
        Head head = wire.head();
        String body = wire.bodyToEnd();
        assertTrue(head.statusLine().startsWith("HTTP/1.1 " + status + " "), head + body);
        assertTrue(head.header("Content-Type").startsWith("application/json"), head.toString());
        JsonNode json = TestPod.json(body);
        assertEquals(error, json.get("error").asText(), body);
        assertFalse(json.get("message").asText().isBlank(), body);
        assertEquals(2, json.size(), body);
    }

    /** The whole SSE frames of a body (an incomplete last one left out), heartbeat comments skipped. */
    private static List<String> frames(String body) {
        List<String> parts = new ArrayList<>(Arrays.asList(body.split("\n\n", -1)));
        parts.remove(parts.size() - 1);
        return parts.stream().filter(f -> !f.startsWith(":")).toList();
    }

    /** The value of the frame's first {@code name:} line, or null. */
    private static String field(String frame, String name) {
        for (String line : frame.split("\n")) {
            if (line.startsWith(name + ": ")) {
                return line.substring(name.length() + 2);
            }
        }
        return null;
    }

    /** A response head: its status line and its headers, by name in any case. */
    private record Head(String statusLine, Map<String, String> headers) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            return headers.get(name);
        }

        @Override
        public String toString() {
            return statusLine + " " + headers;
        }
    }

    /** One raw TCP connection to the pod: the request as written here, the response read with deadlines, de-chunked. */
    private static final class Wire implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private Head head;
        private long remaining = -1;
        private boolean ended;

        private Wire() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            in = new BufferedInputStream(socket.getInputStream());
        }

        static Wire send(String request) throws IOException {
            Wire wire = new Wire();
            OutputStream out = wire.socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before it reads all of an oversized head
            }
            return wire;
        }

        static Wire get(String target, String... headerLines) throws IOException {
            StringBuilder request = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
            for (String line : headerLines) {
                request.append(line).append("\r\n");
            }
            return send(request.append("\r\n").toString());
        }

        Head head() throws IOException {
            if (head == null) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                while (!bytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int b = read(deadline, "the response head");
                    if (b < 0) {
                        throw new AssertionError("closed before a whole head: " + bytes);
                    }
                    bytes.write(b);
                }
                String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
                Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (String line : Arrays.asList(lines).subList(1, lines.length)) {
                    int colon = line.indexOf(':');
                    // a repeated header (Helidon splits Cache-Control on errors) keeps its first value
                    headers.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
                head = new Head(lines[0], headers);
                String length = headers.get("Content-Length");
                remaining = length == null ? -1 : Long.parseLong(length);
            }
            return head;
        }

        /** Reads the body until {@code done} holds on the text read so far, or fails at the deadline. */
        String awaitBody(String what, Predicate<String> done) throws IOException {
            head();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!done.test(text())) {
                if (ended) {
                    throw new AssertionError("the body ended before " + what + ": " + text());
                }
                readSome(deadline, what);
            }
            return text();
        }

        /** The first whole frame after the cursor that matches. */
        String awaitFrame(String what, Predicate<String> match) throws IOException {
            String body = awaitBody(what, t -> frames(t).stream().anyMatch(match));
            return frames(body).stream().filter(match).findFirst().orElseThrow();
        }

        String bodyToEnd() throws IOException {
            head();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!ended) {
                readSome(deadline, "the end of the body");
            }
            return text();
        }

        /** Whether the server closes the connection (EOF or reset) before the deadline. */
        boolean closedByServer() throws IOException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            try {
                while (read(deadline, "the close") >= 0) {
                    // bytes after the response: read past them
                }
                return true;
            } catch (AssertionError e) {
                return false;
            } catch (SocketException e) {
                return true;
            }
        }

        /** Closes abruptly: a reset, as a client that vanished without a word. */
        void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        private String text() {
            return body.toString(StandardCharsets.UTF_8);
        }

        private void readSome(long deadline, String what) throws IOException {
            if (remaining >= 0) {
                body.write(readN((int) remaining, deadline, what));
                ended = true;
            } else if ("chunked".equalsIgnoreCase(head.header("Transfer-Encoding"))) {
                String sizeLine = line(deadline, what);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line(deadline, what).isEmpty()) {
                        // trailers
                    }
                    ended = true;
                    return;
                }
                body.write(readN(size, deadline, what));
                assertEquals("", line(deadline, what), "CRLF after a chunk");
            } else {
                int b = read(deadline, what);
                if (b < 0) {
                    ended = true;
                } else {
                    body.write(b);
                }
            }
        }

        private byte[] readN(int n, long deadline, String what) throws IOException {
            byte[] bytes = new byte[n];
            for (int i = 0; i < n; i++) {
                int b = read(deadline, what);
                if (b < 0) {
                    throw new AssertionError("closed " + (n - i) + " bytes short, waiting for " + what);
                }
                bytes[i] = (byte) b;
            }
            return bytes;
        }

        private String line(long deadline, String what) throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = read(deadline, what)) != '\n') {
                if (b < 0) {
                    throw new AssertionError("closed mid-line, waiting for " + what + ": " + line);
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        private int read(long deadline, String what) throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what + "; body so far: "
                                         + text());
            }
            socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
            try {
                return in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what + "; body so far: "
                                         + text(), e);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
