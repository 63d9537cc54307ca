package dev.herald.redis;

import java.time.Duration;

import dev.herald.hub.Backend;
import dev.herald.hub.Broker;
import dev.herald.hub.BrokerListener;
import dev.herald.hub.ChannelDirectory;
import dev.herald.hub.Hub;
import dev.herald.hub.HubMetrics;
import dev.herald.jobs.JobStore;
import dev.herald.tracing.Tracing;

/**
 * Clustered mode: the broker, presence, connection leases and rate limits of every pod meet in one Redis (or one
 * Redis Cluster, with sharded pub/sub), all through one {@link RedisConnection}. Building it connects to nothing; {@link #start} checks that Redis answers,
 * then starts the subscriber and the lease writer.
 */
public final class RedisBackend extends Backend {
    private final RedisConnection redis;
    private final RedisBroker broker;
    private final RedisUserLeases leases;
    private final String podId;
    /** The channel counts this pod reports, once {@link #directory} made them; started and stopped with the rest. */
    private volatile RedisChannelDirectory directory;

    /**
     * @param onReconnect called each time the pub/sub connection is opened again after a failure (a metric)
     */
    public RedisBackend(RedisConnection redis, String podId, int historySize, Duration historyTtl,
                        Duration presenceTtl, Runnable onReconnect) {
        this(redis, podId, historySize, historyTtl, presenceTtl, Duration.ofHours(24), onReconnect);
    }

    /**
     * @param idempotencyTtl how long an idempotency key is remembered
     */
    public RedisBackend(RedisConnection redis, String podId, int historySize, Duration historyTtl,
                        Duration presenceTtl, Duration idempotencyTtl, Runnable onReconnect) {
        this(redis, podId, historySize, historyTtl, presenceTtl, idempotencyTtl,
             Broker.defaultCursorTtl(historyTtl), onReconnect);
    }

    /**
     * @param cursorTtl how long a cursor is honoured ({@code herald.history.cursor-ttl})
     */
    public RedisBackend(RedisConnection redis, String podId, int historySize, Duration historyTtl,
                        Duration presenceTtl, Duration idempotencyTtl, Duration cursorTtl, Runnable onReconnect) {
        this(redis, podId, broker(redis, historySize, historyTtl, idempotencyTtl, cursorTtl, onReconnect),
             new RedisUserLeases(redis, presenceTtl), new RedisPresence(redis, podId, presenceTtl));
    }

    private RedisBackend(RedisConnection redis, String podId, RedisBroker broker, RedisUserLeases leases,
                         RedisPresence presence) {
        super("clustered", broker, presence, leases, new RedisRateLimiter(redis));
        this.redis = redis;
        this.podId = podId;
        this.broker = broker;
        this.leases = leases;
    }

    /**
     * Traces each publish ({@code redis.publish}) and carries its context in the Redis message while tracing is on;
     * call before {@link #start}.
     */
    public RedisBackend traced(Tracing tracing) {
        broker.traced(tracing);
        return this;
    }

    /** Counts every pod reports to Redis about once a second ({@link RedisChannelDirectory}). */
    @Override
    public synchronized ChannelDirectory directory(Hub hub) {
        if (directory == null) {
            directory = new RedisChannelDirectory(redis, podId, hub);
        }
        return directory;
    }

    /**
     * The jobs of every pod, in Redis ({@link RedisJobStore}), their events published as the broker publishes.
     *
     * @param channelPerSecond the owner channel's event budget for progress events, 0 for none
     */
    public JobStore jobs(HubMetrics metrics, double channelPerSecond, int channelBurst, Duration retention) {
        return new RedisJobStore(redis, broker, metrics, channelPerSecond, channelBurst, retention);
    }

    private static RedisBroker broker(RedisConnection redis, int historySize, Duration historyTtl,
                                      Duration idempotencyTtl, Duration cursorTtl, Runnable onReconnect) {
        RedisHistory history = new RedisHistory(redis, cursorTtl);
        RedisEpoch epoch = new RedisEpoch(redis);
        Duration refresh = RedisHistory.refreshPeriod(cursorTtl);
        PubSubReader subscriber = redis.cluster()
                ? new RedisShardedSubscriber(redis, history, epoch, refresh, onReconnect)
                : new RedisSubscriber(redis, history, epoch, refresh, onReconnect);
        return new RedisBroker(redis, history, epoch, subscriber, historySize, historyTtl, idempotencyTtl,
                               cursorTtl);
    }

    @Override
    public void start(BrokerListener listener) {
        redis.start();
        try {
            broker.start(listener);
            leases.start();
            RedisChannelDirectory counts = directory;
            if (counts != null) {
                counts.start();
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Override
    public void stop() {
        RedisChannelDirectory counts = directory;
        if (counts != null) {
            counts.stop();
        }
        leases.stop();
        broker.close();
        redis.close();
    }
}
