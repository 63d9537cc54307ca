package dev.herald.hub;

import java.time.Duration;

/** Embedded mode: every part in this process's memory. */
public final class LocalBackend implements Backend {
    private final LocalBroker broker;
    private final LocalPresence presence = new LocalPresence();
    private final LocalUserLeases leases = new LocalUserLeases();
    private final LocalRateLimiter rateLimiter = new LocalRateLimiter();

    public LocalBackend(int historySize, Duration historyTtl) {
        this.broker = new LocalBroker(historySize, historyTtl);
    }

    @Override
    public String mode() {
        return "embedded";
    }

    @Override
    public Broker broker() {
        return broker;
    }

    @Override
    public Presence presence() {
        return presence;
    }

    @Override
    public UserLeases leases() {
        return leases;
    }

    @Override
    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    @Override
    public void start(BrokerListener listener) {
        broker.start(listener);
    }

    @Override
    public void stop() {
        broker.close();
    }
}
