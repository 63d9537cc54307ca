package dev.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * {@link HeraldClient} against real pods (and a real Redis): what it sends arrives once, with the id it returns;
 * refusals carry the server's code; retries reuse their key, so an answer lost after the publish was stored, a 207
 * or a Redis that comes back never publishes twice.
 */
class HeraldClientTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;

    @Test
    void onePod_publishBroadcastDisconnect_arriveWithTheIdsReturned() {
        try (TestPod pod = TestPod.start(Map.of());
             HeraldClient client = client(pod.port()).token(pod.serviceToken()).build();
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:a", "channel:b");
             SseClient alice = pod.subscribe(H1, pod.token("alice"), "user:alice")) {
            sse.awaitCursor(WAIT);
            alice.awaitCursor(WAIT);
            long id = client.publish("channel:a", "order_shipped", Map.of("orderId", 1234, "items", List.of("x", "y")));
            JsonNode shipped = sse.awaitEvents("order_shipped", 1, WAIT).getFirst();
            assertEquals(id, shipped.get("id").asLong());
            assertEquals(1234, shipped.get("orderId").asInt());
            assertEquals("y", shipped.get("items").get(1).asText());

            BroadcastResult result = client.broadcast(List.of("channel:a", "channel:b"), "notice", Map.of("text", "hi"));
            assertTrue(result.complete(), result.toString());
            assertEquals(Map.of("channel:a", id + 1, "channel:b", 1L), result.ids());
            List<JsonNode> notices = sse.awaitEvents("notice", 2, WAIT);
            for (JsonNode notice : notices) {
                assertEquals(result.ids().get(notice.get("channel").asText()), notice.get("id").asLong());
            }

            DisconnectResult gone = client.disconnect("alice", "banned");
            assertEquals(new DisconnectResult("alice", "banned", 1, Optional.empty()), gone);
            alice.awaitEnd(WAIT);
            JsonNode last = alice.messages().getLast().json();
            assertEquals("disconnect", last.get("type").asText());
            assertEquals("banned", last.get("reason").asText());
            assertEquals("disconnected", client.disconnect("alice", null).reason(), "the server's default reason");
        }
    }

    @Test
    void twoPodsOnOneRedis_publishThroughA_reachesB_andADisconnectThroughA_endsTheStreamOnB() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()));
             HeraldClient client = client(a.port()).token(a::serviceToken).build();
             SseClient onB = b.subscribe(H1, b.serviceToken(), "channel:x", "channel:y");
             SseClient aliceOnB = b.subscribe(H1, b.token("alice"), "channel:x")) {
            onB.awaitCursor(WAIT);
            aliceOnB.awaitCursor(WAIT);
            long id = client.publish("channel:x", "hello", Map.of("n", 1));
            assertEquals(id, onB.awaitEvents("hello", 1, WAIT).getFirst().get("id").asLong());
            BroadcastResult result = client.broadcast(List.of("channel:x", "channel:y"), "notice", Map.of());
            for (JsonNode notice : onB.awaitEvents("notice", 2, WAIT)) {
                assertEquals(result.ids().get(notice.get("channel").asText()), notice.get("id").asLong());
            }
            Await.until("pod B's streams to be counted through pod A", WAIT,
                        () -> client.channel("channel:x").subscribers() == 2);

            DisconnectResult gone = client.disconnect("alice", "kicked");
            assertEquals(0, gone.endedOnThisPod(), "alice's stream is on pod B");
            aliceOnB.awaitEnd(WAIT);
            JsonNode last = aliceOnB.messages().getLast().json();
            assertEquals("disconnect", last.get("type").asText());
            assertEquals("kicked", last.get("reason").asText());
            assertFalse(onB.ended(), "the service's stream stays");
        }
    }

    @Test
    void refusals_throwTheServersCode_atOnce_withoutRetrying() {
        try (TestPod pod = TestPod.start(Map.of())) {
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (HeraldClient service = client(pod.port()).token(pod.serviceToken()).onRetry(retries::add).build();
                 HeraldClient user = client(pod.port()).token(pod.token("mallory")).onRetry(retries::add).build();
                 HeraldClient anonymous = client(pod.port()).onRetry(retries::add).build()) {
                refused(403, "forbidden", () -> user.publish("channel:a", "x", Map.of()));
                refused(403, "forbidden", () -> user.broadcast(List.of("channel:a"), "x", Map.of()));
                refused(403, "forbidden", () -> user.disconnect("alice", null));
                refused(403, "forbidden", () -> user.channel("channel:a"));
                refused(401, "unauthorized", () -> anonymous.publish("channel:a", "x", Map.of()));
                refused(400, "bad_request", () -> service.publish("channel:a", "Not A Type", Map.of()));
                refused(400, "bad_request", () -> service.publish("nope", "x", Map.of()));
                refused(400, "bad_request", () -> service.publish("channel:a", "x", Map.of("id", 5)));
                refused(400, "bad_request", () -> service.broadcast(List.of("channel:a", "channel:a"), "x", Map.of()));
                refused(400, "bad_request", () -> service.disconnect("alice", "Not Allowed!"));
                refused(400, "bad_request", () -> service.channel("nope"));
                refused(400, "bad_request", () -> service.channels("", 0, null));
                service.publish("channel:a", "x", Map.of("n", 1), "order-1");
                refused(422, "idempotency_key_reused", () -> service.publish("channel:a", "x", Map.of("n", 2), "order-1"));
                assertEquals(List.of(), retries, "no refusal is retried");
                // what the client refuses itself
                assertThrows(IllegalArgumentException.class, () -> service.publish("channel:a", "x", Map.of("type", "y")));
                assertThrows(IllegalArgumentException.class, () -> service.publish("channel:a", "x", Map.of(), "a key"));
                assertEquals(1.0, pod.metric("herald_events_published_total", null), "only the one accepted");
            }
        }
    }

    /**
     * The pod publishes, then the answer is lost on the way back (twice): the client retries with the same key, the
     * event exists once and the id returned is the one the first attempt was given.
     */
    @Test
    void answersLostAfterThePublish_retriedWithTheSameKey_theEventExistsOnce_withTheFirstAttemptsId() throws Exception {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:p", "channel:q")) {
            sse.awaitCursor(WAIT);
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 2);
                 HeraldClient client = client(proxy.port()).token(pod.serviceToken())
                         .retries(4, Duration.ofMillis(20), Duration.ofMillis(100)).onRetry(retries::add).build()) {
                long id = client.publish("channel:p", "order", Map.of("n", 1));
                assertEquals(2, proxy.withheld().size());
                for (String lost : proxy.withheld()) {
                    assertTrue(lost.startsWith("HTTP/1.1 202") && lost.endsWith("{\"id\":" + id + "}"),
                               "the pod answered the first attempt with the id returned: " + lost);
                }
                assertEquals(List.of("unreachable", "unreachable"), retries.stream().map(RetryEvent::error).toList());
            }
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 1);
                 HeraldClient client = client(proxy.port()).token(pod.serviceToken())
                         .retries(3, Duration.ofMillis(20), Duration.ofMillis(100)).build()) {
                BroadcastResult result = client.broadcast(List.of("channel:p", "channel:q"), "order", Map.of("n", 2));
                assertEquals(Map.of("channel:p", 2L, "channel:q", 1L), result.ids());
                assertTrue(proxy.withheld().getFirst().contains("\"ids\":{\"channel:p\":2,\"channel:q\":1}"),
                           proxy.withheld().getFirst());
            }
            pod.publish("channel:p", "marker", "");
            sse.awaitEvents("marker", 1, WAIT);
            List<JsonNode> orders = sse.events("order");
            assertEquals(List.of("channel:p 1 1", "channel:p 2 2", "channel:q 1 2"),
                         orders.stream().map(e -> e.get("channel").asText() + " " + e.get("id") + " " + e.get("n"))
                                 .sorted().toList(), "each order once");
            assertEquals(4.0, pod.metric("herald_events_published_total", null), "three orders and the marker");
        }
    }

    @Test
    void aBroadcastAnswered207_isRetriedWithItsKey_onlyTheChannelThatFailedIsPublished() {
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", "2",
                                                "herald.rate.channel.burst", "1"));
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:a", "channel:b", "channel:c",
                                           "channel:d", "channel:marker")) {
            sse.awaitCursor(WAIT);
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (HeraldClient client = client(pod.port()).token(pod.serviceToken()).onRetry(retries::add)
                    .retries(3, Duration.ofMillis(50), Duration.ofSeconds(2)).build();
                 HeraldClient noRateRetries = client(pod.port()).token(pod.serviceToken()).retryRateLimited(false)
                         .build()) {
                client.publish("channel:a", "spend", Map.of());
                BroadcastResult result = client.broadcast(List.of("channel:a", "channel:b"), "order", Map.of());
                assertTrue(result.complete(), result.toString());
                assertEquals(Map.of("channel:a", 2L, "channel:b", 1L), result.ids());
                assertEquals(207, retries.getFirst().status());
                assertEquals("rate_limited", retries.getFirst().error());
                assertTrue(retries.getFirst().delay().compareTo(Duration.ofSeconds(1)) >= 0,
                           "the Retry-After was waited for: " + retries);

                // 429 not retried: the partial result and the plain refusal come back as they are
                noRateRetries.publish("channel:c", "spend", Map.of());
                HeraldException limited = assertThrows(HeraldException.class,
                                                       () -> noRateRetries.publish("channel:c", "again", Map.of()));
                assertEquals(429, limited.status());
                assertEquals("rate_limited", limited.error());
                assertTrue(limited.retryAfter().isPresent() && limited.retryable() && limited.attempts() == 1,
                           "temporary, not retried by this client: " + limited);
                BroadcastResult partial = noRateRetries.broadcast(List.of("channel:c", "channel:d"), "order", Map.of());
                assertFalse(partial.complete());
                assertEquals(Map.of("channel:d", 1L), partial.ids());
                assertEquals("rate_limited", partial.errors().get("channel:c").error());
            }
            pod.publish("channel:marker", "marker", "");
            sse.awaitEvents("marker", 1, WAIT);
            assertEquals(List.of("channel:a", "channel:b", "channel:d"),
                         sse.events("order").stream().map(e -> e.get("channel").asText()).sorted().toList(),
                         "each channel's order once");
        }
    }

    @Test
    void redisDown_theClientGivesUpAfterItsAttempts_with503BrokerUnavailable_andTheRetryAfter() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (HeraldClient client = client(pod.port()).token(pod.serviceToken()).onRetry(retries::add)
                    .retries(3, Duration.ofMillis(20), Duration.ofMillis(100)).build()) {
                client.publish("channel:down", "before", Map.of());
                redis.kill();
                HeraldException down = assertThrows(HeraldException.class,
                                                    () -> client.publish("channel:down", "lost", Map.of()));
                assertEquals(503, down.status());
                assertEquals("broker_unavailable", down.error());
                assertEquals(Optional.of(Duration.ofSeconds(1)), down.retryAfter());
                assertTrue(down.retryable());
                assertEquals(3, down.attempts());
                assertEquals(2, retries.size());
                assertTrue(retries.stream().allMatch(r -> r.delay().equals(Duration.ofMillis(100))),
                           "Retry-After: 1, capped by maxBackoff: " + retries);
                HeraldException broadcast = assertThrows(HeraldException.class, () -> client.broadcast(
                        List.of("channel:down", "channel:other"), "lost", Map.of()));
                assertEquals("broker_unavailable", broadcast.error());
            }
        }
    }

    @Test
    void redisBackWhileTheClientRetries_thePublishGoesThrough() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()));
             SseClient sse = pod.subscribe(H1, pod.serviceToken(), "channel:back")) {
            sse.awaitCursor(WAIT);
            CountDownLatch failed = new CountDownLatch(1);
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (HeraldClient client = client(pod.port()).token(pod.serviceToken())
                    .retries(200, Duration.ofMillis(50), Duration.ofMillis(200))
                    .onRetry(r -> {
                        retries.add(r);
                        failed.countDown();
                    }).build()) {
                redis.kill();
                CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
                    try {
                        assertTrue(failed.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the first attempt failed");
                        redis.restart();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                long id = client.publish("channel:back", "after", Map.of("n", 1));
                restart.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals("broker_unavailable", retries.getFirst().error());
                assertEquals(id, client.channel("channel:back").lastId(), "stored, as the id says");
                pod.publish("channel:back", "marker", "");
                sse.awaitEvents("marker", 1, WAIT);
                assertEquals(List.of(id), sse.events("after").stream().map(e -> e.get("id").asLong()).toList(),
                             "the stream that lived through the outage got it once");
            }
        }
    }

    @Test
    void channelInfo_andPagesOfChannels() {
        try (TestPod pod = TestPod.start(Map.of());
             HeraldClient client = client(pod.port()).token(pod.serviceToken()).build();
             SseClient alice = pod.subscribe(H1, pod.token("alice"), "channel:room", "user:alice");
             SseClient bob = pod.subscribe(H1, pod.token("bob"), "channel:room", "channel:x.y~z@w")) {
            alice.awaitCursor(WAIT);
            bob.awaitCursor(WAIT);
            long last = 0;
            for (int i = 0; i < 3; i++) {
                last = client.publish("channel:room", "tick", Map.of("n", i));
            }
            ChannelInfo room = client.channel("channel:room");
            assertEquals("channel:room", room.channel());
            assertEquals(2, room.subscribers());
            assertEquals(OptionalInt.of(2), room.users());
            assertEquals(last, room.lastId());
            assertEquals(last, room.historySize(), "every event retained");
            assertEquals(1, room.oldestId().orElseThrow());
            ChannelInfo user = client.channel("user:alice");
            assertEquals(1, user.subscribers());
            assertTrue(user.users().isEmpty(), "users exist for channel: channels only");
            assertTrue(user.oldestId().isEmpty());
            assertEquals(1, client.channel("channel:x.y~z@w").subscribers(), "a name with ~ and @ in the path");

            ChannelPage first = client.channels("channel:", 1, null);
            assertEquals(List.of(new ChannelPage.Entry("channel:room", 2)), first.channels());
            ChannelPage second = client.channels("channel:", 1, first.next().orElseThrow());
            assertEquals(List.of(new ChannelPage.Entry("channel:x.y~z@w", 1)), second.channels());
            assertTrue(second.next().isEmpty());
            assertEquals(3, client.channels(null, 100, null).channels().size(), "no prefix: user:alice too");
        }
    }

    @Test
    void revocation_endsTheStreams_andTheOldTokensAreRefused() {
        try (TestPod pod = TestPod.start(Map.of());
             HeraldClient client = client(pod.port()).token(pod.serviceToken()).build()) {
            String old = pod.token("alice", Instant.now().minusSeconds(5));
            try (SseClient alice = pod.subscribe(H1, old, "channel:a")) {
                alice.awaitCursor(WAIT);
                DisconnectResult result = client.disconnectAndRevokeNow("alice", "banned");
                assertEquals(1, result.endedOnThisPod());
                Instant before = result.revokedBefore().orElseThrow();
                assertEquals(before.truncatedTo(ChronoUnit.SECONDS), before, "whole seconds");
                alice.awaitEnd(WAIT);
                assertEquals("banned", alice.events("disconnect").getFirst().get("reason").asText());
                assertEquals(401, pod.get(H1, "/api/channels/channel:a/presence", old).statusCode());
                assertEquals(200, pod.get(H1, "/api/channels/channel:a/presence", pod.token("alice", before))
                        .statusCode(), "a token of the instant's second works");
            }
            Instant earlier = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS);
            DisconnectResult bob = client.disconnect("bob", null, earlier);
            assertEquals(new DisconnectResult("bob", "disconnected", 0, Optional.of(earlier)), bob);
            assertEquals(401, pod.get(H1, "/api/channels/channel:a/presence",
                                      pod.token("bob", earlier.minusSeconds(1))).statusCode());
            refused(400, "bad_request", () -> client.disconnect("bob", null, Instant.now().plus(Duration.ofHours(1))));
        }
    }

    private static HeraldClient.Builder client(int port) {
        return HeraldClient.builder(URI.create("http://127.0.0.1:" + port))
                .retries(3, Duration.ofMillis(20), Duration.ofMillis(100));
    }

    private static void refused(int status, String error, Runnable call) {
        HeraldException e = assertThrows(HeraldException.class, call::run);
        assertEquals(status, e.status(), e.getMessage());
        assertEquals(error, e.error(), e.getMessage());
        assertEquals(1, e.attempts(), e.getMessage());
        assertFalse(e.retryable(), e.getMessage());
    }
}
