package dev.herald.jobs;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static dev.herald.jobs.JobsContract.H1;
import static dev.herald.jobs.JobsContract.WAIT;
import static dev.herald.jobs.JobsContract.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Jobs when Redis fails: what is stored and for how long, outages longer than a lease, a restore that lost them. */
class JobsRedisFaultsTest {

    /** The contract's helpers on one pod. */
    private static final class On extends JobsContract {
        private final TestPod pod;

        On(TestPod pod) {
            this.pod = pod;
        }

        @Override
        TestPod workerPod() {
            return pod;
        }

        @Override
        TestPod userPod() {
            return pod;
        }
    }

    @Test
    void aJobsStateLivesInRedisWithTtls_andItsLeaseEntryGoesOnceItFinished() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.jobs.retention", "PT30S"))) {
            On on = new On(pod);
            JobsContract.Created job = on.create("ann", ",\"leaseSeconds\":2");
            String hash = "realtime:job:{user:ann}:" + job.jobId();
            long running = Long.parseLong(redis.command("PTTL", hash));
            assertTrue(running > 30_000 && running <= 32_000, "a running job lives its lease and the retention: " + running);
            assertTrue(Long.parseLong(redis.command("PTTL", "realtime:jobs:{user:ann}")) > 0, "the index expires");
            assertTrue(Long.parseLong(redis.command("PTTL", "realtime:jobs:{user:ann}:running")) > 0);
            assertTrue(redis.command("ZSCORE", "realtime:jobs:leases", job.jobId()) != null, "indexed for sweepers");
            assertEquals(200, on.report(job, "complete", "{}").statusCode());
            long finished = Long.parseLong(redis.command("PTTL", hash));
            assertTrue(finished > 0 && finished <= 30_000, "a finished job lives the retention: " + finished);
            assertEquals("0", redis.command("EXISTS", "realtime:jobs:{user:ann}:running"), "no running job left");
            assertEquals(null, redis.command("ZSCORE", "realtime:jobs:leases", job.jobId()),
                         "a finished job leaves the sweepers' index at once");
            // one whose worker was lost leaves it too, once a sweep failed it
            JobsContract.Created lost = on.create("ann", ",\"leaseSeconds\":1");
            Await.until("the lost job's lease entry dropped by the sweep that failed it", WAIT,
                        () -> command(redis, "ZSCORE", "realtime:jobs:leases", lost.jobId()) == null);
            assertEquals("failed", TestPod.json(pod.get(H1, "/api/jobs/" + lost.jobId(), pod.serviceToken()).body())
                    .get("status").asText());
            assertTrue(redis.command("KEYS", "*").contains(hash), "the finished job itself stays readable");
        }
    }

    @Test
    void aRunningSetFullOfGhosts_fromALostWriteOrARestore_doesNotRefuseTheUser() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            On on = new On(pod);
            for (int i = 0; i < JobStore.MAX_RUNNING_PER_USER; i++) {
                redis.command("SADD", "realtime:jobs:{user:gus}:running", "AAAAAAAAAAAAAAAAAA" + (10 + i) + ".gus");
            }
            JobsContract.Created job = on.create("gus", "");
            assertEquals("1", redis.command("SCARD", "realtime:jobs:{user:gus}:running"), "the ghosts were dropped");
            assertEquals(200, on.report(job, "complete", "{}").statusCode());
        }
    }

    @Test
    void anOutageLongerThanTheLease_failsTheSilentJobOnceAfterwards_andKeepsTheOneWhoseWorkerComesBack()
            throws Exception {
        try (RedisProcess redis = RedisProcess.start(true);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            On on = new On(pod);
            String bea = pod.token("bea");
            try (SseClient stream = pod.subscribe(H1, bea, "user:bea")) {
                stream.awaitCursor(WAIT);
                JobsContract.Created silent = on.create("bea", ",\"leaseSeconds\":2");
                JobsContract.Created patient = on.create("bea", ",\"leaseSeconds\":60");
                assertEquals(200, on.report(silent, "progress", "{\"progress\":30}").statusCode());
                long deadline = System.currentTimeMillis() + 2000;
                redis.kill();
                HttpResponse<String> down = on.report(patient, "progress", "{\"progress\":10}");
                assertError(down, 503, "a report while Redis is down");
                assertError(pod.post(H1, "/api/jobs", pod.serviceToken(), "{\"userId\":\"bea\",\"kind\":\"k\"}"), 503,
                            "a create while Redis is down");
                // the outage outlasts the silent job's lease
                Await.until("the silent job's lease to pass during the outage", WAIT,
                            () -> System.currentTimeMillis() > deadline + 1000);
                redis.restart();
                JsonNode lost = stream.awaitEvents("generation_failed", 1, WAIT).get(0);
                assertEquals(silent.jobId(), lost.get("jobId").asText());
                assertEquals("worker_lost", lost.get("error").asText());
                assertEquals(30, lost.get("progress").asInt(), "the state from before the outage, not older");
                HttpResponse<String> back = on.report(patient, "progress", "{\"progress\":10}");
                assertEquals(200, back.statusCode(), "the patient job survived: " + back.body());
                assertEquals(2, TestPod.json(back.body()).get("version").asLong());
                // a later marker: every sweep since had its chance to fail the silent job again
                JobsContract.Created marker = on.create("bea", ",\"leaseSeconds\":1");
                stream.await("the marker job lost too", WAIT, s -> JobsContract.eventsOf(s, marker.jobId()).size() == 2);
                assertEquals(2, stream.events("generation_failed").size(), "the silent job failed once: "
                                                                            + stream.events("generation_failed"));
            }
        }
    }

    @Test
    void aRedisThatComesBackEmpty_losesItsJobs_andTheWorkerIsToldNotFound_neverACrash() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url()))) {
            On on = new On(pod);
            JobsContract.Created job = on.create("cid", "");
            assertEquals(200, on.report(job, "progress", "{\"progress\":40}").statusCode());
            redis.kill();
            redis.restart();
            Await.until("Redis answering the pod again", WAIT,
                        () -> on.report(job, "progress", "{\"progress\":50}").statusCode() != 503);
            assertError(on.report(job, "progress", "{\"progress\":50}"), 404, "a report on a job Redis lost");
            assertError(pod.get(H1, "/api/jobs/" + job.jobId(), pod.token("cid")), 404, "its state");
            JsonNode list = TestPod.json(pod.get(H1, "/api/jobs?status=running", pod.token("cid")).body());
            assertEquals(List.of(), list.get("jobs").findValuesAsText("jobId"));
            // and new jobs work at once
            JobsContract.Created next = on.create("cid", "");
            assertEquals(200, on.report(next, "complete", "{}").statusCode());
        }
    }

    private static String command(RedisProcess redis, String... args) {
        try {
            return redis.command(args);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

}
