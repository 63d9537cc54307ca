package dev.herald.redis;

import dev.herald.hub.BrokerListener;

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
}
