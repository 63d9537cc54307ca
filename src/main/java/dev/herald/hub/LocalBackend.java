package dev.herald.hub;

import java.time.Duration;

/** Embedded mode: every part in this process's memory. */
public final class LocalBackend extends Backend {
    public LocalBackend(int historySize, Duration historyTtl) {
        this(historySize, historyTtl, Duration.ofHours(24));
    }

    /**
     * @param idempotencyTtl how long an idempotency key is remembered
     */
    public LocalBackend(int historySize, Duration historyTtl, Duration idempotencyTtl) {
        super("embedded", new LocalBroker(historySize, historyTtl, idempotencyTtl), new LocalPresence(),
              new LocalUserLeases(), new LocalRateLimiter());
    }

    @Override
    public void start(BrokerListener listener) {
        broker().start(listener);
    }

    @Override
    public void stop() {
        broker().close();
    }
}
