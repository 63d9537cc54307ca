package dev.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Jobs through the Java client against real pods: a backend creates a job, a worker holding only its worker token
 * reports, and the user's stream sees each state the worker was answered; reports whose answers were lost are
 * retried into one effect; refusals carry the server's codes; a create is never sent twice.
 */
class JobsClientTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;

    record Output(String url, int frames) {
    }

    @Test
    void aWorkerWithOnlyItsToken_drivesAJobToCompletionOnPodA_andTheUsersStreamOnPodB_seesEachStateItWasAnswered()
            throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod a = TestPod.start(Map.of("herald.redis.url", redis.url()));
             TestPod b = TestPod.start(Map.of("herald.redis.url", redis.url()));
             HeraldClient backend = client(a.port()).token(a::serviceToken).build();
             HeraldClient workerProcess = client(a.port()).build();
             SseClient ann = b.subscribe(H1, b.token("ann"), "user:ann")) {
            ann.awaitCursor(WAIT);
            CreatedJob created = backend.createJob("ann", "render", Duration.ofSeconds(30), Map.of("title", "Intro"));
            Job first = created.job();
            assertEquals(Job.Status.RUNNING, first.status());
            assertEquals(1, first.version());
            assertEquals(0, first.progress());
            assertEquals("Intro", first.meta().orElseThrow().get("title").asText());
            assertTrue(created.workerToken().startsWith("hjw_"));
            assertFalse(created.toString().contains(created.workerToken()), "the token stays out of logs");

            JobWorker worker = workerProcess.worker(created.jobId(), created.workerToken());
            List<Job> answered = new ArrayList<>(List.of(first));
            answered.add(worker.progress(10, "decoding"));
            answered.add(worker.progress(40.5));
            answered.add(worker.progress(40.5, "encoding"));
            answered.add(worker.complete(new Output("/videos/1", 240)));

            ann.awaitEvents("generation_complete", 1, WAIT);
            List<JsonNode> events = eventsOf(ann, created.jobId());
            assertEquals(List.of("generation_started", "generation_progress", "generation_progress",
                                 "generation_progress", "generation_complete"),
                         events.stream().map(e -> e.get("type").asText()).toList());
            assertEquals(answered, events.stream().map(Job::fromJson).toList(), "each step as the worker was answered");
            Job done = answered.getLast();
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), answered.stream().map(Job::version).toList());
            assertEquals(List.of(0.0, 10.0, 40.5, 40.5, 100.0), answered.stream().map(Job::progress).toList());
            assertEquals("decoding", answered.get(2).message(), "a report without a message keeps the last one");
            assertEquals(Optional.of(new Output("/videos/1", 240)), done.result(Output.class));
            assertTrue(done.finished() && done.error().isEmpty());

            assertEquals(done, worker.job(), "the worker reads its job");
            assertEquals(done, backend.job(created.jobId()));
            assertEquals(List.of(done), backend.jobs("ann", Job.Status.COMPLETE));
            assertEquals(List.of(), backend.jobs("ann", Job.Status.RUNNING));
            assertEquals(List.of(done), backend.jobs("ann", null));
        }
    }

    /**
     * The pod completes the job, then the answer is lost: the retry is refused {@code job_finished}, and since the
     * job is complete the call succeeds, with the job as it is; the user saw one {@code generation_complete}. The
     * same for a fail with its code.
     */
    @Test
    void aCompleteOrFailWhoseAnswerWasLost_isRetried_succeedsOnce() throws Exception {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient bob = pod.subscribe(H1, pod.token("bob"), "user:bob")) {
            bob.awaitCursor(WAIT);
            CreatedJob completed = pod.client().createJob("bob", "export", null, null);
            CreatedJob failed = pod.client().createJob("bob", "export", null, null);
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 1);
                 HeraldClient worker = client(proxy.port()).onRetry(retries::add).build()) {
                Job done = worker.worker(completed.jobId(), completed.workerToken()).complete(Map.of("rows", 12));
                assertEquals(Job.Status.COMPLETE, done.status());
                assertEquals(12, done.result().orElseThrow().get("rows").asInt());
                assertEquals(2, done.version());
                assertEquals(1, proxy.withheld().size());
                assertTrue(proxy.withheld().getFirst().startsWith("HTTP/1.1 200"), proxy.withheld().getFirst());
                assertEquals(List.of("unreachable"), retries.stream().map(RetryEvent::error).toList());
            }
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 1);
                 HeraldClient worker = client(proxy.port()).build()) {
                Job down = worker.worker(failed.jobId(), failed.workerToken()).fail("bad_input", "no rows");
                assertEquals(Job.Status.FAILED, down.status());
                assertEquals(Optional.of("bad_input"), down.error());
                assertEquals("no rows", down.message());
                assertEquals(1, proxy.withheld().size());
            }
            pod.publish("user:bob", "marker", "");
            bob.awaitEvents("marker", 1, WAIT);
            assertEquals(List.of(completed.jobId()), bob.events("generation_complete").stream()
                    .map(e -> e.get("jobId").asText()).toList(), "one complete");
            assertEquals(List.of(failed.jobId()), bob.events("generation_failed").stream()
                    .map(e -> e.get("jobId").asText()).toList(), "one fail");
        }
    }

    /**
     * Progress 50 lands but its answer is lost; before the retry a later report takes the job to 70: the retry is
     * refused {@code progress_regressed}, and since the job runs at 70 (at least 50) the call returns that state.
     * The same regression on a first attempt is the caller's and is thrown.
     */
    @Test
    void aRetriedProgressOvertakenByAHigherOne_returnsTheJobAsItIs_butAFirstAttemptsRegressionIsThrown()
            throws Exception {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient cid = pod.subscribe(H1, pod.token("cid"), "user:cid")) {
            cid.awaitCursor(WAIT);
            CreatedJob created = pod.client().createJob("cid", "render", null, null);
            JobWorker other = pod.client().worker(created.jobId());
            AtomicBoolean overtaken = new AtomicBoolean();
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 1);
                 HeraldClient worker = client(proxy.port()).onRetry(r -> {
                     if (overtaken.compareAndSet(false, true)) {
                         other.progress(70, "overtaken");
                     }
                 }).build()) {
                Job now = worker.worker(created.jobId(), created.workerToken()).progress(50, "half");
                assertTrue(overtaken.get());
                assertEquals(Job.Status.RUNNING, now.status());
                assertEquals(70, now.progress());
                assertEquals("overtaken", now.message());
                assertEquals(3, now.version());
            }
            JobWorker worker = pod.client().worker(created.jobId(), created.workerToken());
            HeraldException back = refused(409, "progress_regressed", () -> worker.progress(60));
            assertTrue(back.getMessage().contains("70"), back.getMessage());
            pod.publish("user:cid", "marker", "");
            cid.awaitEvents("marker", 1, WAIT);
            assertEquals(List.of(0, 50, 70), eventsOf(cid, created.jobId()).stream()
                    .map(e -> e.get("progress").asInt()).toList());
        }
    }

    @Test
    void refusals_carryTheServersCodes_atOnce() throws Exception {
        try (TestPod pod = TestPod.start(Map.of());
             SseClient dan = pod.subscribe(H1, pod.token("dan"), "user:dan")) {
            dan.awaitCursor(WAIT);
            List<RetryEvent> retries = new CopyOnWriteArrayList<>();
            try (HeraldClient service = client(pod.port()).token(pod.serviceToken()).onRetry(retries::add).build();
                 HeraldClient user = client(pod.port()).token(pod.token("dan")).onRetry(retries::add).build();
                 HeraldClient anonymous = client(pod.port()).onRetry(retries::add).build()) {
                refused(403, "forbidden", () -> user.createJob("dan", "render", null, null));
                refused(401, "unauthorized", () -> anonymous.createJob("dan", "render", null, null));
                refused(400, "bad_request", () -> service.createJob("dan", "has space", null, null));
                refused(400, "bad_request", () -> service.createJob("dan", "render", Duration.ZERO, null));
                refused(413, "payload_too_large", () -> service.createJob("dan", "render", null,
                                                                           Map.of("a", "x".repeat(3000))));
                assertThrows(IllegalArgumentException.class,
                             () -> service.createJob("dan", "render", Duration.ofMillis(1500), null));

                CreatedJob mine = service.createJob("dan", "render", null, null);
                CreatedJob other = service.createJob("eve", "render", null, null);
                JobWorker crossed = anonymous.worker(other.jobId(), mine.workerToken());
                refused(403, "forbidden", () -> crossed.progress(5));
                refused(403, "forbidden", () -> anonymous.worker(mine.jobId(), "hjw_forged").progress(5));
                refused(403, "forbidden", () -> user.worker(mine.jobId()).complete(null));
                refused(404, "not_found", () -> service.worker("AAAAAAAAAAAAAAAAAAAA.dan").progress(5));
                refused(404, "not_found", () -> service.job("AAAAAAAAAAAAAAAAAAAA.dan"));

                JobWorker worker = anonymous.worker(mine.jobId(), mine.workerToken());
                refused(400, "bad_request", () -> worker.fail("Not A Code", null));
                refused(400, "bad_request", () -> worker.progress(5, "m".repeat(501)));
                assertThrows(IllegalArgumentException.class, () -> worker.progress(101));
                assertThrows(IllegalArgumentException.class, () -> worker.progress(Double.NaN));
                worker.progress(30);
                refused(409, "progress_regressed", () -> worker.progress(20));
                Job failed = worker.fail(null, null);
                assertEquals(Optional.of("failed"), failed.error(), "the server's default code");
                assertEquals("the job failed", failed.message());
                refused(409, "job_finished", () -> worker.progress(40));
                refused(409, "job_finished", () -> worker.complete(null));
                refused(409, "job_finished", () -> worker.fail(null, null)); // its own end, but not a retry
                assertEquals(List.of(), retries, "no refusal is retried");

                // a lease that runs out: the worker learns it from its next report
                CreatedJob lost = service.createJob("dan", "render", Duration.ofSeconds(1), null);
                dan.await("the job lost", WAIT, s -> eventsOf(s, lost.jobId()).stream()
                        .anyMatch(e -> e.get("type").asText().equals("generation_failed")));
                JobWorker late = anonymous.worker(lost.jobId(), lost.workerToken());
                refused(409, "job_finished", () -> late.progress(10));
                assertEquals(Optional.of("worker_lost"), late.job().error());
            }
        }
    }

    /**
     * A create whose answer was lost is not sent again (the job exists, once, without a worker); one that could not
     * connect is, since nothing was sent.
     */
    @Test
    void aCreateWhoseAnswerWasLost_isNotRetried_butOneThatCouldNotConnectIs() throws Exception {
        try (TestPod pod = TestPod.start(Map.of())) {
            try (DroppingProxy proxy = DroppingProxy.start(pod.port(), 1);
                 HeraldClient service = client(proxy.port()).token(pod.serviceToken()).build()) {
                HeraldException lost = assertThrows(HeraldException.class,
                                                    () -> service.createJob("fay", "render", null, null));
                assertEquals("unreachable", lost.error());
                assertEquals(1, lost.attempts());
                assertTrue(lost.retryable());
                assertTrue(proxy.withheld().getFirst().startsWith("HTTP/1.1 201"), proxy.withheld().getFirst());
            }
            assertEquals(1, pod.client().jobs("fay", Job.Status.RUNNING).size(), "created once");

            int closed;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closed = socket.getLocalPort();
            }
            try (HeraldClient nowhere = client(closed).token(pod.serviceToken()).build()) {
                HeraldException refused = assertThrows(HeraldException.class,
                                                       () -> nowhere.createJob("fay", "render", null, null));
                assertEquals("unreachable", refused.error());
                assertEquals(3, refused.attempts(), "nothing was sent: tried again");
            }
        }
    }

    /** The events of one job on a stream, in order. */
    private static List<JsonNode> eventsOf(SseClient stream, String jobId) {
        List<JsonNode> events = new ArrayList<>();
        for (SseClient.Message message : stream.messages()) {
            if (message.data().contains(jobId)) {
                events.add(message.json());
            }
        }
        return events;
    }

    private static HeraldClient.Builder client(int port) {
        return HeraldClient.builder(URI.create("http://127.0.0.1:" + port))
                .retries(3, Duration.ofMillis(20), Duration.ofMillis(100));
    }

    private static HeraldException refused(int status, String error, Runnable call) {
        HeraldException e = assertThrows(HeraldException.class, call::run);
        assertEquals(status, e.status(), e.getMessage());
        assertEquals(error, e.error(), e.getMessage());
        assertEquals(1, e.attempts(), e.getMessage());
        return e;
    }
}
