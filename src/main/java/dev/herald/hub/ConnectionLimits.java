package dev.herald.hub;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pod's SSE connection caps: in total and per user. Thread-safe: an atomic total and a concurrent map
 * of per-user counts whose entries disappear at zero.
 */
public final class ConnectionLimits {
    /** The outcome of {@link #acquire}. */
    public enum Outcome { ACQUIRED, POD_FULL, USER_FULL }

    private final int maxTotal;
    private final int maxPerUser;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<String, Integer> perUser = new ConcurrentHashMap<>();

    public ConnectionLimits(int maxTotal, int maxPerUser) {
        this.maxTotal = maxTotal;
        this.maxPerUser = maxPerUser;
    }

    /** Takes one connection slot for the user; on success the caller must {@link #release} it. */
    public Outcome acquire(String userId) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Outcome.POD_FULL;
        }
        boolean[] granted = {false};
        perUser.compute(userId, (k, count) -> {
            int current = count == null ? 0 : count;
            if (current >= maxPerUser) {
                return count;
            }
            granted[0] = true;
            return current + 1;
        });
        if (!granted[0]) {
            total.decrementAndGet();
            return Outcome.USER_FULL;
        }
        return Outcome.ACQUIRED;
    }

    public void release(String userId) {
        perUser.computeIfPresent(userId, (k, count) -> count <= 1 ? null : count - 1);
        total.decrementAndGet();
    }

    public int open() {
        return total.get();
    }
}
