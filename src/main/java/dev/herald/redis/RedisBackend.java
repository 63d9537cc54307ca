package dev.herald.redis;

import java.time.Duration;

import dev.herald.hub.Backend;
import dev.herald.hub.Broker;
import dev.herald.hub.BrokerListener;
import dev.herald.hub.Presence;
import dev.herald.hub.RateLimiter;
import dev.herald.hub.UserLeases;

/**
 * Clustered mode: the broker, presence, connection leases and rate limits of every pod meet in one Redis, all
 * through one {@link RedisConnection}. Building it connects to nothing; {@link #start} checks that Redis answers,
 * then starts the subscriber and the lease writer.
 */
public final class RedisBackend implements Backend {
    private final RedisConnection redis;
    private final RedisBroker broker;
    private final RedisPresence presence;
    private final RedisUserLeases leases;
    private final RedisRateLimiter rateLimiter;

    /**
     * @param onReconnect called each time the pub/sub connection is opened again after a failure (a metric)
     */
    public RedisBackend(RedisConnection redis, String podId, int historySize, Duration historyTtl,
                        Duration presenceTtl, Runnable onReconnect) {
        this.redis = redis;
        RedisHistory history = new RedisHistory(redis);
        RedisEpoch epoch = new RedisEpoch(redis);
        RedisSubscriber subscriber = new RedisSubscriber(redis, history, epoch, onReconnect);
        this.broker = new RedisBroker(redis, history, epoch, subscriber, historySize, historyTtl);
        this.presence = new RedisPresence(redis, podId, presenceTtl);
        this.leases = new RedisUserLeases(redis, presenceTtl);
        this.rateLimiter = new RedisRateLimiter(redis);
    }

    @Override
    public String mode() {
        return "clustered";
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
        redis.start();
        try {
            broker.start(listener);
            leases.start();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Override
    public void stop() {
        leases.stop();
        broker.close();
        redis.close();
    }
}
