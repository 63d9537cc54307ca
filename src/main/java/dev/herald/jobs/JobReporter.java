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

    /** Completes the job with a result (a JSON string). */
    public void complete(String result) {
        try {
            store.complete(jobId, null, EventJson.MAPPER.writeValueAsString(result));
        } catch (BrokerUnavailableException | JobStore.Refused | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.log(Level.WARNING, "Could not complete job " + jobId + ": " + e.getMessage());
        }
    }

    public void fail(Jobs.Failure failure) {
        try {
            store.fail(jobId, null, failure.code(), failure.message());
        } catch (BrokerUnavailableException | JobStore.Refused e) {
            LOG.log(Level.WARNING, "Could not fail job " + jobId + ": " + e.getMessage());
        }
    }
}
