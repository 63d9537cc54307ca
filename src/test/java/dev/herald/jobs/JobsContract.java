package dev.herald.jobs;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user and a worker see of jobs (docs/api.md, docs/channels.md), whatever the mode: the worker talks plain HTTP
 * to {@link #workerPod()}, the user's stream is on {@link #userPod()} (the same pod embedded, two pods on one Redis
 * clustered). Each test uses users of its own.
 */
abstract class JobsContract {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    /** {@code herald.jobs.retention} of the pods under test. */
    static final String RETENTION = "PT3S";

    abstract TestPod workerPod();

    abstract TestPod userPod();

    /** A job created by a service: its id and worker token. */
    record Created(String jobId, String workerToken, JsonNode job) {
    }

    Created create(String userId, String extraFields) {
        TestPod pod = workerPod();
        HttpResponse<String> created = pod.post(H1, "/api/jobs", pod.serviceToken(),
                                                "{\"userId\":\"" + userId + "\",\"kind\":\"render\"" + extraFields + "}");
        assertEquals(201, created.statusCode(), created.body());
        JsonNode body = TestPod.json(created.body());
        assertEquals("/api/jobs/" + body.get("jobId").asText(),
                     created.headers().firstValue("location").orElseThrow());
        return new Created(body.get("jobId").asText(), body.get("workerToken").asText(), body.get("job"));
    }

    HttpResponse<String> report(Created job, String what, String json) {
        return workerPod().post(H1, "/api/jobs/" + job.jobId() + "/" + what, job.workerToken(), json);
    }

    /** The events of one job on a stream, in order. */
    static List<JsonNode> eventsOf(SseClient stream, String jobId) {
        List<JsonNode> events = new ArrayList<>();
        for (SseClient.Message message : stream.messages()) {
            if (message.data().contains(jobId)) {
                events.add(message.json());
            }
        }
        return events;
    }

    @Test
    void anExternalWorker_drivesAJobToCompletion_andTheUsersStreamSeesEveryStepInOrder() {
        String ann = userPod().token("ann");
        try (SseClient stream = userPod().subscribe(H1, ann, "user:ann")) {
            stream.awaitCursor(WAIT);
            double createdBefore = metricOrZero(workerPod(), "herald_jobs_created_total");
            Created job = create("ann", ",\"meta\":{\"title\":\"Intro\"}");
            assertEquals(createdBefore + 1, metricOrZero(workerPod(), "herald_jobs_created_total"));
            assertEquals("running", job.job().get("status").asText());
            assertEquals(1, job.job().get("version").asLong());
            assertEquals(200, report(job, "progress", "{\"progress\":10,\"message\":\"decoding\"}").statusCode());
            assertEquals(200, report(job, "progress", "{\"progress\":40.5}").statusCode());
            HttpResponse<String> same = report(job, "progress", "{\"progress\":40.5,\"message\":\"encoding\"}");
            assertEquals(200, same.statusCode(), "the same progress with news is no regression: " + same.body());
            HttpResponse<String> done = report(job, "complete", "{\"result\":{\"url\":\"/videos/1\"}}");
            assertEquals(200, done.statusCode(), done.body());

            stream.awaitEvents("generation_complete", 1, WAIT);
            List<JsonNode> events = eventsOf(stream, job.jobId());
            assertEquals(List.of("generation_started", "generation_progress", "generation_progress",
                                 "generation_progress", "generation_complete"),
                         events.stream().map(e -> e.get("type").asText()).toList());
            double progress = -1;
            for (int i = 0; i < events.size(); i++) {
                JsonNode event = events.get(i);
                assertEquals(i + 1, event.get("version").asLong(), "one version per step: " + event);
                assertTrue(event.get("progress").asDouble() >= progress, "progress never goes back: " + events);
                progress = event.get("progress").asDouble();
                assertEquals("Intro", event.get("meta").get("title").asText());
                assertEquals("ann", event.get("userId").asText());
                assertEquals("user:ann", event.get("channel").asText());
            }
            assertEquals("decoding", events.get(2).get("message").asText(), "a report without a message keeps it");
            assertEquals("encoding", events.get(3).get("message").asText());
            assertEquals(100, events.get(4).get("progress").asInt());
            assertEquals("/videos/1", events.get(4).get("result").get("url").asText());

            JsonNode state = TestPod.json(userPod().get(H1, "/api/jobs/" + job.jobId(), ann).body());
            assertEquals("complete", state.get("status").asText());
            assertEquals(5, state.get("version").asLong());
            assertEquals("/videos/1", state.get("result").get("url").asText());
            assertFalse(state.has("error"));
            assertEquals(state.get("updatedAt"), events.get(4).get("updatedAt"), "the state is the last event's");
        }
    }

