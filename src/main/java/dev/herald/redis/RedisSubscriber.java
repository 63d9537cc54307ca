package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Event;

import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The pod's one Redis pub/sub connection and the platform thread that reads it. It is subscribed exactly to the
 * channels with a local subscriber (plus a control channel), resubscribes after any failure with backoff, and
 * fills each channel's gap from history before live messages, so the hub sees every event once, in id order.
 *
 * <p>Threads: the reader thread runs callbacks and owns delivery; connection threads call {@link #subscribe} and
 * {@link #unsubscribe}, whose commands are written under {@code commands}. A connection that dies without a
 * FIN or RST (a network partition) is noticed by TCP keepalive only: Jedis 8 answers a PING on a subscribed
 * connection inconsistently (seen under load as "Unexpected message : PONG"), so there is no application ping.
 */
final class RedisSubscriber {
    private static final Logger LOG = Logger.getLogger(RedisSubscriber.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final RedisConnection redis;
    private final RedisHistory history;
    private final RedisEpoch epoch;
    private final RedisKeys keys;
    private final Duration timeout;
    private final Runnable onReconnect;
    /** Where events go: the hub; set by {@link #start} before the reader thread starts. */
    private volatile BrokerListener listener;
    /** Channels the hub wants: the source of truth for (re)subscribing. */
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    /** Per channel, the last id handed to the hub (or the head when subscribing): dedup and gap-fill mark. */
    private final Map<String, Long> delivered = new ConcurrentHashMap<>();
    /** Per channel, completed when Redis confirms the subscription on the current connection. */
    private final Map<String, CompletableFuture<Void>> confirmed = new ConcurrentHashMap<>();
    /** Serializes commands written to the pub/sub connection from threads other than the reader. */
    private final ReentrantLock commands = new ReentrantLock();
    private final ReentrantLock backoffLock = new ReentrantLock();
    private final Condition closing = backoffLock.newCondition();
    private volatile Listener current;
    private volatile Connection connection;
    private volatile boolean closed;
    private volatile Thread reader;

    /**
     * @param onReconnect called each time the pub/sub connection is opened again after a failure (a metric)
     */
    RedisSubscriber(RedisConnection redis, RedisHistory history, RedisEpoch epoch, Runnable onReconnect) {
        this.redis = redis;
        this.history = history;
        this.epoch = epoch;
        this.keys = redis.keys();
        this.timeout = redis.timeout();
        this.onReconnect = onReconnect;
    }

    /** Starts the reader thread, which connects, subscribes and delivers to {@code listener}. */
    void start(BrokerListener listener) {
        this.listener = listener;
        reader = Thread.ofPlatform().daemon().name("herald-redis-subscriber").start(this::run);
    }

    boolean connected() {
        return current != null;
    }

    /** Subscribes and waits for Redis to confirm; events published from then on reach the hub. */
    void subscribe(String channel) {
        CompletableFuture<Void> confirmation = new CompletableFuture<>();
        confirmed.put(channel, confirmation);
        try {
            delivered.putIfAbsent(channel, history.head(channel));
        } catch (JedisException | NumberFormatException e) {
            forget(channel);
            throw new BrokerUnavailableException("Redis is unreachable: " + e.getMessage(), e);
        }
        wanted.add(channel);
        send(channel, true);
        try {
            confirmation.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            forget(channel);
            throw new BrokerUnavailableException("Redis did not confirm the subscription to " + channel, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forget(channel);
            throw new BrokerUnavailableException("interrupted while subscribing to " + channel, e);
        }
    }

    /**
     * The last id handed to the hub for a channel this pod is subscribed to, else null. Written before the hub
     * delivers the event, so a subscription registered before this read misses nothing after the value.
     */
    Long delivered(String channel) {
        return delivered.get(channel);
    }

    void unsubscribe(String channel) {
        forget(channel);
        send(channel, false);
    }

    void close() {
        closed = true;
        Connection c = connection;
        if (c != null) {
            c.disconnect();
        }
        backoffLock.lock();
        try {
            closing.signalAll();
        } finally {
            backoffLock.unlock();
        }
        if (reader != null) {
            try {
                reader.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void forget(String channel) {
        wanted.remove(channel);
        delivered.remove(channel);
        confirmed.remove(channel);
    }

    /** Writes SUBSCRIBE/UNSUBSCRIBE when connected; when not, the reader subscribes everything wanted on connect. */
    private void send(String channel, boolean subscribe) {
        commands.lock();
        try {
            Listener listener = current;
            if (listener != null) {
                if (subscribe) {
                    listener.subscribe(keys.pubsub(channel));
                } else {
                    listener.unsubscribe(keys.pubsub(channel));
                }
            }
        } catch (JedisException e) {
            LOG.fine(() -> "Pub/sub command failed; the reconnect will resubscribe: " + e.getMessage());
        } finally {
            commands.unlock();
        }
    }

    private void run() {
        long backoff = 100;
        boolean first = true;
        while (!closed) {
            if (!first) {
                onReconnect.run();
            }
            first = false;
            try (Connection c = redis.openPubSub()) {
                connection = c;
                if (epoch.sync()) {
                    historyLost();
                }
                Listener listener = new Listener();
                listener.proceed(c, keys.control());
                backoff = 100;
            } catch (JedisException | NumberFormatException e) {
                if (!closed) {
                    LOG.warning("Redis subscriber disconnected (" + e.getMessage() + "); reconnecting in "
                                + backoff + " ms");
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.SEVERE, "Redis subscriber failed; reconnecting in " + backoff + " ms", e);
                }
            } finally {
                current = null;
                connection = null;
                confirmed.values().forEach(f -> f.completeExceptionally(new IllegalStateException("disconnected")));
                confirmed.replaceAll((k, v) -> new CompletableFuture<>());
            }
            awaitBackoff(backoff);
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    private void awaitBackoff(long millis) {
        long remaining = TimeUnit.MILLISECONDS.toNanos(millis);
        backoffLock.lock();
        try {
            while (!closed && remaining > 0) {
                remaining = closing.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        } finally {
            backoffLock.unlock();
        }
    }

    /** Redis lost the history: ids start over; tell every stream, and fill gaps from the new start. */
    private void historyLost() {
        delivered.replaceAll((channel, last) -> 0L);
        listener.historyLost();
    }

    /** Callbacks, all on the reader thread. */
    private final class Listener extends JedisPubSub {
        @Override
        public void onSubscribe(String pubsub, int count) {
            if (pubsub.equals(keys.control())) {
                current = this;
                commands.lock();
                try {
                    for (String channel : wanted) {
                        subscribe(keys.pubsub(channel));
                    }
                } finally {
                    commands.unlock();
                }
                return;
            }
            String channel = keys.channelOf(pubsub);
            if (channel == null || !wanted.contains(channel)) {
                return;
            }
            fillGap(channel);
            CompletableFuture<Void> confirmation = confirmed.computeIfAbsent(channel, c -> new CompletableFuture<>());
            confirmation.complete(null);
        }

        @Override
        public void onMessage(String pubsub, String message) {
            String channel = keys.channelOf(pubsub);
            if (channel == null || !wanted.contains(channel)) {
                return;
            }
            int a = message.indexOf(' ');
            int b = message.indexOf(' ', a + 1);
            int c = message.indexOf(' ', b + 1);
            if (a < 0 || b < 0 || c < 0) {
                LOG.warning("Ignoring a malformed message on " + pubsub);
                return;
            }
            if (epoch.adopt(message.substring(0, a))) {
                historyLost();
            }
            long id = Long.parseLong(message, a + 1, b, 10);
            long at = Long.parseLong(message, b + 1, c, 10);
            deliver(new Event(channel, id, message.substring(c + 1).getBytes(StandardCharsets.UTF_8), at));
        }

        /** Hands the hub what it missed on this channel while unsubscribed or disconnected. */
        private void fillGap(String channel) {
            Long last = delivered.get(channel);
            if (last == null) {
                return;
            }
            List<Event> missed = history.after(channel, last);
            for (Event event : missed) {
                deliver(event);
            }
        }

        private void deliver(Event event) {
            Long last = delivered.get(event.channel());
            if (last != null && event.id() <= last) {
                return;
            }
            delivered.put(event.channel(), event.id());
            listener.deliver(event);
        }
    }
}
