package dev.herald.hub;

/**
 * The parts that differ between embedded and clustered mode, built together from one set of settings and started
 * and stopped together: the broker, presence, the per-user connection leases and the rate limiter. The hub and the
 * HTTP routes see only these interfaces. Building a backend connects to nothing and starts no thread.
 */
public abstract class Backend {
    private final String mode;
    private final Broker broker;
    private final Presence presence;
    private final UserLeases leases;
    private final RateLimiter rateLimiter;

    /**
     * @param mode {@code embedded} or {@code clustered}, for logs
     */
    protected Backend(String mode, Broker broker, Presence presence, UserLeases leases, RateLimiter rateLimiter) {
        this.mode = mode;
        this.broker = broker;
        this.presence = presence;
        this.leases = leases;
        this.rateLimiter = rateLimiter;
    }

    public final String mode() {
        return mode;
    }

    public final Broker broker() {
        return broker;
    }

    public final Presence presence() {
        return presence;
    }

    public final UserLeases leases() {
        return leases;
    }

    public final RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /**
     * The channel counts of every pod for this pod's hub (built before {@link #start}, whose counts it then reports
     * where the other pods read them): embedded, the hub's own.
     */
    public ChannelDirectory directory(Hub hub) {
        return new ChannelDirectory.Local(hub);
    }

    /**
     * Connects where the backend keeps its state, starts the broker's delivery to {@code listener} and the
     * backend's background work. On failure, whatever it started is stopped again.
     *
     * @throws BrokerUnavailableException when the backend's store cannot be reached or refuses this pod
     */
    public abstract void start(BrokerListener listener);

    /** Stops what {@link #start} started; idempotent. */
    public abstract void stop();
}
