package dev.herald.hub;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Presence and job events count against their channel's event budget: beyond it they are not published (counted),
 * presence still converges on the presence list, and a job's end still arrives.
 */
class ServerEventBudgetTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aFloodOfJoinsAndLeaves_staysWithinTheChannelBudget_andThePresenceEventsStillConverge() {
        double perSecond = 2;
        int burst = 4;
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", Double.toString(perSecond),
                                                "herald.rate.channel.burst", Integer.toString(burst),
                                                "herald.sse.heartbeat", "PT0.2S"))) {
            // the channel's bucket starts full at its first event, the watcher's own online
            long start = System.nanoTime();
            String watching = pod.token("watcher");
            try (SseClient watcher = pod.subscribe(HttpClient.Version.HTTP_1_1, watching, "channel:flood")) {
                watcher.awaitCursor(WAIT);
                Set<String> everyone = new HashSet<>(Set.of("watcher"));
                List<SseClient> flood = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String user = "u" + i;
                    everyone.add(user);
                    flood.add(pod.subscribe(HttpClient.Version.HTTP_1_1, pod.token(user), "channel:flood"));
                }
                try {
                    Await.until("the presence events to show all 21 online", WAIT,
                                () -> online(watcher).equals(everyone));
                    assertWithinBudget(watcher, start, perSecond, burst);
                    assertTrue(pod.metric("herald_server_events_dropped_total", "source=\"presence\"") >= 1,
                               "21 joins at once do not fit a burst of " + burst);
                } finally {
                    flood.forEach(SseClient::close);
                }
                Await.until("the presence events to show the 20 gone", WAIT,
                            () -> online(watcher).equals(Set.of("watcher")));
                assertWithinBudget(watcher, start, perSecond, burst);
                HttpResponse<String> list = pod.get(HttpClient.Version.HTTP_1_1, "/api/channels/channel:flood/presence",
                                                    watching);
                JsonNode users = TestPod.json(list.body()).get("users");
                assertEquals(1, users.size(), list.body());
                assertEquals("watcher", users.get(0).get("userId").asText(), "the list agrees with the events");
            }
        }
    }

    @Test
    void jobProgressBeyondTheBudget_isDropped_andEveryJobsEndStillArrives() {
        double perSecond = 0.5;
        int burst = 25;
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", Double.toString(perSecond),
                                                "herald.rate.channel.burst", Integer.toString(burst)))) {
            long start = System.nanoTime();
            for (int i = 1; i <= 20; i++) {
                pod.publish("channel:archive", "note", "\"n\":" + i);
            }
            String olga = pod.token("olga");
            try (SseClient mine = pod.subscribe(HttpClient.Version.HTTP_1_1, olga, "user:olga")) {
                mine.awaitCursor(WAIT);
                // three exports want 3 x 23 events on user:olga (a start, 21 progress, an end): far more than 25
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> started = pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", olga,
                                                            "{\"channel\":\"channel:archive\"}");
                    assertEquals(202, started.statusCode(), started.body());
                }
                mine.awaitEvents("generation_complete", 3, WAIT);
                double seconds = (System.nanoTime() - start) / 1e9;
                // a job's start and end are state changes, never dropped: only progress is held to the budget
                int published = mine.events("generation_progress").size();
                assertTrue(published <= burst + perSecond * seconds + 1,
                           published + " progress events in " + seconds + " s at " + perSecond + "/s, burst " + burst);
                assertEquals(3, mine.events("generation_started").size());
                assertTrue(mine.events("generation_progress").size() < 3 * 21, "some progress was dropped");
                assertTrue(pod.metric("herald_server_events_dropped_total", "source=\"job\"") >= 1);
            }
        }
    }

    /** Who the presence events say is online, applied in order. */
    private static Set<String> online(SseClient client) {
        Set<String> online = new HashSet<>();
        for (JsonNode event : client.events("presence")) {
            if (event.get("status").asText().equals("online")) {
                online.add(event.get("userId").asText());
            } else {
                online.remove(event.get("userId").asText());
            }
        }
        return online;
    }

    private static void assertWithinBudget(SseClient client, long start, double perSecond, int burst) {
        double seconds = (System.nanoTime() - start) / 1e9;
        int published = client.events("presence").size();
        assertTrue(published <= burst + perSecond * seconds + 1,
                   published + " presence events in " + seconds + " s at " + perSecond + "/s, burst " + burst);
    }
}
