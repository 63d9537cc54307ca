package dev.herald.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link RetriedReports}: which refusal met on a retry is the call's own effect (or holds anyway), case by case. */
@Tag("unit")
class RetriedReportsTest {
    private static final Instant T = Instant.parse("2026-12-01T05:40:00Z");

    @Test
    void aRetriedComplete_refusedAsFinished_holdsOnlyWhenTheJobIsComplete() {
        assertTrue(RetriedReports.completeHolds("job_finished", job(Job.Status.COMPLETE, 100, null)));
        assertFalse(RetriedReports.completeHolds("job_finished", job(Job.Status.FAILED, 40, "worker_lost")));
        assertFalse(RetriedReports.completeHolds("not_found", job(Job.Status.COMPLETE, 100, null)));
    }

    @Test
    void aRetriedFail_refusedAsFinished_holdsOnlyWithItsOwnCode() {
        assertTrue(RetriedReports.failHolds("bad_input", "job_finished", job(Job.Status.FAILED, 40, "bad_input")));
        assertFalse(RetriedReports.failHolds("bad_input", "job_finished",
                                             job(Job.Status.FAILED, 40, "worker_lost")), "the lease ran out first");
        assertFalse(RetriedReports.failHolds("bad_input", "job_finished", job(Job.Status.COMPLETE, 100, null)));
        assertFalse(RetriedReports.failHolds("bad_input", "forbidden", job(Job.Status.FAILED, 40, "bad_input")));
    }

    @Test
    void aRetriedProgress_refusedAsRegressed_holdsWhileTheJobRunsAtItOrBeyond() {
        assertTrue(RetriedReports.progressHolds(50, "progress_regressed", job(Job.Status.RUNNING, 70, null)));
        assertTrue(RetriedReports.progressHolds(50, "progress_regressed", job(Job.Status.RUNNING, 50, null)));
        assertFalse(RetriedReports.progressHolds(50, "progress_regressed", job(Job.Status.RUNNING, 40, null)),
                    "moved back meanwhile cannot be, but then nothing of ours holds");
        assertFalse(RetriedReports.progressHolds(50, "job_finished", job(Job.Status.COMPLETE, 100, null)),
                    "a finished job is news for the worker: stop");
    }

    @Test
    void onlyA409OnARetry_mayHideALandedReport() {
        assertTrue(RetriedReports.mayHaveLanded(failure(409, "job_finished", 2)));
        assertFalse(RetriedReports.mayHaveLanded(failure(409, "job_finished", 1)), "the first attempt's refusal");
        assertFalse(RetriedReports.mayHaveLanded(failure(503, "broker_unavailable", 3)));
        assertFalse(RetriedReports.mayHaveLanded(failure(0, "unreachable", 3)));
    }

    private static HeraldException failure(int status, String error, int attempts) {
        return new HeraldException(status, error, "m", Optional.empty(), false, attempts, null);
    }

    private static Job job(Job.Status status, double progress, String error) {
        return new Job("AAAAAAAAAAAAAAAAAAAA.ann", "ann", "render", status, progress, "", Optional.empty(),
                       Optional.ofNullable(error), Optional.empty(), 3, T, T.plus(Duration.ofSeconds(1)));
    }
}
