package dev.herald.jobs;

import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.EventJson;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.RateLimitedException;

/**
 * How an in-process worker reports its job: the same {@link JobStore} transitions as {@code POST
 * /api/jobs/{jobId}/progress|complete|fail}, so the job's state, lease and events are the same whoever works on it.
 * A progress report over the owner channel's event budget is dropped (the next one says more; counted as a dropped
 * server event), as is one the store cannot take (logged): the job goes on. Thread-safe.
 */
public final class JobReporter {
    private static final Logger LOG = Logger.getLogger(JobReporter.class.getName());
    /** The pauses between attempts to end a job; -1: the last attempt. */
    private static final long[] END_PAUSES_MILLIS = {250, 500, 1000, 2000, 4000, -1};

    private final JobStore store;
    private final String jobId;
    private final HubMetrics metrics;

    JobReporter(JobStore store, String jobId, HubMetrics metrics) {
        this.store = store;
        this.jobId = jobId;
        this.metrics = metrics;
    }

    public String jobId() {
        return jobId;
    }

    /**
     * Reports how far the job got; renews its lease.
     *
     * @param percent 0–100, in proportion to work actually done
     */
    public void progress(int percent, String message) {
        try {
            store.progress(jobId, null, Integer.toString(Math.max(0, Math.min(100, percent))), message);
        } catch (RateLimitedException e) {
            metrics.serverEventDropped("job");
        } catch (BrokerUnavailableException | JobStore.Refused e) {
            LOG.log(Level.WARNING, "Could not report the progress of job " + jobId + ": " + e.getMessage());
        }
    }

    /** Completes the job with a result (a JSON string); retried while the store is unreachable ({@link #end}). */
    public void complete(String result) {
        String json = EventJson.MAPPER.getNodeFactory().textNode(result).toString();
        end("complete", () -> store.complete(jobId, null, json));
    }

    /** Fails the job with a stable code and sentence; retried while the store is unreachable ({@link #end}). */
    public void fail(Jobs.Failure failure) {
        end("fail", () -> store.fail(jobId, null, failure.code(), failure.message()));
    }

    /**
     * A job's end matters more than its timing: a blip of the store is waited out (pauses of 0.25, 0.5, 1, 2 and 4 s)
     * before it is given up and logged; the job's lease then fails it ({@code worker_lost}) rather than leave it
     * running. A refusal (the job already ended) is logged at once.
     */
    private void end(String what, Runnable call) {
        for (long pause : END_PAUSES_MILLIS) {
            try {
                call.run();
                return;
            } catch (JobStore.Refused e) {
                LOG.log(Level.WARNING, "Could not " + what + " job " + jobId + ": " + e.code());
                return;
            } catch (BrokerUnavailableException e) {
                if (pause < 0) {
                    LOG.log(Level.WARNING, "Could not " + what + " job " + jobId + ": " + e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    LOG.log(Level.WARNING, "Gave up to " + what + " job " + jobId + " (interrupted)");
                    return;
                }
            }
        }
    }
}
