package dev.herald.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import dev.herald.Await;
import dev.herald.HeraldProcess;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;
import dev.herald.client.HeraldClient;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/nginx/herald.conf run by Debian's nginx in front of two pods (separate processes on one Redis): streams
 * opened through nginx get events published through nginx; a pod killed with SIGKILL, then a rolling restart by
 * SIGTERM, cost the clients (which know nginx's address only and reconnect with their cursor, as herald.js does)
 * no event and no duplicate, while a backend publishes without pause through nginx with retries.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NginxTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int STREAMS = 4;
    private static final TokenIssuer ISSUER = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8));
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern STREAMS_GAUGE = Pattern.compile("(?m)^sse_connections_total(\\{[^}]*})? (\\S+)$");
    private static RedisProcess redis;
    private static final int[] PORTS = new int[2];
    private static final HeraldProcess[] PODS = new HeraldProcess[2];
    private static NginxProcess nginx;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(NginxProcess.NGINX),
                   "skipped: no nginx at /usr/sbin/nginx (apt-get install nginx); .ci/run installs it");
        redis = RedisProcess.start(false);
        for (int i = 0; i < 2; i++) {
            PORTS[i] = HeraldProcess.freePort();
            PODS[i] = startPod(i);
        }
        nginx = NginxProcess.start(List.of(PORTS[0], PORTS[1]));
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        for (HeraldProcess pod : PODS) {
            if (pod != null) {
                pod.process().destroyForcibly();
                pod.process().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    @Order(1)
    void streamsThroughNginx_getEventsPublishedThroughNginx_unbuffered_andProbesAndDevTokensStayInside() throws Exception {
        String channel = "channel:nginx-hello";
        List<SseClient> streams = new ArrayList<>();
        try (HeraldClient backend = publisher(new ArrayList<>())) {
            for (int i = 0; i < 2; i++) {
                SseClient stream = SseClient.open(HTTP, nginx(eventsPath(channel)), bearer(user("hello-" + i)));
                streams.add(stream);
                stream.awaitCursor(WAIT);
                HttpResponse<?> head = stream.response();
                assertEquals("text/event-stream; charset=utf-8", head.headers().firstValue("Content-Type").orElse(""));
                assertEquals("no", head.headers().firstValue("X-Accel-Buffering").orElse(""), "passed on by nginx");
                assertTrue(head.headers().firstValue("Content-Length").isEmpty());
            }
            Await.until("one stream on each pod (nginx balances, nothing sticky)", WAIT,
                        () -> streamsOn(0) == 1 && streamsOn(1) == 1);
            for (int n = 1; n <= 3; n++) {
                backend.publish(channel, "load", Map.of("n", n));
            }
            for (SseClient stream : streams) {
                List<JsonNode> got = stream.awaitEvents("load", 3, WAIT);
                assertEquals(List.of(1, 2, 3), got.stream().map(e -> e.get("n").asInt()).toList());
            }
        } finally {
            streams.forEach(SseClient::close);
        }
        assertEquals(200, get(pod(0, "/observe/health/ready")).statusCode(), "the pod answers its probe directly");
        assertEquals(404, get(nginx("/observe/health/ready")).statusCode(), "and not through nginx");
        assertEquals(404, get(nginx("/observe/metrics")).statusCode());
        HttpResponse<String> dev = HTTP.send(HttpRequest.newBuilder(nginx("/dev/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, dev.statusCode());
        HttpResponse<String> js = get(nginx("/js/herald.js"));
        assertEquals(200, js.statusCode());
        assertTrue(js.body().contains("EventSource"), "the browser client, through nginx");
    }

    @Test
    @Order(2)
    void aPodKilled_itsStreamsResumeThroughNginxOnTheOther_withNoGapAndNoDuplicate() throws Exception {
        String channel = "channel:nginx-kill";
        List<ResumingStream> streams = openStreams(channel, "kill");
        List<String> retried = new CopyOnWriteArrayList<>();
        try (Publisher publisher = new Publisher(publisher(retried), channel)) {
            // a closed stream leaves its pod's count at the pod's next heartbeat (1 s here)
            Await.until("every stream on a pod, some on the pod to kill", WAIT,
                        () -> streamsOn(0) + streamsOn(1) == STREAMS && streamsOn(0) > 0);
            int onKilled = streamsOn(0);
            publisher.start();
            publisher.awaitPublished(30, WAIT);
            PODS[0].process().destroyForcibly();
            assertTrue(PODS[0].process().waitFor(10, TimeUnit.SECONDS));
            Await.until("the killed pod's streams reconnected through nginx, every stream live", WAIT,
                        () -> streams.stream().filter(s -> s.connections() >= 2).count() == onKilled
                              && streams.stream().allMatch(ResumingStream::live));
            publisher.awaitPublished(publisher.published() + 30, WAIT);
            publisher.close();
            assertEveryEventOnceInOrder(streams, publisher);
            System.out.println("NginxTest: " + publisher.published() + " events; publishes retried through nginx: " + retried);
            assertTrue(retried.size() <= 1, "only a publish in flight when the pod died may fail (502), and its retry "
                                            + "with the same Idempotency-Key goes to the other pod: " + retried);
            assertEquals(onKilled, streams.stream().filter(s -> s.connections() == 2).count(),
                         "the killed pod's streams reconnected once each, the others not at all: " + nginx.log());
        } finally {
            streams.forEach(ResumingStream::close);
        }
    }

    @Test
    @Order(3)
    void aRollingRestartBySigterm_losesNothing_andEveryStreamMovesAtLeastOnce() throws Exception {
        for (int i = 0; i < 2; i++) {
            if (!PODS[i].process().isAlive()) {
                PODS[i] = startPod(i);
            }
        }
        String channel = "channel:nginx-rolling";
        List<ResumingStream> streams = openStreams(channel, "rolling");
        List<String> retried = new CopyOnWriteArrayList<>();
        try (Publisher publisher = new Publisher(publisher(retried), channel)) {
            publisher.start();
            publisher.awaitPublished(30, WAIT);
            for (int i = 0; i < 2; i++) {
                PODS[i].process().destroy();
                assertTrue(PODS[i].process().waitFor(20, TimeUnit.SECONDS), "pod " + i + " drains and exits on SIGTERM");
                PODS[i] = startPod(i);
                Await.until("every stream live again", WAIT, () -> streams.stream().allMatch(ResumingStream::live));
                publisher.awaitPublished(publisher.published() + 20, WAIT);
            }
            publisher.close();
            assertEveryEventOnceInOrder(streams, publisher);
            System.out.println("NginxTest: " + publisher.published() + " events; publishes retried through nginx: " + retried);
            assertTrue(streams.stream().allMatch(s -> s.connections() >= 2), "every stream was on a pod that restarted");
        } finally {
            streams.forEach(ResumingStream::close);
        }
    }

    private static void assertEveryEventOnceInOrder(List<ResumingStream> streams, Publisher publisher) {
        assertEquals(List.of(), publisher.failures(), "every publish through nginx succeeded (after retries)");
        int last = publisher.published();
        List<Integer> all = IntStream.rangeClosed(1, last).boxed().toList();
        for (ResumingStream stream : streams) {
            Await.until("event " + last + " on every stream", WAIT, () -> stream.numbers("load").contains(last));
            assertEquals(all, stream.numbers("load"), "every event once, in order; refused connects: " + stream.refusals());
            assertEquals(List.of(), stream.refusals(), "nginx took every reconnect to a pod that serves it");
            List<Long> ids = stream.events().stream().filter(e -> "load".equals(e.path("type").asText()))
                    .map(e -> e.get("id").asLong()).toList();
            assertEquals(publisher.ids(), ids, "each event stored once: the ids the publishes answered");
            assertTrue(stream.events().stream().noneMatch(e -> "resync".equals(e.path("type").asText())));
        }
    }

    /** Opens the streams one after the other, each live before the next (nginx's round robin then alternates pods). */
    private static List<ResumingStream> openStreams(String channel, String who) {
        List<ResumingStream> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            ResumingStream stream = ResumingStream.open(HTTP, nginx(eventsPath(channel) + "&ready"), bearer(user(who + "-" + i)));
            streams.add(stream);
            Await.until("stream " + i + " live", WAIT, stream::live);
        }
        return streams;
    }

    private static HeraldProcess startPod(int i) throws IOException {
        HeraldProcess pod = HeraldProcess.start(
                Map.of("SERVER_PORT", String.valueOf(PORTS[i]), "HERALD_REDIS_URL", redis.url(),
                       "HERALD_JWT_SECRET", TestPod.SECRET, "HERALD_DEV_MODE", "false"),
                List.of("-Dherald.pod-id=nginx-" + i, "-Dherald.sse.retry=PT0.5S", "-Dherald.sse.heartbeat=PT1S",
                        "-Dherald.sse.shutdown-grace=PT2S",
                        "-Dherald.rate.channel.per-second=100000", "-Dherald.rate.channel.burst=100000"));
        Await.until("pod " + i + " ready", WAIT, () -> {
            try {
                return get(pod(i, "/observe/health/ready")).statusCode() == 200;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
        return pod;
    }

    /** The pod's open streams, from its own metrics. */
    private static int streamsOn(int i) {
        try {
            Matcher m = STREAMS_GAUGE.matcher(get(pod(i, "/observe/metrics")).body());
            return m.find() ? (int) Double.parseDouble(m.group(2)) : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static HeraldClient publisher(List<String> retries) {
        return HeraldClient.builder(nginx("")).token(ISSUER.issue("backend", "Backend", List.of("service"), Duration.ofMinutes(10)))
                .retries(30, Duration.ofMillis(50), Duration.ofMillis(500))
                .onRetry(r -> retries.add(r.failedAttempt() + ": " + r.status() + " " + r.error())).build();
    }

    private static String user(String id) {
        return ISSUER.issue(id, id, List.of(), Duration.ofMinutes(10));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static String eventsPath(String channel) {
        return "/api/events?channel=" + channel;
    }

    private static URI nginx(String path) {
        return URI.create("http://127.0.0.1:" + nginx.port() + path);
    }

    private static URI pod(int i, String path) {
        return URI.create("http://127.0.0.1:" + PORTS[i] + path);
    }

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
