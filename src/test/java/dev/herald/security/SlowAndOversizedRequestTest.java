package dev.herald.security;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.herald.Await;
import dev.herald.RawHttp;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests too large or too slow for the server, sent over raw sockets: each gets its JSON error (414, 431, 408,
 * 503) and the connection closes, while streams and well-behaved requests on the same pod keep working.
 */
class SlowAndOversizedRequestTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String CUT = "herald_http_connections_cut_total";

    @Test
    void oversizedRequestLineOrHeaders_get414Or431AsJson_atEverySize_thenClose() throws Exception {
        try (TestPod pod = TestPod.start(Map.of())) {
            for (int size : new int[] {9 * 1024, 64 * 1024, 1024 * 1024}) {
                String request = "GET /api/events?channel=channel:" + "a".repeat(size) + " HTTP/1.1\r\nHost: x\r\n\r\n";
                expectError(pod, request, 414, "uri_too_long", "request line of " + size + " bytes");
            }
            for (int size : new int[] {70 * 1024, 1024 * 1024}) {
                String request = "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(size) + "\r\n\r\n";
                expectError(pod, request, 431, "headers_too_large", "a header of " + size + " bytes");
            }
            StringBuilder many = new StringBuilder("GET /api/events HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 2000; i++) {
                many.append("X-H").append(i).append(": ").append("v".repeat(20)).append("\r\n");
            }
            expectError(pod, many.append("\r\n").toString(), 431, "headers_too_large", "2000 small headers");
            assertEquals(401, pod.get(HttpClient.Version.HTTP_1_1, "/api/events?channel=channel:a", null).statusCode(),
                         "the pod still serves");
        }
    }

    @Test
    void aHeadNotCompleteInTime_isCut_whileKeptAliveConnectionsAndStreamsLive() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.http.head-timeout", "PT1S", "herald.sse.heartbeat", "PT0.25S"));
             SseClient stream = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("alice"), "channel:a");
             SseClient h2Stream = pod.subscribe(HttpClient.Version.HTTP_2, pod.token("bob"), "channel:a");
             RawHttp kept = new RawHttp(pod.port());
             RawHttp half = new RawHttp(pod.port());
             RawHttp silent = new RawHttp(pod.port())) {
            stream.awaitCursor(WAIT);
            h2Stream.awaitCursor(WAIT);
            assertEquals(HttpClient.Version.HTTP_2, h2Stream.response().version(), "h2c by upgrade");
            kept.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(404, kept.read().status(), "a whole request on a connection that stays open");

            long start = System.nanoTime();
            half.send("GET /api/events?channel=channel:a HTTP/1.1\r\nHost: x\r\n");
            RawHttp.Response timedOut = half.read();
            assertNotNull(timedOut, "a half-sent head gets an answer");
            assertEquals(408, timedOut.status(), timedOut.head());
            assertEquals("request_timeout", TestPod.json(timedOut.body()).get("error").asText());
            assertTrue(half.closedByServer(), "then the connection closes");
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(900).toNanos(), "not before the head timeout");

            assertTrue(silent.closedByServer(), "a connection that sends nothing is closed");
            assertEquals(1.0, pod.metric(CUT, "reason=\"head_timeout\""));
            assertEquals(1.0, pod.metric(CUT, "reason=\"idle_connection\""));

            // an open stream and a kept-alive connection are idle by design: the head timeout is only for heads
            stream.await("heartbeats for three head timeouts", WAIT, s -> s.comments().size() >= 12);
            // the next head on a kept-alive connection is due from its first byte, not from the end of the last one
            kept.send("GET /nothing HTTP/1.1\r\n");
            // the client's own pace, its head in two parts: the second goes after the stream's next heartbeat
            // (a quarter second later), so the server has read the first part alone
            int beats = stream.comments().size();
            stream.await("the next heartbeat", WAIT, s -> s.comments().size() > beats);
            kept.send("Host: x\r\n\r\n");
            assertEquals(404, kept.read().status(), "the kept-alive connection still serves");
            long id = pod.publish("channel:a", "after", "");
            assertEquals(id, stream.awaitEvents("after", 1, WAIT).get(0).get("id").asLong(), "the stream still delivers");
            assertEquals(id, h2Stream.awaitEvents("after", 1, WAIT).get(0).get("id").asLong(), "so does HTTP/2");
        }
    }

    @Test
    void aBodySentOneByteEveryTwoSeconds_gets408_andIsCounted() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.http.head-timeout", "PT1S", "herald.http.body-min-rate", "100"));
             RawHttp slow = new RawHttp(pod.port())) {
            String body = "{\"channel\":\"channel:a\",\"content\":\"hello, slowly\"}";
            slow.send("POST /api/chat/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + pod.token("alice")
                      + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n");
            CountDownLatch answered = new CountDownLatch(1);
            Thread dripper = Thread.ofVirtual().start(() -> {
                for (byte b : body.getBytes(StandardCharsets.UTF_8)) {
                    if (!slow.send(new byte[] {b})) {
                        return;
                    }
                    try {
                        // the attack itself: one byte every 2 s, until the server answers
                        if (answered.await(2, TimeUnit.SECONDS)) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            RawHttp.Response cut = slow.read();
            answered.countDown();
            assertNotNull(cut, "the slow body gets an answer");
            assertEquals(408, cut.status(), cut.head());
            JsonNode error = TestPod.json(cut.body());
            assertEquals("request_timeout", error.get("error").asText());
            assertFalse(cut.body().contains("Exception"), cut.body());
            assertTrue(slow.closedByServer(), "then the connection closes");
            dripper.interrupt();
            assertEquals(1.0, pod.metric(CUT, "reason=\"slow_body\""));
            pod.chat(pod.token("bob"), "channel:a", "a body sent at once still works");

            // refused before its body is read (no token): the answer comes at once, and the unread slow body
            // still cannot hold the connection
            try (RawHttp anonymous = new RawHttp(pod.port())) {
                anonymous.send("POST /api/chat/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               + "Content-Length: " + body.length() + "\r\n\r\n{");
                RawHttp.Response refused = anonymous.read();
                assertNotNull(refused);
                assertEquals(401, refused.status(), refused.head());
                assertTrue(anonymous.closedByServer(), "the connection with the unread body closes");
            }
        }
    }

    @Test
    void aPodAtItsConnectionCap_refusesTheNext_whileItsConnectionsAndStreamsWork() throws Exception {
        int cap = 20;
        try (TestPod pod = TestPod.start(Map.of("herald.http.max-connections", String.valueOf(cap),
                                                "herald.sse.max-connections", "4"))) {
            List<RawHttp> held = new ArrayList<>();
            try (SseClient alice = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("alice"), "channel:a");
                 SseClient bob = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token("bob"), "channel:a")) {
                alice.awaitCursor(WAIT);
                bob.awaitCursor(WAIT);
                // the two streams, the HttpClient's pooled connection for them and the metrics reads: fill the rest
                while (held.size() < cap) {
                    RawHttp connection = new RawHttp(pod.port());
                    connection.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttp.Response res = connection.read();
                    if (res == null || res.status() == 503) {
                        assertNotNull(res, "a refused connection gets an answer");
                        assertEquals("too_many_connections", TestPod.json(res.body()).get("error").asText());
                        assertTrue(connection.closedByServer(), "and is closed");
                        connection.close();
                        break;
                    }
                    held.add(connection);
                }
                assertTrue(held.size() >= cap - 4 && held.size() < cap, "refused at the cap: " + held.size());
                for (RawHttp connection : held) {
                    connection.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertEquals(404, connection.read().status(), "the connections within the cap keep working");
                }
                RawHttp publisher = held.get(0);
                String body = "{\"channel\":\"channel:a\",\"type\":\"capped\"}";
                publisher.send("POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + pod.serviceToken()
                               + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n"
                               + body);
                assertEquals(202, publisher.read().status());
                alice.awaitEvents("capped", 1, WAIT);
                bob.awaitEvents("capped", 1, WAIT);
                held.remove(held.size() - 1).close();
                Await.until("a slot is free again", WAIT, () -> {
                    try (RawHttp again = new RawHttp(pod.port())) {
                        again.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
                        RawHttp.Response res = again.read();
                        return res != null && res.status() == 404;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                // the metrics read is a new connection too: while the pod still counts the probe above as open
                // (its close races the read), the read itself is refused and sees no metric; retry within WAIT
                Await.until("the refusal is counted", WAIT,
                            () -> pod.metric(CUT, "reason=\"too_many_connections\"") >= 1.0);
            } finally {
                for (RawHttp connection : held) {
                    connection.close();
                }
            }
        }
    }

    /** Sends from another thread (as a client that reads while it writes would) and checks the answer and the close. */
    private static void expectError(TestPod pod, String request, int status, String error, String what)
            throws Exception {
        try (RawHttp http = new RawHttp(pod.port())) {
            Thread sender = Thread.ofVirtual().start(() -> http.send(request));
            RawHttp.Response res = http.read();
            assertNotNull(res, what + ": no answer, the connection just closed");
            assertEquals(status, res.status(), what + ": " + res.head());
            assertTrue(res.header("Content-Type").startsWith("application/json"), what + ": " + res.head());
            assertEquals(error, TestPod.json(res.body()).get("error").asText(), what + ": " + res.body());
            assertTrue(http.closedByServer(), what + ": the connection closes afterwards");
            sender.join(WAIT.toMillis());
        }
    }
}
