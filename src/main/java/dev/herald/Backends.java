package dev.herald;

import dev.herald.hub.Backend;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.LocalBackend;
import dev.herald.hub.Publishing;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LocalJobStore;
import dev.herald.redis.RedisBackend;
import dev.herald.redis.RedisConnection;
import dev.herald.redis.ReplicaAck;
import dev.herald.tracing.Tracing;

/** Where the choice between embedded and clustered mode is made: from the settings, in one place. */
final class Backends {
    private Backends() {
    }

    /**
     * {@link RedisBackend} when {@code herald.redis.url} is set, else {@link LocalBackend}. Connects to nothing.
     *
     * @param tracing            the pod's tracing: the Redis broker traces its publishes and carries their context
     * @param onRedisReconnect   called each time the Redis subscriber reconnects (a metric)
     * @param onReplicaShortfall called when fewer replicas than {@code herald.redis.min-replicas-ack} acknowledged a
     *                           publish in time (a metric)
     * @throws StartupException when the Redis URL is not one
     */
    static Backend create(Settings settings, Tracing tracing, Runnable onRedisReconnect,
                          Runnable onReplicaShortfall) {
        Settings.Redis redis = settings.redis();
        if (redis.url().isEmpty()) {
            return new LocalBackend(settings.history().size(), settings.history().ttl(),
                                    settings.publish().idempotencyTtl(), settings.history().cursorTtl());
        }
        RedisConnection connection;
        try {
            connection = new RedisConnection(redis.url().get(), redis.prefix(), redis.timeout(), redis.tls(),
                                             new ReplicaAck(redis.minReplicasAck(), redis.minReplicasTimeout(),
                                                            onReplicaShortfall));
        } catch (IllegalArgumentException e) {
            throw new StartupException("herald.redis.url (HERALD_REDIS_URL): " + e.getMessage());
        }
        return new RedisBackend(connection, settings.podId(), settings.history().size(), settings.history().ttl(),
                                settings.presence().ttl(), settings.publish().idempotencyTtl(),
                                settings.history().cursorTtl(), onRedisReconnect).traced(tracing);
    }

    /**
     * Where jobs live: in Redis with a {@link RedisBackend} (every pod sees them), else in this process. Progress events
     * are held to the owner channel's event budget ({@code herald.rate.channel.*}).
     */
    static JobStore jobs(Backend backend, Publishing publishing, HubMetrics metrics, Settings settings) {
        Settings.Rate rate = settings.rate();
        if (backend instanceof RedisBackend redis) {
            return redis.jobs(metrics, rate.channelPerSecond(), rate.channelBurst(), settings.jobs().retention());
        }
        return new LocalJobStore(publishing, backend.rateLimiter(), rate.channelPerSecond(), rate.channelBurst(),
                                 settings.jobs().retention());
    }
}
