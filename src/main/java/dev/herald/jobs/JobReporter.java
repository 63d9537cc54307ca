package dev.herald.jobs;

import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.Publishing;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How an in-process worker reports a job's real progress to its owner, on {@code user:<owner>}: the seed's
 * {@code generation_progress}, then {@code generation_complete} or {@code generation_failed}. External workers
 * send the same events through {@code POST /api/publish} (see docs/client.md). Thread-safe.
 */
public final class JobReporter {
    private static final Logger LOG = Logger.getLogger(JobReporter.class.getName());

    private final Publishing publishing;
    private final String jobId;
    private final String channel;

    public JobReporter(Publishing publishing, String jobId, String ownerId) {
        this.publishing = publishing;
        this.jobId = jobId;
        this.channel = ChannelName.user(ownerId);
    }

    public String jobId() {
        return jobId;
    }

    /**
     * Reports how far the job got.
     *
     * @param percent 0–100, in proportion to work actually done
     */
    public void progress(int percent, String message) {
        ObjectNode event = event("generation_progress");
        event.put("progress", Math.max(0, Math.min(100, percent)));
        event.put("message", message);
        publish(event);
    }

    public void complete(String result) {
        ObjectNode event = event("generation_complete");
        event.put("result", result);
        publish(event);
    }

    public void fail(Jobs.Failure failure) {
        ObjectNode event = event("generation_failed");
        event.put("error", failure.code());
        event.put("message", failure.message());
        publish(event);
    }

    private ObjectNode event(String type) {
        ObjectNode event = EventJson.body(type, channel);
        event.put("jobId", jobId);
        return event;
    }

    private void publish(ObjectNode event) {
        try {
            publishing.publish(channel, EventJson.bytes(event));
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Could not report job " + jobId + " to " + channel + ": " + e.getMessage());
        }
    }
}
