package dev.herald.client;

/**
 * A job just created ({@code POST /api/jobs}) and the token its worker reports with. The token is shown this once
 * (the server keeps only its hash): hand it to the worker, e.g. in the task's message, and do not log it
 * ({@link #toString()} leaves it out).
 *
 * @param job its first state: running, progress 0, version 1
 * @param workerToken an opaque bearer token ({@code hjw_…}) that can report on and read this job only
 */
public record CreatedJob(Job job, String workerToken) {
    public String jobId() {
        return job.jobId();
    }

    @Override
    public String toString() {
        return "CreatedJob[job=" + job + ", workerToken=hjw_…]";
    }
}