    @Test
    void aRegressingOrLateReport_isRefusedWithItsCode_andChangesNothing() {
        String bea = userPod().token("bea");
        try (SseClient stream = userPod().subscribe(H1, bea, "user:bea")) {
            stream.awaitCursor(WAIT);
            Created job = create("bea", "");
            assertEquals(200, report(job, "progress", "{\"progress\":50}").statusCode());
            HttpResponse<String> back = report(job, "progress", "{\"progress\":30,\"message\":\"oops\"}");
            assertEquals(409, back.statusCode());
            assertEquals("progress_regressed", TestPod.json(back.body()).get("error").asText());
            assertEquals(200, report(job, "complete", "{}").statusCode());
            for (String late : List.of("progress", "complete", "fail")) {
                HttpResponse<String> refused = report(job, late, late.equals("progress") ? "{\"progress\":100}" : "{}");
                assertEquals(409, refused.statusCode(), late);
                assertEquals("job_finished", TestPod.json(refused.body()).get("error").asText());
            }
            stream.awaitEvents("generation_complete", 1, WAIT);
            // a marker after the refused reports: anything they published would be before it
            workerPod().publish("user:bea", "marker", "\"n\":1");
            stream.awaitEvents("marker", 1, WAIT);
            List<JsonNode> events = eventsOf(stream, job.jobId());
            assertEquals(3, events.size(), "started, 50, complete; nothing of the refused reports: " + events);
            JsonNode state = TestPod.json(userPod().get(H1, "/api/jobs/" + job.jobId(), bea).body());
            assertEquals(3, state.get("version").asLong());
            assertFalse(state.get("message").asText().contains("oops"));
        }
    }

    @Test
    void aWorkerThatStopsReporting_isFailedOnce_withWorkerLost_withinItsLeaseAndAFewSeconds() {
        String cid = userPod().token("cid");
        try (SseClient stream = userPod().subscribe(H1, cid, "user:cid")) {
            stream.awaitCursor(WAIT);
            double lostBefore = lost();
            Created job = create("cid", ",\"leaseSeconds\":2");
            assertEquals(200, report(job, "progress", "{\"progress\":20}").statusCode());
            long reported = System.nanoTime();
            JsonNode failed = stream.awaitEvents("generation_failed", 1, WAIT).get(0);
            double seconds = (System.nanoTime() - reported) / 1e9;
            assertTrue(seconds >= 1.9 && seconds < 2 + 3, "failed " + seconds + " s after the last report");
            assertEquals("worker_lost", failed.get("error").asText());
            assertEquals(20, failed.get("progress").asInt(), "the progress reached stays");
            assertEquals(job.jobId(), failed.get("jobId").asText());

            // another lost job later: every pod's sweeper has run again meanwhile, and the first stays failed once
            Created second = create("cid", ",\"leaseSeconds\":1");
            stream.await("the second job lost", WAIT, s -> eventsOf(s, second.jobId()).stream()
                    .anyMatch(e -> e.get("type").asText().equals("generation_failed")));
            assertEquals(2, stream.events("generation_failed").size(), "each lost job failed exactly once");
            HttpResponse<String> late = report(job, "progress", "{\"progress\":30}");
            assertEquals(409, late.statusCode());
            assertEquals("job_finished", TestPod.json(late.body()).get("error").asText());
            assertEquals(2, lost() - lostBefore, "herald_jobs_lost_total of the pods");
        }
    }

    @Test
    void eachReport_renewsTheLease() {
        String dan = userPod().token("dan");
        try (SseClient stream = userPod().subscribe(H1, dan, "user:dan")) {
            stream.awaitCursor(WAIT);
            Created job = create("dan", ",\"leaseSeconds\":2");
            long start = System.nanoTime();
            // reports one after the other (each waits for its own event) for 5 s: more than twice the lease
            for (int p = 1; System.nanoTime() - start < Duration.ofSeconds(5).toNanos(); p++) {
                HttpResponse<String> report = report(job, "progress", "{\"progress\":" + Math.min(p, 100) + "}");
                assertEquals(200, report.statusCode(), "report " + p + " refused: the lease ended under a live "
                                                       + "worker: " + report.body());
                int reported = p;
                stream.await("progress " + p, WAIT, s -> eventsOf(s, job.jobId()).size() > reported);
            }
            assertEquals(200, report(job, "complete", "{}").statusCode());
            assertTrue(stream.events("generation_failed").isEmpty(), "no job was lost");
        }
    }

