package dev.herald.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.herald.hub.Backend;
import dev.herald.hub.BrokerContract;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The broker contract, clustered mode, on a real redis-server; each test under its own key prefix. */
class RedisBrokerContractTest extends BrokerContract {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static RedisProcess redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisProcess.start(false);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @Override
    protected Backend newBackend(int historySize, Duration historyTtl) {
        RedisConnection connection = new RedisConnection(redis.url(), "contract" + PREFIXES.incrementAndGet(),
                                                         Duration.ofSeconds(2));
        return new RedisBackend(connection, "pod-contract", historySize, historyTtl, Duration.ofSeconds(30), () -> { });
    }
}
