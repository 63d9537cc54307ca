package dev.herald.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Daemons;
import dev.herald.hub.Revocations;

import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The pod's one Redis pub/sub connection and the platform thread that reads it. It is subscribed exactly to the
 * channels with a local subscriber (plus a control channel), resubscribes after any failure with a jittered backoff
 * that starts over once a connection holds, and fills each channel's gap from history before live messages, so the
 * hub sees every event once, in id order — or, for a channel whose history broke under it, a resync first:
 * <ul>
 * <li>history no longer reaches back to the last event delivered (an outage longer than the history): a gap;</li>
 * <li>the stored head is behind what was delivered, the stored event at the last delivered id is another one, or a
 *     live message reuses an id already passed (Redis restored from an older copy, a failover to a lagging replica,
 *     under the same epoch): the ids restarted.</li>
 * </ul>
 *
 * <p>Threads: the reader thread runs callbacks and owns delivery; connection threads call {@link #subscribe} and
 * {@link #unsubscribe}, whose commands are written under {@code commands}. A connection that dies without a
 * FIN or RST (a network partition) is noticed by TCP keepalive only: Jedis 8 answers a PING on a subscribed
 * connection inconsistently (seen under load as "Unexpected message : PONG"), so there is no application ping.
 */
final class RedisSubscriber implements PubSubReader {
    private static final Logger LOG = Logger.getLogger(RedisSubscriber.class.getName());
    /** A control message: probe this user's streams ({@link BrokerListener#probeUser}). */
    static final String PROBE = "probe ";
    /** A control message: {@code disconnect <reason>\n<userId>} ({@link BrokerListener#disconnectUser}). */
    static final String DISCONNECT = "disconnect ";
    /**
     * A control message: {@code revoke <before> <until> <reason>\n<userId>} ({@link BrokerListener#revokeUser});
     * pods of an older version ignore it (and end no stream).
     */
    static final String REVOKE = "revoke ";
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final RedisConnection redis;
    private final RedisHistory history;

    /** Acts on a message of the control channel (both subscribers share it). */
    static void control(BrokerListener listener, String message) {
        if (message.startsWith(PROBE)) {
            listener.probeUser(message.substring(PROBE.length()));
        } else if (message.startsWith(DISCONNECT)) {
            int newline = message.indexOf('\n');
            if (newline > DISCONNECT.length()) {
                listener.disconnectUser(message.substring(newline + 1), message.substring(DISCONNECT.length(), newline));
            }
        } else if (message.startsWith(REVOKE)) {
            int newline = message.indexOf('\n');
            String[] head = newline < 0 ? new String[0] : message.substring(REVOKE.length(), newline).split(" ", 3);
            Revocations.Revocation revocation = head.length == 3 ? revocation(head[0] + " " + head[1]) : null;
            if (revocation != null) {
                listener.revokeUser(message.substring(newline + 1), revocation, head[2]);
            } else {
                LOG.warning("Malformed revoke message on the control channel; ignored");
            }
        }
    }

    /** A stored {@code "<before> <until>"}, or null when malformed. */
    static Revocations.Revocation revocation(String value) {
        int space = value.indexOf(' ');
        try {
            return space < 0 ? null : new Revocations.Revocation(Long.parseLong(value.substring(0, space)),
                                                                 Long.parseLong(value.substring(space + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }
    private final RedisEpoch epoch;
    private final RedisKeys keys;
    private final Duration timeout;
    private final Runnable onReconnect;
    private final Duration refreshPeriod;
    /** Refreshes the id counters of the wanted channels every {@code refreshPeriod}; set by {@link #start}. */
    private volatile ScheduledExecutorService refresher;
    /** Where events go (the hub), and the rules of what a message or a fill delivers. */
    private final RedisDelivery delivery;
    /** Channels the hub wants: the source of truth for (re)subscribing. */
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
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
     * @param refreshPeriod how often the id counters of the channels this pod reads are refreshed
     *                      ({@link RedisHistory#refreshPeriod})
     * @param onReconnect   called each time the pub/sub connection is opened again after a failure (a metric)
     */
    RedisSubscriber(RedisConnection redis, RedisHistory history, RedisEpoch epoch, Duration refreshPeriod,
                    Runnable onReconnect) {
        this.refreshPeriod = refreshPeriod;
        this.redis = redis;
        this.history = history;
        this.epoch = epoch;
        this.keys = redis.keys();
        this.timeout = redis.timeout();
        this.onReconnect = onReconnect;
        this.delivery = new RedisDelivery(history);
    }

    /** Starts the reader thread, which connects, subscribes and delivers to {@code listener}. */
    @Override
    public void start(BrokerListener listener) {
        delivery.start(listener);
        reader = Thread.ofPlatform().daemon().name("herald-redis-subscriber").start(this::run);
        refresher = Daemons.every("herald-sequence-refresh", refreshPeriod, this::refresh);
    }

    /**
     * Keeps the id counters of the channels this pod reads alive, so that they outlive every cursor a stream here
     * wrote ({@link RedisHistory#sequenceTtl}); a failure is retried at the next period (fills on reconnect refresh
     * too).
     */
    private void refresh() {
        if (wanted.isEmpty()) {
            return;
        }
        try {
            history.refresh(List.copyOf(wanted));
        } catch (JedisException e) {
            LOG.fine(() -> "Could not refresh the id counters; retrying in " + refreshPeriod + ": " + e.getMessage());
        }
    }

    @Override
    public boolean connected() {
        return current != null;
    }

    /** Subscribes and waits for Redis to confirm; events published from then on reach the hub. */
    @Override
    public void subscribe(String channel) {
        CompletableFuture<Void> confirmation = new CompletableFuture<>();
        confirmed.put(channel, confirmation);
        try {
            delivery.follow(channel, history.head(channel));
        } catch (JedisException | NumberFormatException e) {
            forget(channel);
            throw new BrokerUnavailableException("Redis is unreachable: " + e.getMessage(), e);
        }
        wanted.add(channel);
        send(channel, true);
        PubSubReader.awaitConfirmation(confirmation, timeout, channel, () -> forget(channel));
    }

    /**
     * The last id handed to the hub for a channel this pod is subscribed to, else null. Written before the hub
     * delivers the event, so a subscription registered before this read misses nothing after the value.
     */
    @Override
    public Long delivered(String channel) {
        return delivery.last(channel);
    }

    @Override
    public void unsubscribe(String channel) {
        forget(channel);
        send(channel, false);
    }

    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService running = refresher;
        if (running != null) {
            running.shutdownNow();
        }
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
        delivery.forget(channel);
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
        long backoff = FIRST_BACKOFF_MILLIS;
        boolean first = true;
        while (!closed) {
            if (!first) {
                onReconnect.run();
            }
            first = false;
            Listener listener = new Listener();
            try (Connection c = redis.openPubSub()) {
                connection = c;
                if (epoch.sync()) {
                    delivery.historyLost();
                }
                listener.proceed(c, keys.control());
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
            // a connection that held (subscribed) starts the backoff over: each later drop costs the first step only
            if (listener.established) {
                backoff = FIRST_BACKOFF_MILLIS;
            }
            // jittered, so that pods dropped together do not come back in lockstep
            awaitBackoff(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
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

    /** Callbacks, all on the reader thread. */
    private final class Listener extends JedisPubSub {
        /** The connection held: Redis confirmed the control channel. Read after {@code proceed} returns or fails. */
        private volatile boolean established;

        @Override
        public void onSubscribe(String pubsub, int count) {
            if (pubsub.equals(keys.control())) {
                established = true;
                current = this;
                delivery.listener().controlListening();
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
            delivery.fill(channel);
            CompletableFuture<Void> confirmation = confirmed.computeIfAbsent(channel, c -> new CompletableFuture<>());
            confirmation.complete(null);
        }

        @Override
        public void onMessage(String pubsub, String message) {
            if (pubsub.equals(keys.control())) {
                RedisSubscriber.control(delivery.listener(), message);
                return;
            }
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
                delivery.historyLost();
            }
            long id = Long.parseLong(message, a + 1, b, 10);
            long at = Long.parseLong(message, b + 1, c, 10);
            delivery.live(RedisDelivery.event(channel, id, at, message, c + 1));
        }
    }
}