    @Test
    void aStreamOpenedMidJob_startsWithTheJobsState_thenLiveEvents() {
        String eve = userPod().token("eve");
        Created job = create("eve", "");
        assertEquals(200, report(job, "progress", "{\"progress\":60,\"message\":\"rendering\"}").statusCode());
        Created finished = create("eve", "");
        assertEquals(200, report(finished, "complete", "{}").statusCode());
        try (SseClient late = SseClient.open(userPod().client(H1),
                                             userPod().uri("/api/events?channel=user:eve&channel=channel:news&jobs&ready"),
                                             Map.of("Authorization", "Bearer " + eve))) {
            late.awaitEvents("ready", 1, WAIT);
            List<SseClient.Message> first = late.messages();
            JsonNode state = first.get(0).json();
            assertEquals("job_state", state.get("type").asText(), "the state comes first: " + first);
            assertEquals(job.jobId(), state.get("jobId").asText());
            assertEquals(60, state.get("progress").asInt());
            assertEquals("rendering", state.get("message").asText());
            assertEquals("running", state.get("status").asText());
            assertEquals(1, late.events("job_state").size(), "only running jobs: " + first);
            JsonNode ready = late.events("ready").get(0);
            assertEquals(1, ready.get("jobs").size(), ready.toString());
            assertEquals(job.jobId(), ready.get("jobs").get(0).asText());

            assertEquals(200, report(job, "progress", "{\"progress\":70}").statusCode());
            JsonNode next = late.awaitEvents("generation_progress", 1, WAIT).get(0);
            assertEquals(70, next.get("progress").asInt());
            assertEquals(state.get("version").asLong() + 1, next.get("version").asLong());
        }
    }

