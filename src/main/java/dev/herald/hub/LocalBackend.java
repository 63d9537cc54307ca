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
        this(historySize, historyTtl, idempotencyTtl,
             Broker.defaultCursorTtl(historyTtl));
    }

    /**
     * @param cursorTtl how long a cursor is honoured ({@code herald.history.cursor-ttl})
     */
    public LocalBackend(int historySize, Duration historyTtl, Duration idempotencyTtl, Duration cursorTtl) {
        super("embedded", new LocalBroker(historySize, historyTtl, idempotencyTtl, cursorTtl), new LocalPresence(),
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
