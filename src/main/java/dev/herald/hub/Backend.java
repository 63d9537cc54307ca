package dev.herald.hub;

/**
 * The parts that differ between embedded and clustered mode, built together from one set of settings and started
 * and stopped together: the broker, presence, the per-user connection leases and the rate limiter. The hub and the
 * HTTP routes see only these interfaces. Building a backend connects to nothing and starts no thread.
 */
public interface Backend {
    /** {@code embedded} or {@code clustered}, for logs. */
    String mode();

    Broker broker();

    Presence presence();

    UserLeases leases();

    RateLimiter rateLimiter();

    /**
     * Connects where the backend keeps its state, starts the broker's delivery to {@code listener} and the
     * backend's background work. On failure, whatever it started is stopped again.
     *
     * @throws BrokerUnavailableException when the backend's store cannot be reached or refuses this pod
     */
    void start(BrokerListener listener);

    /** Stops what {@link #start} started; idempotent. */
    void stop();
}
