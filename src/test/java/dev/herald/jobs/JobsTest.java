package dev.herald.jobs;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The history export: real progress on the owner's channel, a result only the owner can download. */
class JobsTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void export_reportsProgressInProportion_thenCompletes_andOnlyTheOwnerDownloads() {
        try (TestPod pod = TestPod.start(Map.of())) {
            for (int i = 1; i <= 40; i++) {
                pod.publish("channel:archive", "note", "\"n\":" + i);
            }
            String owner = pod.token("olga");
            try (SseClient mine = pod.subscribe(HttpClient.Version.HTTP_1_1, owner, "user:olga")) {
                mine.awaitCursor(WAIT);
                HttpResponse<String> started = pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", owner,
                                                        "{\"channel\":\"channel:archive\"}");
                assertEquals(202, started.statusCode(), started.body());
                String jobId = TestPod.json(started.body()).get("jobId").asText();
                JsonNode done = mine.awaitEvents("generation_complete", 1, WAIT).get(0);
                assertEquals(jobId, done.get("jobId").asText());
                List<JsonNode> progress = mine.events("generation_progress");
                int previous = -1;
                for (JsonNode p : progress) {
                    assertEquals(jobId, p.get("jobId").asText());
                    assertTrue(p.get("progress").asInt() > previous, "progress only grows: " + progress);
                    previous = p.get("progress").asInt();
                }
                assertEquals(100, previous);
                assertTrue(progress.size() >= 5, "reported along the way, not only at the end: " + progress.size());
                String result = done.get("result").asText();
                assertEquals("/api/jobs/" + jobId + "/result", result);

                HttpResponse<String> download = pod.get(HttpClient.Version.HTTP_1_1, result, owner);
                assertEquals(200, download.statusCode());
                assertEquals("application/x-ndjson", download.headers().firstValue("content-type").orElseThrow());
                List<String> lines = download.body().lines().toList();
                assertEquals(40, lines.size());
                assertEquals(1, TestPod.json(lines.get(0)).get("n").asInt());
                assertEquals(40, TestPod.json(lines.get(39)).get("n").asInt());
                assertEquals(40 + progress.size() + 1, pod.metric("herald_events_published_total", null),
                             "the job's progress and completion are counted like every other publish");

                assertEquals(403, pod.get(HttpClient.Version.HTTP_1_1, result, pod.token("mallory")).statusCode());
                assertEquals(404, pod.get(HttpClient.Version.HTTP_1_1, "/api/jobs/nope/result", owner).statusCode());
                assertEquals(401, pod.get(HttpClient.Version.HTTP_1_1, result, null).statusCode());
            }
            assertEquals(403, pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", owner,
                                       "{\"channel\":\"user:someone\"}").statusCode(), "not allowed on that channel");
            assertEquals(400, pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", owner, "{}").statusCode());
        }
    }

    @Test
    void export_thatRedisRefuses_reportsAStableCode_andNoInternalText() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            pod.publish("channel:archive", "note", "\"n\":1");
            String owner = pod.token("olga");
            try (SseClient mine = pod.subscribe(HttpClient.Version.HTTP_1_1, owner, "user:olga")) {
                mine.awaitCursor(WAIT);
                // history reads (XRANGE) now fail with Redis's own words; publishing (a script) still works
                redis.command("ACL", "SETUSER", "default", "-xrange");
                HttpResponse<String> started = pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", owner,
                                                        "{\"channel\":\"channel:archive\"}");
                assertEquals(202, started.statusCode(), started.body());
                String jobId = TestPod.json(started.body()).get("jobId").asText();
                JsonNode failed = mine.awaitEvents("generation_failed", 1, WAIT).get(0);
                assertEquals(jobId, failed.get("jobId").asText());
                assertEquals("broker_unavailable", failed.get("error").asText());
                assertEquals("the event broker was unreachable; start the job again later",
                             failed.get("message").asText());
                assertInternalsHidden(failed.toString());

                HttpResponse<String> status = pod.get(HttpClient.Version.HTTP_1_1, "/api/jobs/" + jobId + "/result",
                                                      owner);
                assertEquals(404, status.statusCode());
                assertEquals("the job failed (broker_unavailable): the event broker was unreachable; start the job "
                             + "again later", TestPod.json(status.body()).get("message").asText());
                assertInternalsHidden(status.body());
            }
        }
    }

    private static void assertInternalsHidden(String text) {
        for (String internal : List.of("NOPERM", "xrange", "Redis", "redis", "Jedis", "jedis", "Exception", "127.0.0.1")) {
            assertFalse(text.contains(internal), "'" + internal + "' reached the client: " + text);
        }
    }
}
