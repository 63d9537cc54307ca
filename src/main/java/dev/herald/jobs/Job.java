package dev.herald.jobs;

import java.time.Instant;

import dev.herald.hub.EventJson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A job's state as its store holds it: what {@code GET /api/jobs/{jobId}} answers and what each of its events carries
 * (docs/channels.md). Immutable.
 *
 * @param progress   0–100, never lower than before; as given (an integer or a decimal number's text)
 * @param message    the last message reported, "" when none
 * @param result     the result's JSON when complete, else ""
 * @param error      the error code when failed, else ""
 * @param meta       the JSON object given at creation, or ""
 * @param version    1 at creation, one more per accepted transition: a client keeps the highest it has seen
 * @param tokenHash  the SHA-256 (hex) of the job's worker token; never shown
 * @param leaseUntil when the job fails with {@code worker_lost} unless a report comes first (epoch ms)
 */
public record Job(String jobId, String userId, String kind, String status, String progress, String message,
                  String result, String error, String meta, long version, long createdAt, long updatedAt,
                  long leaseMillis, long leaseUntil, String tokenHash) {
    public static final String RUNNING = "running";
    public static final String COMPLETE = "complete";
    public static final String FAILED = "failed";

    public boolean running() {
        return RUNNING.equals(status);
    }

    /** The job object: its fields in the documented order ({@code result}, {@code error}, {@code meta} when set). */
    public ObjectNode json() {
        return putFields(EventJson.MAPPER.createObjectNode());
    }

    /** Adds the job object's fields to {@code node} (an event's type, channel and timestamp come first). */
    public ObjectNode putFields(ObjectNode node) {
        node.put("jobId", jobId);
        node.put("userId", userId);
        node.put("kind", kind);
        node.put("status", status);
        node.set("progress", EventJson.MAPPER.getNodeFactory().numberNode(new java.math.BigDecimal(progress)));
        node.put("message", message);
        try {
            if (!result.isEmpty()) {
                node.set("result", EventJson.MAPPER.readTree(result));
            }
            if (!error.isEmpty()) {
                node.put("error", error);
            }
            if (!meta.isEmpty()) {
                node.set("meta", EventJson.MAPPER.readTree(meta));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job holds JSON it did not validate", e);
        }
        node.put("version", version);
        node.put("createdAt", EventJson.timestamp(Instant.ofEpochMilli(createdAt)));
        node.put("updatedAt", EventJson.timestamp(Instant.ofEpochMilli(updatedAt)));
        return node;
    }

    /** The event of this state on the owner's channel: {@code type}, {@code channel}, {@code timestamp}, the job. */
    public byte[] event(String type, String channel) {
        ObjectNode node = EventJson.MAPPER.createObjectNode();
        node.put("type", type);
        node.put("channel", channel);
        node.put("timestamp", EventJson.timestamp(Instant.ofEpochMilli(updatedAt)));
        return EventJson.bytes(putFields(node));
    }
}
