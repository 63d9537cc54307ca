package dev.herald.hub;

import java.time.Duration;

import org.junit.jupiter.api.Tag;

/** The broker contract, embedded mode. */
@Tag("unit")
class LocalBrokerContractTest extends BrokerContract {
    @Override
    protected Backend newBackend(int historySize, Duration historyTtl) {
        return new LocalBackend(historySize, historyTtl);
    }
}
