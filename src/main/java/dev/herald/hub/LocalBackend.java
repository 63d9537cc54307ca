package dev.herald.hub;

import java.time.Duration;

/** Embedded mode: every part in this process's memory. */
public final class LocalBackend extends Backend {
    public LocalBackend(int historySize, Duration historyTtl) {
        super("embedded", new LocalBroker(historySize, historyTtl), new LocalPresence(), new LocalUserLeases(),
              new LocalRateLimiter());
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
