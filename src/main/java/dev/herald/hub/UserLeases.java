package dev.herald.hub;

import java.time.Duration;

/**
 * Who holds how many SSE connections, for the per-user cap: this pod's own count in embedded mode, every pod's
 * in clustered mode (leases that expire when their pod dies). Implementations are thread-safe.
 */
public interface UserLeases {
    /** Takes one of the user's slots under {@code leaseId}; false when the user already holds {@code max}. */
    boolean acquire(String userId, String leaseId, int max);

    void release(String userId, String leaseId);

    /** How often {@link #maintain} must run, or null when never. */
    default Duration maintenancePeriod() {
        return null;
    }

    /** Keeps this pod's leases alive. */
    default void maintain() {
    }
}
