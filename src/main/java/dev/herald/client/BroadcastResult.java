package dev.herald.client;

import java.util.Map;

/**
 * What a broadcast did to each channel: the id of each channel published to, and why each other channel was not.
 * A broadcast that published to some channels only is a result with {@link #errors()}, never an exception: check
 * {@link #complete()}.
 *
 * @param ids each published channel's event id (with an idempotency key retried: the first attempt's id)
 * @param errors each channel that was not published to, with the server's reason
 */
public record BroadcastResult(Map<String, Long> ids, Map<String, ChannelError> errors) {
    /** Copies both maps (unmodifiable). */
    public BroadcastResult {
        ids = Map.copyOf(ids);
        errors = Map.copyOf(errors);
    }

    /** True when every channel was published to. */
    public boolean complete() {
        return errors.isEmpty();
    }

    /**
     * Why one channel was not published to.
     *
     * @param error the stable code ({@code rate_limited}, {@code broker_unavailable}, {@code idempotency_key_reused})
     * @param message for humans
     */
    public record ChannelError(String error, String message) {
    }
}
