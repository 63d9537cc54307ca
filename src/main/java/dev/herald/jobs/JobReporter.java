package dev.herald.jobs;

import java.time.Duration;
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
 * send the same events through {@code POST /api/publish} (see docs/client.md). The events count against the channel's
 * event budget: progress over it is dropped (the next report supersedes it), the end waits up to {@code END_PATIENCE}
 * for a token. Thread-safe.
 */
public final class JobReporter {
    private static final Logger LOG = Logger.getLogger(JobReporter.class.getName());
    private static final Duration END_PATIENCE = Duration.ofSeconds(10);

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
        publish(event, Duration.ZERO);
    }

    public void complete(String result) {
        ObjectNode event = event("generation_complete");
        event.put("result", result);
        publish(event, END_PATIENCE);
    }

    public void fail(Jobs.Failure failure) {
        ObjectNode event = event("generation_failed");
        event.put("error", failure.code());
        event.put("message", failure.message());
        publish(event, END_PATIENCE);
    }

    private ObjectNode event(String type) {
        ObjectNode event = EventJson.body(type, channel);
        event.put("jobId", jobId);
        return event;
    }

    private void publish(ObjectNode event, Duration patience) {
        try {
            publishing.publishServerEvent(channel, EventJson.bytes(event), "job", patience);
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Could not report job " + jobId + " to " + channel + ": " + e.getMessage());
        }
    }
}
