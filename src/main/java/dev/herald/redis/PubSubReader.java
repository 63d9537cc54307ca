package dev.herald.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;

/**
 * The pod's reader of live events from Redis, as {@link RedisBroker} uses it: {@link RedisSubscriber} (one pub/sub
 * connection to one Redis) or {@link RedisShardedSubscriber} (sharded pub/sub, one connection per master of a Redis
 * Cluster). Both deliver through {@link RedisDelivery}, so the gap-fill and resync rules are the same.
 */
interface PubSubReader {
    /** Starts the reader thread(s), which connect, subscribe and deliver to {@code listener}. */
    void start(BrokerListener listener);

    /** Subscribes and waits for Redis to confirm; events published from then on reach the hub. */
    void subscribe(String channel);

    void unsubscribe(String channel);

    /** The last id handed to the hub for a channel this pod is subscribed to, else null. */
    Long delivered(String channel);

    /** True while every connection the reader needs is subscribed. */
    boolean connected();

    void close();

    /**
     * Waits up to twice {@code timeout} for Redis to confirm the subscription to {@code channel}; on any failure
     * runs {@code forget} (the channel is no longer wanted) and throws.
     *
     * @throws BrokerUnavailableException when the subscription was not confirmed in time
     */
    static void awaitConfirmation(CompletableFuture<Void> confirmation, Duration timeout, String channel,
                                  Runnable forget) {
        try {
            confirmation.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            forget.run();
            throw new BrokerUnavailableException("Redis did not confirm the subscription to " + channel, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forget.run();
            throw new BrokerUnavailableException("interrupted while subscribing to " + channel, e);
        }
    }
}
