package dev.herald.http;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** 200 subscribers × 100 events from 4 concurrent publishers: each subscriber gets all, in order, once. */
class FanoutTest {
    private static final int SUBSCRIBERS = 200;
    private static final int EVENTS = 100;
    private static final int PUBLISHERS = 4;

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void everySubscriberReceivesEveryEventInOrderExactlyOnce(HttpClient.Version version) throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.max-connections", "1000", "herald.sse.heartbeat", "PT0.5S"))) {
            String room = "channel:fanout";
            List<SseClient> subscribers = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<SseClient>> opening = new ArrayList<>();
                for (int i = 0; i < SUBSCRIBERS; i++) {
                    String token = pod.token("fan" + i);
                    opening.add(pool.submit(() -> pod.subscribe(version, token, room)));
                }
                for (Future<SseClient> f : opening) {
                    subscribers.add(f.get());
                }
            }
            try {
                // publishers each own a share of the sequence numbers; the channel's order is the broker's id order
                List<Future<?>> publishing = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int p = 0; p < PUBLISHERS; p++) {
                        int publisher = p;
                        publishing.add(pool.submit(() -> {
                            for (int n = publisher; n < EVENTS; n += PUBLISHERS) {
                                pod.publish(room, "load", "\"n\":" + n);
                            }
                            return null;
                        }));
                    }
                }
                for (Future<?> f : publishing) {
                    f.get(); // done once the pool has closed; rethrows what a publisher threw
                }
                for (SseClient sse : subscribers) {
                    List<JsonNode> events = sse.awaitEvents("load", EVENTS, Duration.ofSeconds(60));
                    assertEquals(EVENTS, events.size(), "exactly once");
                    long previous = 0;
                    java.util.Set<Integer> seen = new java.util.HashSet<>();
                    for (JsonNode event : events) {
                        long id = event.get("id").asLong();
                        assertEquals(true, id > previous, "in channel order");
                        previous = id;
                        seen.add(event.get("n").asInt());
                    }
                    assertEquals(EVENTS, seen.size(), "every event, none twice");
                }
                double sent = pod.metric("sse_events_sent_total", null);
                assertEquals(true, sent >= SUBSCRIBERS * EVENTS, "sse_events_sent counts every delivery: " + sent);
            } finally {
                subscribers.forEach(SseClient::close);
            }
            Await.until("all streams closed", Duration.ofSeconds(30), () -> pod.metric("sse_connections_total", null) == 0);
        }
    }
}
