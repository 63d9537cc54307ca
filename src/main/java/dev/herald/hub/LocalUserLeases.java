package dev.herald.hub;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Per-user connection counts of this pod. Thread-safe: a concurrent map whose entries disappear at zero. */
public final class LocalUserLeases implements UserLeases {
    /** User id → this pod's open streams of that user. */
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    @Override
    public boolean acquire(String userId, String leaseId, int max) {
        boolean[] granted = {false};
        counts.compute(userId, (k, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            granted[0] = true;
            return current + 1;
        });
        return granted[0];
    }

    @Override
    public void release(String userId, String leaseId) {
        counts.computeIfPresent(userId, (k, count) -> count <= 1 ? null : count - 1);
    }
}
