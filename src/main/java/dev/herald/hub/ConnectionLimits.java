package dev.herald.hub;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The SSE connection caps: this pod's total, and per user through {@link UserLeases} (this pod's count, or every
 * pod's in clustered mode). Thread-safe: an atomic total; the leases are thread-safe.
 */
public final class ConnectionLimits implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ConnectionLimits.class.getName());

    /** The outcome of {@link #acquire}. */
    public enum Outcome { ACQUIRED, POD_FULL, USER_FULL }

    /** A granted slot; give it back with {@link #release}. */
    public record Slot(Outcome outcome, String userId, String leaseId) {
    }

    private final int maxTotal;
    private final int maxPerUser;
    private final UserLeases leases;
    private final String podId;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    /** Refreshes shared leases; null until {@link #start}, and for leases that need no refresh. */
    private volatile ScheduledExecutorService maintenance;

    public ConnectionLimits(int maxTotal, int maxPerUser, UserLeases leases, String podId) {
        this.maxTotal = maxTotal;
        this.maxPerUser = maxPerUser;
        this.leases = leases;
        this.podId = podId;
    }

    /** Starts refreshing this pod's leases, when they are shared (they expire otherwise). */
    public void start() {
        Duration period = leases.maintenancePeriod();
        if (period != null) {
            maintenance = Daemons.every("herald-leases", period, leases::maintain);
        }
    }

    /** Takes one connection slot for the user; on {@link Outcome#ACQUIRED} the caller must release it. */
    public Slot acquire(String userId) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return new Slot(Outcome.POD_FULL, userId, null);
        }
        String leaseId = podId + ":" + sequence.incrementAndGet();
        boolean granted;
        try {
            granted = leases.acquire(userId, leaseId, maxPerUser);
        } catch (RuntimeException e) {
            total.decrementAndGet();
            throw e;
        }
        if (!granted) {
            total.decrementAndGet();
            return new Slot(Outcome.USER_FULL, userId, null);
        }
        return new Slot(Outcome.ACQUIRED, userId, leaseId);
    }

    public void release(Slot slot) {
        try {
            leases.release(slot.userId(), slot.leaseId());
        } catch (RuntimeException e) {
            // a shared lease expires on its own when no longer refreshed
            LOG.warning("Could not release a connection lease: " + e.getMessage());
        } finally {
            total.decrementAndGet();
        }
    }

    public int open() {
        return total.get();
    }

    /** Stops the refresh; the backend stops the leases themselves. */
    @Override
    public void close() {
        ScheduledExecutorService running = maintenance;
        if (running != null) {
            running.shutdownNow();
        }
    }
}
