package dev.herald.http;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reconnecting with a cursor replays exactly what was missed, then continues live. */
class ResumeTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static TestPod pod;
    /** A pod whose history holds only 20 events per channel, for the resync cases. */
    private static TestPod shortHistory;

    @BeforeAll
    static void start() {
        pod = TestPod.start(Map.of());
        shortHistory = TestPod.start(Map.of("herald.history.size", "20"));
    }

    @AfterAll
    static void stop() {
        pod.close();
        shortHistory.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void reconnectWithLastEventIdHeader_replaysEveryChannelExactly(HttpClient.Version version) {
        String room = "channel:resume-h-" + version.name();
        String token = pod.token("erin");
        String cursor;
        try (SseClient first = pod.subscribe(version, token, room, "user:erin")) {
            pod.publish(room, "note", "\"n\":1");
            pod.publish("user:erin", "note", "\"n\":2");
            first.awaitEvents("note", 2, WAIT);
            cursor = first.messages().get(first.messages().size() - 1).lastEventId();
        }
        pod.publish(room, "note", "\"n\":3");
        pod.publish("user:erin", "note", "\"n\":4");
        pod.publish(room, "note", "\"n\":5");
        try (SseClient second = SseClient.open(pod.client(version), pod.uri(TestPod.eventsPath(room, "user:erin")),
                                               Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
            second.awaitEvents("note", 3, WAIT);
            pod.publish(room, "note", "\"n\":6");
            List<JsonNode> notes = second.awaitEvents("note", 4, WAIT);
            assertEquals(List.of(3, 5, 6), notes.stream().filter(n -> n.get("channel").asText().equals(room))
                    .map(n -> n.get("n").asInt()).toList(), "the room's missed events in order, then live");
            assertEquals(List.of(4), notes.stream().filter(n -> n.get("channel").asText().equals("user:erin"))
                    .map(n -> n.get("n").asInt()).toList(), "the user channel's missed event");
            assertEquals(6, notes.get(3).get("n").asInt(), "live after the replay");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void reconnectWithLastEventIdQueryParameter_replays(HttpClient.Version version) {
        String room = "channel:resume-q-" + version.name();
        String token = pod.token("erin");
        String cursor;
        try (SseClient first = pod.subscribe(version, token, room)) {
            cursor = first.awaitCursor(WAIT);
        }
        pod.publish(room, "note", "\"n\":1");
        String path = TestPod.eventsPath(room) + "&lastEventId=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        try (SseClient second = SseClient.open(pod.client(version), pod.uri(path),
                                               Map.of("Authorization", "Bearer " + token))) {
            assertEquals(1, second.awaitEvents("note", 1, WAIT).get(0).get("n").asInt(),
                         "the first cursor of a stream, before any event, already resumes");
        }
    }

    /** A publisher keeps going while the client drops and resumes: the concatenated streams are 1..N exactly. */
    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void eventsPublishedDuringReconnects_noDuplicateNoGap(HttpClient.Version version) throws Exception {
        String room = "channel:resume-live-" + version.name();
        String token = pod.token("frank");
        int total = 150;
        AtomicBoolean failed = new AtomicBoolean();
        AtomicLong published = new AtomicLong();
        Thread publisher = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 1; i <= total; i++) {
                    pod.publish(room, "seq", "\"n\":" + i);
                    published.set(i);
                }
            } catch (Throwable t) {
                failed.set(true);
            }
        });
        List<Integer> received = new ArrayList<>();
        String cursor = null;
        boolean done = false;
        while (!done) {
            Map<String, String> headers = cursor == null ? Map.of("Authorization", "Bearer " + token)
                    : Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor);
            try (SseClient sse = SseClient.open(pod.client(version), pod.uri(TestPod.eventsPath(room)), headers)) {
                sse.awaitCursor(WAIT);
                sse.await("25 more events or the last one", WAIT, c -> c.events("seq").size() >= 25
                        || c.events("seq").stream().anyMatch(n -> n.get("n").asInt() == total));
                // the cursor of the last event read: what a browser sends when it reconnects
                List<SseClient.Message> messages = sse.messages();
                assertEquals(0, sse.events("resync").size(), "history covers every reconnect");
                for (SseClient.Message m : messages) {
                    if (m.data().contains("\"seq\"")) {
                        int n = m.json().get("n").asInt();
                        received.add(n);
                        done |= n == total;
                    }
                }
                cursor = messages.isEmpty() ? sse.lastEventId() : messages.get(messages.size() - 1).lastEventId();
            }
        }
        publisher.join(Duration.ofSeconds(30));
        assertEquals(false, failed.get());
        int first = received.get(0);
        List<Integer> expected = new ArrayList<>();
        for (int i = first; i <= total; i++) {
            expected.add(i);
        }
        assertEquals(expected, received, "no duplicate and no gap across " + version + " reconnects");
    }

    @Test
    void cursorOlderThanHistory_sendsResyncThenWhatRemains() {
        String room = "channel:resync";
        // a service's streams announce no presence: only the 31 events below go to the room's history of 20 (a
        // user's offline event, published when the first stream's end is noticed, could land among them)
        String token = shortHistory.serviceToken();
        String cursor;
        try (SseClient first = shortHistory.subscribe(HttpClient.Version.HTTP_1_1, token, room)) {
            shortHistory.publish(room, "seq", "\"n\":1");
            first.awaitEvents("seq", 1, WAIT);
            cursor = first.messages().get(0).lastEventId();
        }
        for (int i = 2; i <= 31; i++) {
            shortHistory.publish(room, "seq", "\"n\":" + i);
        }
        try (SseClient second = SseClient.open(shortHistory.client(HttpClient.Version.HTTP_1_1), shortHistory.uri(TestPod.eventsPath(room)),
                                               Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
            List<JsonNode> seq = second.awaitEvents("seq", 20, WAIT);
            List<JsonNode> resync = second.events("resync");
            assertEquals(1, resync.size());
            assertEquals(room, resync.get(0).get("channel").asText());
            assertEquals("resync", second.messages().get(0).json().get("type").asText(), "resync comes first");
            assertEquals(12, seq.get(0).get("n").asInt(), "the 20 events history still holds follow");
            assertEquals(31, seq.get(19).get("n").asInt());
        }
    }

    @Test
    void cursorFromAnotherPodLifetime_resyncsAndReplaysHistory() {
        String room = "channel:epoch";
        String token = pod.token("gina");
        pod.publish(room, "seq", "\"n\":1");
        String foreign = "zzzzzz_" + dev.herald.hub.Cursor.fingerprint(List.of(room)) + "_5";
        try (SseClient sse = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1), pod.uri(TestPod.eventsPath(room)),
                                            Map.of("Authorization", "Bearer " + token, "Last-Event-ID", foreign))) {
            sse.awaitEvents("seq", 1, WAIT);
            assertEquals("resync", sse.messages().get(0).json().get("type").asText());
        }
    }

    @Test
    void cursorFromAnotherLifetime_onSeveralChannels_givesCursorsThatResumeAgain() {
        List<String> channels = List.of("channel:epoch-a", "channel:epoch-b");
        String token = pod.token("gina");
        pod.publish(channels.get(0), "seq", "\"n\":1");
        pod.publish(channels.get(1), "seq", "\"n\":2");
        String foreign = "zzzzzz_" + dev.herald.hub.Cursor.fingerprint(channels) + "_5.7";
        String cursor;
        try (SseClient sse = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1),
                                            pod.uri(TestPod.eventsPath(channels.get(0), channels.get(1))),
                                            Map.of("Authorization", "Bearer " + token, "Last-Event-ID", foreign))) {
            sse.awaitEvents("seq", 2, WAIT);
            assertEquals(2, sse.events("resync").size());
            cursor = sse.messages().get(0).lastEventId();
        }
        try (SseClient again = SseClient.open(pod.client(HttpClient.Version.HTTP_1_1),
                                              pod.uri(TestPod.eventsPath(channels.get(0), channels.get(1))),
                                              Map.of("Authorization", "Bearer " + token, "Last-Event-ID", cursor))) {
            again.awaitEvents("seq", 2, WAIT);
            assertEquals(0, again.events("resync").size(), "the first frame's cursor resumes exactly");
        }
    }

    @Test
    void cursorOfOtherChannelsOrGarbage_is400() {
        String token = pod.token("gina");
        String cursor;
        try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, token, "channel:a")) {
            cursor = sse.awaitCursor(WAIT);
        }
        for (String bad : List.of(cursor, "garbage!", "x".repeat(5000), "1_2_3\r\nX: y")) {
            HttpResponse<java.io.InputStream> res = SseClient.openRaw(
                    pod.client(HttpClient.Version.HTTP_1_1), pod.uri(TestPod.eventsPath("channel:b")),
                    Map.of("Authorization", "Bearer " + token, "Last-Event-ID", bad.replace("\r\n", "")));
            assertEquals(400, res.statusCode(), bad);
        }
    }
}
