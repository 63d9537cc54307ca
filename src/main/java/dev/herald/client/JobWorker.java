package dev.herald.client;

import java.util.Objects;
import java.util.function.BiPredicate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reports on one job: progress, then complete or fail ({@code POST /api/jobs/{jobId}/…}); each accepted report renews
 * the job's lease and returns the job's new state. Made by {@link HeraldClient#worker(String, String)} with the
 * job's worker token (all a worker process needs: it can touch no other job, channel or route), or by
 * {@link HeraldClient#worker(String)} with the client's service token. Thread-safe; it uses its client's
 * {@code HttpClient}, so it is usable until that client is closed.
 *
 * <p>Retries follow the client's policy (no answer, 502, 503, 504, and 429 {@code rate_limited} unless turned off).
 * A report has no idempotency key, so a retry may meet the effect of the attempt whose answer was lost; the rules of
 * {@link RetriedReports} then count it as done: a retried {@code complete} refused {@code job_finished} while the
 * job is complete, a retried {@code fail} refused while it failed with the same code, a retried progress refused
 * {@code progress_regressed} while the job runs at that progress or beyond, each return the job as read then. A
 * retried progress whose first attempt landed is accepted again (equal progress is no regression): the user sees
 * the same step twice, and the lease is renewed twice. A refusal on the first attempt is always thrown.
 *
 * <pre>{@code
 * JobWorker worker = herald.worker(jobId, workerToken);
 * worker.progress(10, "decoding");
 * worker.progress(60, "encoding");
 * Job done = worker.complete(Map.of("url", "/videos/1"));
 * }</pre>
 */
public final class JobWorker {
    private final Calls calls;
    private final String jobId;
    private final String path;

    JobWorker(Calls calls, String jobId) {
        this.calls = calls;
        this.jobId = Objects.requireNonNull(jobId, "jobId");
        this.path = "/api/jobs/" + HeraldClient.pathSegment(jobId);
    }

    public String jobId() {
        return jobId;
    }

    /**
     * Reports progress ({@code generation_progress} on the owner's channel) and renews the lease.
     *
     * @param progress 0 to 100, not below the job's current progress (equal is accepted)
     * @param message  what the user may read (at most 500 characters), or null to keep the last one
     * @throws HeraldException {@code progress_regressed} (409: below the current progress), {@code job_finished}
     *                         (409: complete or failed already; stop working), {@code not_found} (404: unknown, or
     *                         ended more than the retention ago), {@code forbidden} (403: a worker token of another
     *                         job), {@code rate_limited} (429: over the owner channel's event budget, when not
     *                         retried or after the last attempt; nothing changed), {@code bad_request} (400)
     */
    public Job progress(double progress, String message) {
        if (!(progress >= 0 && progress <= 100)) {
            throw new IllegalArgumentException("progress is a number from 0 to 100: " + progress);
        }
        ObjectNode body = Calls.JSON.createObjectNode().put("progress", progress);
        if (message != null) {
            body.put("message", message);
        }
        return report("progress", body, (refusal, now) -> RetriedReports.progressHolds(progress, refusal, now));
    }

    /** {@link #progress(double, String)} keeping the last message. */
    public Job progress(double progress) {
        return progress(progress, null);
    }

    /**
     * Completes the job ({@code generation_complete}, progress 100): final.
     *
     * @param result any value Jackson writes (a map, a record, a {@code JsonNode}; at most 8 KiB as JSON), or null
     *               for none
     * @throws HeraldException {@code job_finished} (409: it had completed or failed already, not by this call),
     *                         {@code payload_too_large} (413), {@code not_found}, {@code forbidden}
     */
    public Job complete(Object result) {
        ObjectNode body = Calls.JSON.createObjectNode();
        if (result != null) {
            body.set("result", Calls.JSON.valueToTree(result));
        }
        return report("complete", body, RetriedReports::completeHolds);
    }

    /**
     * Fails the job ({@code generation_failed}): final.
     *
     * @param error   a code of 1-64 characters {@code a-z 0-9 _}, or null for {@code failed}
     * @param message for the user (at most 500 characters), or null for "the job failed"
     * @throws HeraldException {@code job_finished} (409: it had completed or failed already, not by this call),
     *                         {@code bad_request}, {@code not_found}, {@code forbidden}
     */
    public Job fail(String error, String message) {
        ObjectNode body = Calls.JSON.createObjectNode();
        if (error != null) {
            body.put("error", error);
        }
        if (message != null) {
            body.put("message", message);
        }
        String code = error == null ? "failed" : error;
        return report("fail", body, (refusal, now) -> RetriedReports.failHolds(code, refusal, now));
    }

    /** The job's state now ({@code GET /api/jobs/{jobId}}); e.g. to see whether it was failed meanwhile. */
    public Job job() {
        return Job.fromJson(calls.send("GET", path, null, null, a -> null).body());
    }

    /**
     * Sends a report; a refusal met on a retry is read against the job's state by {@code holds} (the refusal's code,
     * the job now: true when the call's aim holds, see {@link RetriedReports}).
     */
    private Job report(String what, ObjectNode body, BiPredicate<String, Job> holds) {
        try {
            return Job.fromJson(calls.send("POST", path + "/" + what, body, null, a -> null).body());
        } catch (HeraldException refused) {
            if (!RetriedReports.mayHaveLanded(refused)) {
                throw refused;
            }
            Job now;
            try {
                now = job();
            } catch (HeraldException unknown) {
                refused.addSuppressed(unknown);
                throw refused;
            }
            if (holds.test(refused.error(), now)) {
                return now;
            }
            throw refused;
        }
    }

    @Override
    public String toString() {
        return "JobWorker[" + jobId + "]";
    }
}
