package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/channels/{channel}} and {@code GET /api/channels}: what a backend sees of its channels, on one pod
 * and across pods on Redis, including after Redis forgot everything and while it is down.
 */
class ChannelInfoTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    private static final HttpClient.Version H2 = HttpClient.Version.HTTP_2;

    @Test
    void onePod_countsStreamsAndUsers_lastIdAndHistory_andTheyFollowStreamsThatLeave() {
        try (TestPod pod = TestPod.start(Map.of("herald.history.size", "2"))) {
            JsonNode empty = info(pod, "channel:room");
            assertEquals(0, empty.get("subscribers").asLong());
            assertEquals(0, empty.get("users").asLong());
            assertEquals(0, empty.get("lastId").asLong());
            assertEquals(0, empty.get("history").get("size").asLong());
            assertTrue(empty.get("history").get("oldestId").isNull());
            try (SseClient alice1 = pod.subscribe(H1, pod.token("alice"), "channel:room");
                 SseClient alice2 = pod.subscribe(H2, pod.token("alice"), "channel:room", "user:alice");
                 SseClient bob = pod.subscribe(H1, pod.token("bob"), "channel:room")) {
                alice1.awaitCursor(WAIT);
                alice2.awaitCursor(WAIT);
                bob.awaitCursor(WAIT);
                long last = 0;
                for (int i = 0; i < 5; i++) {
                    last = pod.publish("channel:room", "tick", "\"n\":" + i);
                }
                JsonNode room = info(pod, "channel:room");
                assertEquals("channel:room", room.get("channel").asText());
                assertEquals(3, room.get("subscribers").asLong(), room.toString());
                assertEquals(2, room.get("users").asLong(), "alice once, bob: " + room);
                // presence events of the room take ids too: the last is the last published
                assertEquals(last, room.get("lastId").asLong());
                assertEquals(2, room.get("history").get("size").asLong(), "herald.history.size: " + room);
                assertEquals(last - 1, room.get("history").get("oldestId").asLong());
                JsonNode user = info(pod, "user:alice");
                assertEquals(1, user.get("subscribers").asLong());
                assertFalse(user.has("users"), "users exist for channel: channels only: " + user);
            }
            // a client that closes is noticed when a write to it fails: events make the streams write
            Await.until("the streams that left to leave the count", WAIT, () -> {
                pod.publish("channel:room", "nudge", "\"n\":0");
                return info(pod, "channel:room").get("subscribers").asLong() == 0;
            });
        }
    }

    @Test
    void listing_pagesInNameOrder_withinThePrefix_withCounts() {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient one = pod.subscribe(H1, pod.token("u1"), "channel:a1", "channel:a2", "channel:a3",
                                           "channel:b1");
             SseClient two = pod.subscribe(H1, pod.token("u2"), "channel:a3", "channel:a4", "channel:a5")) {
            one.awaitCursor(WAIT);
            two.awaitCursor(WAIT);
            List<JsonNode> pages = pages(pod, "channel:a", 2);
            assertEquals(3, pages.size(), pages.toString());
            assertEquals("[channel:a1, channel:a2]", names(pages.get(0)));
            assertEquals("[channel:a3, channel:a4]", names(pages.get(1)));
            assertEquals("[channel:a5]", names(pages.get(2)));
            assertEquals(2, pages.get(1).get("channels").get(0).get("subscribers").asLong(), "a3 has both");
            assertTrue(pages.get(2).get("next").isNull());
            // no prefix: every active channel, the user channels included
            List<String> all = new ArrayList<>();
            pages(pod, null, 1000).forEach(p -> p.get("channels").forEach(c -> all.add(c.get("channel").asText())));
            assertEquals(List.of("channel:a1", "channel:a2", "channel:a3", "channel:a4", "channel:a5", "channel:b1"),
                         all);
            assertEquals(0, pages(pod, "channel:zz", 10).getFirst().get("channels").size());
        }
    }

    @Test
    void onlyServices_andBadInputIs400() {
        try (TestPod pod = TestPod.start(Map.of())) {
            expect(pod.get(H1, "/api/channels/channel:room", pod.token("alice")), 403, "forbidden");
            expect(pod.get(H1, "/api/channels?prefix=channel:", pod.token("alice")), 403, "forbidden");
            expect(pod.get(H1, "/api/channels/channel:room", null), 401, "unauthorized");
            for (String bad : new String[] {"/api/channels/room", "/api/channels/channel:", "/api/channels/user:a%20b",
                                            "/api/channels?limit=0", "/api/channels?limit=1001",
                                            "/api/channels?limit=ten", "/api/channels?cursor=%25%25",
                                            "/api/channels?cursor=bm90LWEtY2hhbm5lbA",
                                            "/api/channels?prefix=channel:%20"}) {
                expect(pod.get(H1, bad, pod.serviceToken()), 400, "bad_request");
            }
        }
    }

    /**
     * Across pods on Redis: counts add up over the pods and the listing merges them; a pod that stops leaves them;
     * Redis restarted empty gets every pod's counts again; Redis down is 503.
     */
    @Test
    void acrossPods_countsAddUp_listingsMerge_andSurviveARedisThatForgotEverything() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            try (SseClient aliceOnA = a.subscribe(H1, a.token("alice"), "channel:x", "channel:p1", "channel:p3");
                 SseClient alice2OnA = a.subscribe(H1, a.token("alice"), "channel:x");
                 SseClient bobOnB = b.subscribe(H1, b.token("bob"), "channel:x", "channel:p2", "channel:p3")) {
                aliceOnA.awaitCursor(WAIT);
                alice2OnA.awaitCursor(WAIT);
                bobOnB.awaitCursor(WAIT);
                a.publish("channel:x", "hello", "\"n\":1");
                long last = b.publish("channel:x", "hello", "\"n\":2");
                for (TestPod pod : new TestPod[] {a, b}) {
                    Await.until("three streams on two pods", WAIT,
                                () -> info(pod, "channel:x").get("subscribers").asLong() == 3);
                    JsonNode x = info(pod, "channel:x");
                    assertEquals(2, x.get("users").asLong(), x.toString());
                    assertEquals(last, x.get("lastId").asLong());
                    assertEquals(last, x.get("history").get("size").asLong(), "every event is retained: " + x);
                    assertEquals(1, x.get("history").get("oldestId").asLong());
                }
                List<JsonNode> pages = pages(b, "channel:p", 2);
                assertEquals("[channel:p1, channel:p2]", names(pages.get(0)));
                assertEquals("[channel:p3]", names(pages.get(1)));
                assertEquals(2, pages.get(1).get("channels").get(0).get("subscribers").asLong());

                // Redis restarts empty: ids start over (a new epoch), and each pod reports its counts again
                redis.kill();
                expect(a.get(H1, "/api/channels/channel:x", a.serviceToken()), 503, "broker_unavailable");
                expect(a.get(H1, "/api/channels?prefix=channel:", a.serviceToken()), 503, "broker_unavailable");
                redis.restart();
                Await.until("the counts to be reported again", WAIT, () -> {
                    HttpResponse<String> res = a.get(H1, "/api/channels/channel:x", a.serviceToken());
                    return res.statusCode() == 200 && TestPod.json(res.body()).get("subscribers").asLong() == 3;
                });
            }
            // the streams ended: the count follows on every pod
            Await.until("the streams that ended to leave the count", WAIT, () -> {
                a.publish("channel:x", "nudge", "\"n\":0");
                // pod b may still be reconnecting to the restarted Redis: a 503 meanwhile is the documented answer
                HttpResponse<String> res = b.get(H1, "/api/channels/channel:x", b.serviceToken());
                return res.statusCode() == 200 && TestPod.json(res.body()).get("subscribers").asLong() == 0;
            });
            try (SseClient onA = a.subscribe(H1, a.token("carol"), "channel:gone")) {
                onA.awaitCursor(WAIT);
                Await.until("pod a's stream to be counted on b", WAIT,
                            () -> info(b, "channel:gone").get("subscribers").asLong() == 1);
                a.close();
                Await.until("a pod that stopped to leave the count", WAIT,
                            () -> info(b, "channel:gone").get("subscribers").asLong() == 0);
            }
        }
    }

    private static JsonNode info(TestPod pod, String channel) {
        HttpResponse<String> res = pod.get(H1, "/api/channels/" + channel, pod.serviceToken());
        assertEquals(200, res.statusCode(), res.body());
        return TestPod.json(res.body());
    }

    /** Every page of the listing, following {@code next}. */
    private static List<JsonNode> pages(TestPod pod, String prefix, int limit) {
        List<JsonNode> pages = new ArrayList<>();
        String cursor = null;
        do {
            String query = "/api/channels?limit=" + limit + (prefix == null ? "" : "&prefix=" + prefix)
                           + (cursor == null ? "" : "&cursor=" + cursor);
            HttpResponse<String> res = pod.get(H1, query, pod.serviceToken());
            assertEquals(200, res.statusCode(), res.body());
            JsonNode page = TestPod.json(res.body());
            pages.add(page);
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
            assertTrue(pages.size() < 100, "the listing ends");
        } while (cursor != null);
        return pages;
    }

    private static String names(JsonNode page) {
        List<String> names = new ArrayList<>();
        page.get("channels").forEach(c -> names.add(c.get("channel").asText()));
        return names.toString();
    }

    private static void expect(HttpResponse<String> res, int status, String error) {
        assertEquals(status, res.statusCode(), res.uri() + " -> " + res.body());
        assertEquals(error, TestPod.json(res.body()).get("error").asText(), res.body());
    }
}