    @Test
    void concurrentReports_eachAcceptedOneGetsOneVersionAndOneEvent_andProgressNeverGoesBack() throws Exception {
        String jo = userPod().token("jo");
        try (SseClient stream = userPod().subscribe(H1, jo, "user:jo")) {
            stream.awaitCursor(WAIT);
            Created job = create("jo", "");
            int threads = 8;
            List<Integer> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> versions = java.util.Collections.synchronizedList(new ArrayList<>());
            List<java.util.concurrent.Future<?>> reporters = new ArrayList<>();
            try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
                    .newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < threads; t++) {
                    int first = t;
                    reporters.add(pool.submit(() -> {
                        // interleaved values: the threads race and many reports arrive after a higher one
                        for (int p = first; p <= 100; p += threads) {
                            HttpResponse<String> answer = report(job, "progress", "{\"progress\":" + p + "}");
                            if (answer.statusCode() == 200) {
                                accepted.add(p);
                                versions.add(TestPod.json(answer.body()).get("version").asLong());
                            } else {
                                assertEquals(409, answer.statusCode(), answer.body());
                                assertEquals("progress_regressed", TestPod.json(answer.body()).get("error").asText());
                            }
                        }
                        return null;
                    }));
                }
            }
            for (java.util.concurrent.Future<?> reporter : reporters) {
                reporter.get();
            }
            assertEquals(200, report(job, "complete", "{}").statusCode());
            stream.await("the job's end", WAIT, s -> eventsOf(s, job.jobId()).stream()
                    .anyMatch(e -> e.get("type").asText().equals("generation_complete")));
            List<JsonNode> events = eventsOf(stream, job.jobId());
            assertEquals(accepted.size() + 2, events.size(), "one event per accepted report, plus start and end");
            assertEquals(accepted.size(), new java.util.HashSet<>(versions).size(), "no two answers share a version");
            double progress = -1;
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i + 1, events.get(i).get("version").asLong(), "versions in event order: " + events);
                assertTrue(events.get(i).get("progress").asDouble() >= progress, "went back: " + events);
                progress = events.get(i).get("progress").asDouble();
            }
        }
    }

    @Test
    void streamsOpenedWhileAWorkerReports_getTheStateThenEveryLaterStep_noneTwiceNoneMissing() throws Exception {
        String kim = userPod().token("kim");
        Created job = create("kim", "");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<SseClient> streams = new ArrayList<>();
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
                .newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Future<?> worker = pool.submit(() -> {
                for (int step = 1; step <= 400; step++) {
                    assertEquals(200, report(job, "progress", "{\"progress\":" + step / 4.0 + "}").statusCode());
                }
                done.set(true);
                return null;
            });
            while (!done.get() && streams.size() < 15) { // the per-user cap is 20
                streams.add(SseClient.open(userPod().client(H1), userPod().uri("/api/events?channel=user:kim&jobs"),
                                           Map.of("Authorization", "Bearer " + kim)));
                streams.get(streams.size() - 1).awaitCursor(WAIT);
            }
            worker.get();
        }
        assertEquals(200, report(job, "complete", "{}").statusCode());
        try {
            assertTrue(streams.size() >= 3, "streams opened while the worker reported: " + streams.size());
            for (SseClient stream : streams) {
                stream.awaitEvents("generation_complete", 1, WAIT);
                List<JsonNode> seen = eventsOf(stream, job.jobId());
                long version = seen.get(0).get("version").asLong();
                assertEquals("job_state", seen.get(0).get("type").asText());
                for (JsonNode event : seen.subList(1, seen.size())) {
                    assertEquals(++version, event.get("version").asLong(),
                                 "after the state, each later step once and in order: " + seen);
                }
            }
        } finally {
            streams.forEach(SseClient::close);
        }
    }

    @Test
    void aFinishedJob_isKeptForTheRetention_thenGone_whileARunningOneStays() {
        String lea = userPod().token("lea");
        Created finished = create("lea", "");
        Created running = create("lea", ",\"leaseSeconds\":60");
        assertEquals(200, report(finished, "complete", "{\"result\":1}").statusCode());
        assertEquals(200, userPod().get(H1, "/api/jobs/" + finished.jobId(), lea).statusCode());
        Await.until("the finished job gone after the retention (" + RETENTION + ")", WAIT,
                    () -> userPod().get(H1, "/api/jobs/" + finished.jobId(), lea).statusCode() == 404);
        JsonNode all = TestPod.json(userPod().get(H1, "/api/jobs", lea).body());
        assertEquals(List.of(running.jobId()), all.get("jobs").findValuesAsText("jobId"));
        assertEquals(200, report(running, "progress", "{\"progress\":1}").statusCode());
    }

    @Test
    void otherEventsNamingARunningJob_stillReachAStreamWithJobs() {
        String max = userPod().token("max");
        Created job = create("max", "");
        assertEquals(200, report(job, "progress", "{\"progress\":10}").statusCode());
        try (SseClient stream = SseClient.open(userPod().client(H1), userPod().uri("/api/events?channel=user:max&jobs"),
                                               Map.of("Authorization", "Bearer " + max))) {
            stream.awaitCursor(WAIT);
            // an application's own event about the job, and a worker's hand-made progress event (no version)
            workerPod().publish("user:max", "job_comment", "\"jobId\":\"" + job.jobId() + "\"");
            workerPod().publish("user:max", "generation_progress",
                                "\"jobId\":\"" + job.jobId() + "\",\"progress\":11");
            stream.awaitEvents("job_comment", 1, WAIT);
            stream.awaitEvents("generation_progress", 1, WAIT);
        }
    }

    @Test
    void progressIsKeptToSixDecimals_soEveryReaderSeesTheSameNumber() {
        Created job = create("ned", "");
        JsonNode tiny = TestPod.json(report(job, "progress", "{\"progress\":5e-324}").body());
        assertEquals("0", tiny.get("progress").toString());
        JsonNode third = TestPod.json(report(job, "progress", "{\"progress\":33.33333333333333}").body());
        assertEquals("33.333333", third.get("progress").toString());
        JsonNode almost = TestPod.json(report(job, "progress", "{\"progress\":99.99999999999999}").body());
        assertEquals("100", almost.get("progress").toString());
        JsonNode state = TestPod.json(userPod().get(H1, "/api/jobs/" + job.jobId(), userPod().token("ned")).body());
        assertEquals("100", state.get("progress").toString());
    }

    @Test
    void aHundredRunningJobsIsTheCap_andListsShowTheNewestPageAcrossFinishedOnes() {
        String ola = userPod().token("ola");
        List<Created> jobs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            jobs.add(create("ola", ""));
        }
        HttpResponse<String> refused = workerPod().post(H1, "/api/jobs", workerPod().serviceToken(),
                                                        "{\"userId\":\"ola\",\"kind\":\"render\"}");
        assertError(refused, 429, "the 101st running job");
        assertEquals("too_many_jobs", TestPod.json(refused.body()).get("error").asText());
        assertTrue(refused.headers().firstValue("retry-after").isPresent());
        for (Created job : jobs.subList(0, 60)) {
            assertEquals(200, report(job, "complete", "{}").statusCode());
        }
        for (int i = 0; i < 20; i++) {
            jobs.add(create("ola", ""));
        }
        List<String> all = TestPod.json(userPod().get(H1, "/api/jobs", ola).body()).get("jobs")
                .findValuesAsText("jobId");
        assertEquals(100, all.size(), "a list holds 100");
        assertEquals(jobs.get(119).jobId(), all.get(0), "newest first");
        assertEquals(jobs.get(20).jobId(), all.get(99));
        assertEquals(60, TestPod.json(userPod().get(H1, "/api/jobs?status=complete", ola).body()).get("jobs").size());
        List<String> running = TestPod.json(userPod().get(H1, "/api/jobs?status=running", ola).body()).get("jobs")
                .findValuesAsText("jobId");
        List<String> expected = new ArrayList<>(jobs.subList(60, 120).stream().map(Created::jobId).toList());
        java.util.Collections.reverse(expected);
        assertEquals(expected, running, "running jobs newest first, even those created in the same millisecond");
    }

    @Test
    void jobsNeedTheUsersOwnChannel_andAUserStream() {
        String fay = userPod().token("fay");
        assertEquals(400, userPod().get(H1, "/api/events?channel=channel:news&jobs", fay).statusCode());
        assertEquals(400, userPod().get(H1, "/api/events?channel=user:fay&jobs", userPod().serviceToken())
                .statusCode());
    }

    @Test
    void whoMayDoWhat_workerTokensOnlyTheirJob_usersOnlyTheirs() {
        String gil = userPod().token("gil");
        Created mine = create("gil", "");
        Created other = create("hal", "");
        TestPod pod = workerPod();
        // a worker token reports on its own job only, reads only it, and opens nothing else
        HttpResponse<String> crossed = pod.post(H1, "/api/jobs/" + other.jobId() + "/progress", mine.workerToken(),
                                                "{\"progress\":5}");
        assertEquals(403, crossed.statusCode(), crossed.body());
        assertEquals(200, pod.get(H1, "/api/jobs/" + mine.jobId(), mine.workerToken()).statusCode());
        assertEquals(404, pod.get(H1, "/api/jobs/" + other.jobId(), mine.workerToken()).statusCode());
        double refusedBefore = pod.metric("herald_auth_failures_total", "reason=\"worker_token\"");
        assertEquals(401, pod.post(H1, "/api/publish", mine.workerToken(),
                                   "{\"channel\":\"user:gil\",\"type\":\"x\"}").statusCode());
        assertEquals(refusedBefore + 1, pod.metric("herald_auth_failures_total", "reason=\"worker_token\""),
                     "a worker token off its job's routes is counted");
        assertEquals(401, pod.get(H1, "/api/events?channel=user:gil", mine.workerToken()).statusCode());
        assertEquals(401, pod.get(H1, "/api/jobs", mine.workerToken()).statusCode(), "not a route of its job");
        assertEquals(403, pod.post(H1, "/api/jobs/" + mine.jobId() + "/progress", "hjw_forged",
                                   "{\"progress\":5}").statusCode(), "a forged worker token");
        // a user neither creates nor reports, and reads only their own jobs
        assertEquals(403, pod.post(H1, "/api/jobs", gil, "{\"userId\":\"gil\",\"kind\":\"k\"}").statusCode());
        assertEquals(403, pod.post(H1, "/api/jobs/" + mine.jobId() + "/complete", gil, "{}").statusCode());
        assertEquals(200, pod.get(H1, "/api/jobs/" + mine.jobId(), gil).statusCode());
        assertEquals(404, pod.get(H1, "/api/jobs/" + other.jobId(), gil).statusCode());
        assertEquals(401, pod.get(H1, "/api/jobs/" + mine.jobId(), null).statusCode());
        // lists: the user's own; a service names the user
        JsonNode list = TestPod.json(pod.get(H1, "/api/jobs?status=running", gil).body());
        assertEquals(List.of(mine.jobId()), list.get("jobs").findValuesAsText("jobId"));
        assertEquals(403, pod.get(H1, "/api/jobs?userId=hal", gil).statusCode());
        assertEquals(400, pod.get(H1, "/api/jobs", pod.serviceToken()).statusCode());
        JsonNode hal = TestPod.json(pod.get(H1, "/api/jobs?userId=hal", pod.serviceToken()).body());
        assertEquals(List.of(other.jobId()), hal.get("jobs").findValuesAsText("jobId"));
        assertEquals(200, report(mine, "fail", "{\"error\":\"bad_input\",\"message\":\"no frames\"}").statusCode());
        JsonNode failed = TestPod.json(pod.get(H1, "/api/jobs?status=failed", gil).body()).get("jobs").get(0);
        assertEquals("bad_input", failed.get("error").asText());
        assertEquals("no frames", failed.get("message").asText());
        assertTrue(TestPod.json(pod.get(H1, "/api/jobs?status=running", gil).body()).get("jobs").isEmpty());
    }

    @Test
    void badInput_getsAClearJsonError_andHarmsNoOne() {
        TestPod pod = workerPod();
        String service = pod.serviceToken();
        Created job = create("ida", "");
        Map<String, Integer> creates = Map.of(
                "{}", 400,
                "{\"userId\":\"ida\"}", 400,
                "{\"userId\":\"ida\",\"kind\":\"has space\"}", 400,
                "{\"userId\":\"ida\",\"kind\":\"k\",\"leaseSeconds\":0}", 400,
                "{\"userId\":\"ida\",\"kind\":\"k\",\"leaseSeconds\":3601}", 400,
                "{\"userId\":\"ida\",\"kind\":\"k\",\"leaseSeconds\":\"60\"}", 400,
                "{\"userId\":\"ida\",\"kind\":\"k\",\"meta\":[1]}", 400,
                "{\"userId\":\"ida\",\"kind\":\"k\",\"meta\":{\"a\":\"" + "x".repeat(3000) + "\"}}", 413,
                "{\"userId\":\"\",\"kind\":\"k\"}", 400);
        creates.forEach((body, status) -> assertError(pod.post(H1, "/api/jobs", service, body), status, body));
        Map<String, Integer> progress = Map.of(
                "{\"progress\":101}", 400,
                "{\"progress\":-1}", 400,
                "{\"progress\":\"50\"}", 400,
                "{}", 400,
                "{\"progress\":5,\"message\":\"" + "m".repeat(501) + "\"}", 400,
                "{\"progress\":5,\"message\":7}", 400);
        progress.forEach((body, status) -> assertError(report(job, "progress", body), status, body));
        assertError(report(job, "fail", "{\"error\":\"Not A Code\"}"), 400, "error code");
        assertError(report(job, "complete", "{\"result\":\"" + "r".repeat(9000) + "\"}"), 413, "result");
        assertError(pod.post(H1, "/api/jobs/nope/progress", service, "{\"progress\":1}"), 404, "unknown id");
        assertError(pod.post(H1, "/api/jobs/AAAAAAAAAAAAAAAAAAAA.ida/progress", service, "{\"progress\":1}"), 404,
                    "a well-formed id of no job");
        assertError(pod.get(H1, "/api/jobs/%2e%2e", service), 404, "dots");
        assertError(pod.get(H1, "/api/jobs?status=lost", userPod().token("ida")), 400, "status");
        // the job is untouched by all of that
        JsonNode state = TestPod.json(pod.get(H1, "/api/jobs/" + job.jobId(), service).body());
        assertEquals(1, state.get("version").asLong(), state.toString());
    }

    static void assertError(HttpResponse<String> response, int status, String what) {
        assertEquals(status, response.statusCode(), what + ": " + response.body());
        JsonNode body = TestPod.json(response.body());
        assertTrue(body.get("error").isTextual() && body.get("message").isTextual(), what + ": " + response.body());
        assertFalse(response.body().contains("Exception") || response.body().contains("at dev."), response.body());
    }

    /** herald_jobs_lost_total summed over the pods under test. */
    double lost() {
        double sum = metricOrZero(workerPod(), "herald_jobs_lost_total");
        if (userPod() != workerPod()) {
            sum += metricOrZero(userPod(), "herald_jobs_lost_total");
        }
        return sum;
    }

    static double metricOrZero(TestPod pod, String name) {
        double value = pod.metric(name, null);
        return Double.isNaN(value) ? 0 : value;
    }
}
