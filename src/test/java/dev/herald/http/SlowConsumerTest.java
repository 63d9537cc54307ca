package dev.herald.http;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client that stops reading is disconnected and counted; the others keep receiving everything. */
class SlowConsumerTest {
    @Test
    void stalledClient_isDisconnectedAndCounted_othersUnaffected() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.queue-capacity", "64"))) {
            String room = "channel:slow";
            String filler = "x".repeat(15_000);
            try (Socket stalled = new Socket();
                 SseClient healthy = pod.subscribe(java.net.http.HttpClient.Version.HTTP_1_1, pod.token("quick"), room)) {
                stalled.setReceiveBufferSize(4096);
                stalled.connect(new InetSocketAddress("127.0.0.1", pod.port()));
                OutputStream out = stalled.getOutputStream();
                out.write(("GET " + TestPod.eventsPath(room) + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                           + pod.token("stuck") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Await.until("both streams open", Duration.ofSeconds(10),
                            () -> pod.metric("sse_connections_total", null) == 2);
                int published = 0;
                while (pod.metric("sse_slow_consumer_disconnects_total", null) < 1) {
                    assertTrue(published < 3000, "the stalled client was never disconnected");
                    for (int i = 0; i < 50; i++) {
                        published++;
                        pod.publish(room, "bulk", "\"n\":" + published + ",\"filler\":\"" + filler + "\"");
                    }
                }
                assertTrue(pod.metric("sse_events_dropped_total", "slow_consumer") >= 65,
                           "the event that found the queue full and the 64 discarded with it");
                List<JsonNode> all = healthy.awaitEvents("bulk", published, Duration.ofSeconds(60));
                for (int i = 0; i < published; i++) {
                    assertEquals(i + 1, all.get(i).get("n").asInt(), "the healthy client got every event in order");
                }
                // the server closed the stalled client's connection without waiting for it to read
                Await.until("the stalled stream to be released", Duration.ofSeconds(20),
                            () -> pod.metric("sse_connections_total", null) == 1);
            }
        }
    }
}
