package dev.herald.client;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A job's state as the server answered it (docs/api.md, "Jobs"): what {@code GET /api/jobs/{jobId}} and each report
 * return, and what each {@code generation_*} or {@code job_state} event on the owner's channel carries. Immutable but
 * for the {@link JsonNode}s, which the caller must not change.
 *
 * @param jobId     opaque and URL-safe; do not parse it
 * @param userId    the owner: the job's events go to {@code user:<userId>}
 * @param kind      the kind given at creation ({@code export}, {@code render}, …)
 * @param status    running, complete or failed
 * @param progress  0-100, never lower than before (100 once complete)
 * @param message   the last message reported, "" when none
 * @param result    the result given on completion (any JSON), when complete and one was given
 * @param error     the error code when failed ({@code worker_lost} when the lease ran out)
 * @param meta      the JSON object given at creation, when one was
 * @param version   1 at creation, one more per accepted transition: of two states, the higher version is the newer
 * @param createdAt when the job was created
 * @param updatedAt when its last transition was accepted
 */
public record Job(String jobId, String userId, String kind, Status status, double progress, String message,
                  Optional<JsonNode> result, Optional<String> error, Optional<JsonNode> meta, long version,
                  Instant createdAt, Instant updatedAt) {
    /** Where a job is: running until it completes or fails; either end is final. */
    public enum Status {
        RUNNING, COMPLETE, FAILED;

        /** The status as the API writes it: {@code running}, {@code complete}, {@code failed}. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status of(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Reads a job object, or a job event (its {@code type}, {@code channel}, {@code timestamp} and {@code id} are
     * ignored), e.g. one a backend received on a stream of its own.
     *
     * @throws IllegalArgumentException when it is not one
     */
    public static Job fromJson(JsonNode json) {
        Objects.requireNonNull(json, "json");
        try {
            return new Job(text(json, "jobId"), text(json, "userId"), text(json, "kind"),
                           Status.of(text(json, "status")), number(json, "progress").doubleValue(),
                           text(json, "message"), Optional.ofNullable(json.get("result")),
                           Optional.ofNullable(json.get("error")).map(JsonNode::asText),
                           Optional.ofNullable(json.get("meta")), number(json, "version").longValue(),
                           Instant.parse(text(json, "createdAt")), Instant.parse(text(json, "updatedAt")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a job: " + e.getMessage() + ": " + json, e);
        }
    }

    public boolean running() {
        return status == Status.RUNNING;
    }

    /** True once the job completed or failed: no report is accepted any more. */
    public boolean finished() {
        return status != Status.RUNNING;
    }

    /**
     * The result read as {@code type} by Jackson (e.g. a record of your own), or empty when there is none.
     *
     * @throws IllegalArgumentException when it does not map to {@code type}
     */
    public <T> Optional<T> result(Class<T> type) {
        if (result.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Calls.JSON.treeToValue(result.get(), type));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the job's result is not a " + type.getName() + ": " + e, e);
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is not a string");
        }
        return value.textValue();
    }

    private static Number number(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException("'" + field + "' is not a number");
        }
        return value.numberValue();
    }
}
