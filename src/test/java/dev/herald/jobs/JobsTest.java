package dev.herald.jobs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The history export: real progress on the owner's channel, a result only the owner can download; a per-user rate of
 * exports, results on disk within a byte budget (oldest evicted), downloads streamed from the file.
 */
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
                assertEquals(40 + 1 + progress.size() + 1, pod.metric("herald_events_published_total", null),
                             "the job's start, progress and completion are counted like every other publish");
                assertEquals(1, mine.events("generation_started").size());
                assertEquals(1, pod.metric("herald_jobs_created_total", null), "the export counts as a created job");

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
    void exportsPerUser_theOneBeyondTheRateIs429WithRetryAfter_whileAnotherUserStillExports() {
        try (TestPod pod = TestPod.start(Map.of("herald.jobs.exports-per-minute", "2"))) {
            pod.publish("channel:rated", "note", "\"n\":1");
            String olga = pod.token("olga");
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> started = export(pod, olga, "channel:rated");
                assertEquals(202, started.statusCode(), "export " + (i + 1) + " of 2: " + started.body());
            }
            HttpResponse<String> limited = export(pod, olga, "channel:rated");
            assertError(limited, 429, "rate_limited");
            long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
            assertTrue(retryAfter >= 1 && retryAfter <= 30, "a token comes back within 30 s at 2/min: " + retryAfter);
            assertTrue(limited.body().contains("2 exports per minute"), limited.body());
            assertEquals(202, export(pod, pod.token("ivan"), "channel:rated").statusCode(), "another user's budget");
            assertEquals(1.0, pod.metric("herald_rate_limited_total", "reason=\"export\""));
        }
    }

    @Test
    void exportsPerUser_isOneBudgetForEveryPod_inClusteredMode() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(), "herald.jobs.exports-per-minute", "2");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                a.publish("channel:shared", "note", "\"n\":1");
                String olga = a.token("olga");
                assertEquals(202, export(a, olga, "channel:shared").statusCode());
                assertEquals(202, export(b, olga, "channel:shared").statusCode());
                assertError(export(a, olga, "channel:shared"), 429, "rate_limited");
                assertError(export(b, olga, "channel:shared"), 429, "rate_limited");
                assertEquals(202, export(b, b.token("ivan"), "channel:shared").statusCode());
            }
        }
    }

    @Test
    void resultsBeyondTheByteBudget_evictTheOldest_whichAnswers410_andTheNewestDownloadsWhole(@TempDir Path dir) {
        // each export below is 3 events of ~500 bytes; three of them do not fit in 4000 bytes, two do
        try (TestPod pod = TestPod.start(Map.of("herald.jobs.max-result-bytes", "4000",
                                                "herald.jobs.result-dir", dir.toString()))) {
            String pad = "x".repeat(450);
            for (String room : List.of("a", "b", "c", "huge")) {
                for (int n = 1; n <= (room.equals("huge") ? 10 : 3); n++) {
                    pod.publish("channel:budget-" + room, "note", "\"n\":" + n + ",\"pad\":\"" + pad + "\"");
                }
            }
            String olga = pod.token("olga");
            try (SseClient mine = pod.subscribe(HttpClient.Version.HTTP_1_1, olga, "user:olga")) {
                mine.awaitCursor(WAIT);
                String first = exportAndWait(pod, mine, olga, "channel:budget-a", 1);
                String second = exportAndWait(pod, mine, olga, "channel:budget-b", 2);
                assertEquals(200, download(pod, olga, first).statusCode(), "both fit");
                String third = exportAndWait(pod, mine, olga, "channel:budget-c", 3);

                HttpResponse<byte[]> evicted = download(pod, olga, first);
                assertEquals(410, evicted.statusCode());
                JsonNode error = TestPod.json(new String(evicted.body(), StandardCharsets.UTF_8));
                assertEquals("result_evicted", error.get("error").asText());
                assertEquals(200, download(pod, olga, second).statusCode(), "the second oldest is kept");

                HttpResponse<byte[]> newest = download(pod, olga, third);
                assertEquals(200, newest.statusCode());
                Path file = resultFile(dir, third);
                assertArrayEquals(Files.readAllBytes(file), newest.body(), "byte for byte the file");
                List<String> lines = new String(newest.body(), StandardCharsets.UTF_8).lines().toList();
                assertEquals(3, lines.size());
                for (int n = 1; n <= 3; n++) {
                    JsonNode line = TestPod.json(lines.get(n - 1));
                    assertEquals(n, line.get("n").asInt());
                    assertEquals(pad, line.get("pad").asText());
                    assertEquals("channel:budget-c", line.get("channel").asText());
                }
                assertEquals(1.0, pod.metric("herald_job_results_evicted_total", null));
                assertEquals((double) Files.size(file) + Files.size(resultFile(dir, second)),
                             pod.metric("herald_job_result_bytes", null), "the gauge shows what the disk holds");
                assertFalse(Files.exists(file.resolveSibling(first + ".ndjson")), "the evicted file is deleted");

                HttpResponse<String> huge = export(pod, olga, "channel:budget-huge");
                assertEquals(202, huge.statusCode());
                JsonNode failed = mine.awaitEvents("generation_failed", 1, WAIT).get(0);
                assertEquals(TestPod.json(huge.body()).get("jobId").asText(), failed.get("jobId").asText());
                assertEquals("the export is larger than this server keeps", failed.get("message").asText());
                assertEquals(200, download(pod, olga, second).statusCode(), "one that can never fit evicts nothing");
                assertEquals(200, download(pod, olga, third).statusCode());
                assertEquals(1.0, pod.metric("herald_job_results_evicted_total", null));
                try (Stream<Path> left = Files.list(file.getParent())) {
                    assertEquals(2, left.count(), "its partial file is deleted");
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void largeExports_areKeptInFilesNotTheHeap_andStreamedBackWhole_andTheFilesGoWithThePod(@TempDir Path dir)
            throws IOException {
        int events = 150;
        String pad = "y".repeat(50_000);
        Path results;
        try (TestPod pod = TestPod.start(Map.of("herald.events.max-bytes", "65536", "herald.history.size", "200",
                                                "herald.jobs.result-dir", dir.toString()))) {
            for (int n = 1; n <= events; n++) {
                pod.publish("channel:big", "note", "\"n\":" + n + ",\"pad\":\"" + pad + "\"");
            }
            String olga = pod.token("olga");
            try (SseClient mine = pod.subscribe(HttpClient.Version.HTTP_1_1, olga, "user:olga")) {
                mine.awaitCursor(WAIT);
                long heapBefore = heapAfterGc();
                List<String> jobIds = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> started = export(pod, olga, "channel:big");
                    assertEquals(202, started.statusCode(), started.body());
                    jobIds.add(TestPod.json(started.body()).get("jobId").asText());
                }
                mine.awaitEvents("generation_complete", 3, WAIT);
                long retained = heapAfterGc() - heapBefore;
                String jobId = jobIds.get(2);
                Path file = resultFile(dir, jobId);
                results = file.getParent();
                long size = Files.size(file);
                assertTrue(size > events * 50_000L, "the whole export is on disk: " + size);
                assertEquals(3.0 * size, pod.metric("herald_job_result_bytes", null), "and counted as on disk");
                // the old store kept each result as a byte[]: 3 x 7.5 MB retained
                assertTrue(retained < size, "three kept results retain " + retained + " bytes of heap, not "
                                            + 3 * size);

                HttpResponse<byte[]> download = download(pod, olga, jobId);
                assertEquals(200, download.statusCode());
                assertEquals(size, download.body().length);
                assertEquals(Long.toString(size), download.headers().firstValue("content-length").orElseThrow());
                assertArrayEquals(Files.readAllBytes(file), download.body());
                List<String> lines = new String(download.body(), StandardCharsets.UTF_8).lines().toList();
                assertEquals(events, lines.size());
                for (int n = 1; n <= events; n++) {
                    assertEquals(n, TestPod.json(lines.get(n - 1)).get("n").asInt());
                }
            }
        }
        assertFalse(Files.exists(results), "a stopped pod deletes its results directory");
    }

    /** Heap in use after full collections (G1 runs one per System.gc unless told not to). */
    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static HttpResponse<String> export(TestPod pod, String token, String channel) {
        return pod.post(HttpClient.Version.HTTP_1_1, "/api/jobs/export", token, "{\"channel\":\"" + channel + "\"}");
    }

    /** Starts an export and waits for its completion, the {@code nth} on the stream; returns the job id. */
    private static String exportAndWait(TestPod pod, SseClient stream, String token, String channel, int nth) {
        HttpResponse<String> started = export(pod, token, channel);
        assertEquals(202, started.statusCode(), started.body());
        String jobId = TestPod.json(started.body()).get("jobId").asText();
        JsonNode done = stream.awaitEvents("generation_complete", nth, WAIT).get(nth - 1);
        assertEquals(jobId, done.get("jobId").asText());
        return jobId;
    }

    private static HttpResponse<byte[]> download(TestPod pod, String token, String jobId) {
        HttpRequest request = HttpRequest.newBuilder(pod.uri("/api/jobs/" + jobId + "/result"))
                .header("Authorization", "Bearer " + token).build();
        try {
            return pod.client(HttpClient.Version.HTTP_1_1).send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The job's result file, in the results directory the pod made under {@code herald.jobs.result-dir}. */
    private static Path resultFile(Path dir, String jobId) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().equals(jobId + ".ndjson")).findFirst()
                    .orElseThrow(() -> new AssertionError("no result file for " + jobId + " under " + dir));
        }
    }

    private static void assertError(HttpResponse<String> res, int status, String error) {
        assertEquals(status, res.statusCode(), res.body());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("application/json"), res.body());
        JsonNode json = TestPod.json(res.body());
        assertEquals(error, json.get("error").asText(), res.body());
        assertFalse(json.get("message").asText().isBlank(), res.body());
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
