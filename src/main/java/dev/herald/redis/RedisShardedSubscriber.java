package dev.herald.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Daemons;

import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisShardedPubSub;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.ClusterShardInfo;
import redis.clients.jedis.resps.ClusterShardNodeInfo;

/**
 * The pod's reader on a Redis Cluster: sharded pub/sub ({@code SSUBSCRIBE}), one connection and one platform thread
 * per master, each subscribed to the wanted channels whose hash slot that master serves (plus a keep-alive channel
 * of its own, and the probe channel on the master of its slot). An event thus reaches only its shard and the pods
 * that follow its channel. Delivery follows the same rules as on one Redis ({@link RedisDelivery}): each
 * (re)subscription fills the channel's gap from history first, and a changed epoch of the channel's slot (that
 * shard lost its data) resyncs the channels of that slot only.
 *
 * <p>Topology: the slot map comes from {@code CLUSTER SHARDS}, read at start and again whenever a shard's connection
 * ends or Redis unsubscribes a channel the hub still wants ({@code SUNSUBSCRIBE} sent when its slot moved): a channel
 * is then subscribed again at its new master, whose confirmation fills the gap. A master that died is replaced in
 * the map once a replica is promoted; until then its shard thread keeps trying with a jittered backoff, and
 * {@link #connected} is false.
 *
 * <p>Threads: one reader per shard runs callbacks; connection threads call {@link #subscribe}/{@link #unsubscribe}.
 * The slot map and the shards change under {@code topology}; commands to a shard's connection are written under its
 * {@code commands} lock, never while waiting for {@code topology}.
 */
final class RedisShardedSubscriber implements PubSubReader {
    private static final Logger LOG = Logger.getLogger(RedisShardedSubscriber.class.getName());
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 2_000;

    private final RedisConnection redis;
    private final RedisHistory history;
    private final RedisEpoch epoch;
    private final RedisKeys keys;
    private final Duration timeout;
    private final Runnable onReconnect;
    private final Duration refreshPeriod;
    private final RedisDelivery delivery;
    /** Channels the hub wants, and the probe channel: the source of truth for (re)subscribing. */
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    /** Per channel, completed when its master confirms the subscription. */
    private final Map<String, CompletableFuture<Void>> confirmed = new ConcurrentHashMap<>();
    /** Guards the slot map and the shards. */
    private final Object topology = new Object();
    /** Slot → its master; replaced whole under {@code topology}. */
    private volatile HostAndPort[] owners = new HostAndPort[RedisKeys.SLOTS];
    /** Master → its shard; changed under {@code topology}. */
    private final Map<HostAndPort, Shard> shards = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService refresher;
    private volatile boolean closed;

    RedisShardedSubscriber(RedisConnection redis, RedisHistory history, RedisEpoch epoch, Duration refreshPeriod,
                           Runnable onReconnect) {
        this.redis = redis;
        this.history = history;
        this.epoch = epoch;
        this.keys = redis.keys();
        this.timeout = redis.timeout();
        this.onReconnect = onReconnect;
        this.refreshPeriod = refreshPeriod;
        this.delivery = new RedisDelivery(history);
    }

    @Override
    public void start(BrokerListener listener) {
        delivery.start(listener);
        wanted.add(RedisKeys.PROBE_CHANNEL);
        try {
            refreshTopology();
        } catch (JedisException e) {
            LOG.warning("Redis Cluster slots unreadable at start; retrying: " + e.getMessage());
        }
        refresher = Daemons.every("herald-sequence-refresh", refreshPeriod, this::refresh);
    }

    /** Keeps the id counters of the channels this pod reads alive, and the slot map current (see RedisSubscriber). */
    private void refresh() {
        try {
            if (shards.isEmpty()) {
                refreshTopology();
            }
            List<String> channels = new ArrayList<>(wanted);
            channels.remove(RedisKeys.PROBE_CHANNEL);
            if (!channels.isEmpty()) {
                history.refresh(channels);
            }
        } catch (JedisException e) {
            LOG.fine(() -> "Could not refresh the id counters; retrying in " + refreshPeriod + ": " + e.getMessage());
        }
    }

    @Override
    public boolean connected() {
        return !shards.isEmpty() && shards.values().stream().allMatch(shard -> shard.current != null);
    }

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
        Shard shard = owner(channel);
        if (shard != null) {
            shard.send(channel, true);
        }
        PubSubReader.awaitConfirmation(confirmation, timeout, channel, () -> forget(channel));
    }

    @Override
    public Long delivered(String channel) {
        return delivery.last(channel);
    }

    @Override
    public void unsubscribe(String channel) {
        forget(channel);
        Shard shard = owner(channel);
        if (shard != null) {
            shard.send(channel, false);
        }
    }

    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService running = refresher;
        if (running != null) {
            running.shutdownNow();
        }
        List<Shard> all;
        synchronized (topology) {
            all = new ArrayList<>(shards.values());
        }
        all.forEach(Shard::retire);
        for (Shard shard : all) {
            try {
                shard.thread.join(Duration.ofSeconds(5));
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

    /** The shard of the channel's slot, reading the slot map when the slot has no known master. */
    private Shard owner(String channel) {
        int slot = RedisKeys.slot(channel);
        HostAndPort node = owners[slot];
        if (node == null) {
            try {
                refreshTopology();
            } catch (JedisException e) {
                return null;
            }
            node = owners[slot];
        }
        return node == null ? null : shards.get(node);
    }

    /**
     * Reads the slot map from any node that answers, starts a shard for each new master, retires the shards of nodes
     * that serve no slot any more, and subscribes each wanted channel at its master (a no-op where it already is).
     */
    private void refreshTopology() {
        Set<HostAndPort> nodes = new LinkedHashSet<>(redis.seeds());
        nodes.addAll(shards.keySet());
        JedisException failure = null;
        for (HostAndPort node : nodes) {
            HostAndPort[] found;
            try (Jedis jedis = new Jedis(node, redis.clientConfig())) {
                found = owners(jedis.clusterShards());
            } catch (JedisException e) {
                failure = e;
                continue;
            }
            apply(found);
            return;
        }
        throw failure != null ? failure : new JedisException("no Redis Cluster node to ask for the slots");
    }

    private void apply(HostAndPort[] found) {
        List<Shard> retired = new ArrayList<>();
        List<Shard> started = new ArrayList<>();
        synchronized (topology) {
            if (closed) {
                return;
            }
            owners = found;
            Set<HostAndPort> masters = new HashSet<>();
            for (HostAndPort node : found) {
                if (node != null) {
                    masters.add(node);
                }
            }
            for (HostAndPort master : masters) {
                if (!shards.containsKey(master)) {
                    Shard shard = new Shard(master);
                    shards.put(master, shard);
                    started.add(shard);
                }
            }
            for (Map.Entry<HostAndPort, Shard> entry : new HashMap<>(shards).entrySet()) {
                if (!masters.contains(entry.getKey())) {
                    shards.remove(entry.getKey());
                    retired.add(entry.getValue());
                }
            }
        }
        started.forEach(Shard::start);
        retired.forEach(Shard::retire);
        for (String channel : wanted) {
            HostAndPort node = found[RedisKeys.slot(channel)];
            Shard shard = node == null ? null : shards.get(node);
            if (shard != null && !shard.holds(channel)) {
                shard.send(channel, true);
            }
        }
    }

    /** Slot → master from {@code CLUSTER SHARDS} (Redis 7): each shard's slot ranges and its node whose role is master. */
    private static HostAndPort[] owners(List<ClusterShardInfo> found) {
        HostAndPort[] map = new HostAndPort[RedisKeys.SLOTS];
        for (ClusterShardInfo shard : found) {
            HostAndPort master = null;
            for (ClusterShardNodeInfo node : shard.getNodes()) {
                // a master marked failed is kept only until a replica takes its place
                if ("master".equals(node.getRole()) && (master == null || !"fail".equals(node.getHealth()))) {
                    master = new HostAndPort(node.getIp(), node.getPort().intValue());
                }
            }
            if (master == null) {
                continue;
            }
            for (List<Long> range : shard.getSlots()) {
                for (long slot = range.get(0); slot <= range.get(1); slot++) {
                    map[(int) slot] = master;
                }
            }
        }
        return map;
    }

    /** A wanted channel's slot changed epoch (its shard lost its data): every channel of that slot resyncs. */
    private void slotLost(int slot) {
        for (String channel : wanted) {
            if (!channel.equals(RedisKeys.PROBE_CHANNEL) && RedisKeys.slot(channel) == slot) {
                delivery.lost(channel);
            }
        }
    }

    /** One master: its pub/sub connection, the thread that reads it and reconnects while the node is a master. */
    private final class Shard {
        private final HostAndPort node;
        private final ReentrantLock commands = new ReentrantLock();
        private final Object backoff = new Object();
        /** Channels whose subscription this connection confirmed. */
        private final Set<String> held = ConcurrentHashMap.newKeySet();
        private volatile Listener current;
        private volatile Connection connection;
        private volatile boolean retired;
        private final Thread thread;

        Shard(HostAndPort node) {
            this.node = node;
            this.thread = Thread.ofPlatform().daemon().name("herald-redis-shard-" + node.getPort()).unstarted(this::run);
        }

        void start() {
            thread.start();
        }

        boolean holds(String channel) {
            return held.contains(channel);
        }

        void retire() {
            retired = true;
            Connection c = connection;
            if (c != null) {
                c.disconnect();
            }
            synchronized (backoff) {
                backoff.notifyAll();
            }
        }

        /** Writes SSUBSCRIBE/SUNSUBSCRIBE when connected; when not, the reader subscribes what it owns on connect. */
        void send(String channel, boolean subscribe) {
            commands.lock();
            try {
                Listener listener = current;
                if (listener != null) {
                    if (subscribe) {
                        listener.ssubscribe(keys.pubsub(channel));
                    } else {
                        held.remove(channel);
                        listener.sunsubscribe(keys.pubsub(channel));
                    }
                }
            } catch (JedisException e) {
                LOG.fine(() -> "Sharded pub/sub command failed; the reconnect will resubscribe: " + e.getMessage());
            } finally {
                commands.unlock();
            }
        }

        /** The first slot this node serves, for its keep-alive channel; -1 when it serves none. */
        private int firstSlot() {
            HostAndPort[] map = owners;
            for (int slot = 0; slot < map.length; slot++) {
                if (node.equals(map[slot])) {
                    return slot;
                }
            }
            return -1;
        }

        private void run() {
            long wait = FIRST_BACKOFF_MILLIS;
            boolean first = true;
            while (!closed && !retired) {
                int slot = firstSlot();
                if (slot < 0) {
                    break;
                }
                if (!first) {
                    onReconnect.run();
                }
                first = false;
                Listener listener = new Listener(this);
                try (Connection c = redis.openPubSub(node)) {
                    connection = c;
                    if (retired) {
                        break;
                    }
                    listener.proceed(c, keys.keepAlive(slot));
                } catch (JedisException | NumberFormatException e) {
                    if (!closed && !retired) {
                        LOG.warning("Redis shard " + node + " subscriber disconnected (" + e.getMessage()
                                    + "); reconnecting in about " + wait + " ms");
                    }
                } catch (RuntimeException e) {
                    if (!closed && !retired) {
                        LOG.log(Level.SEVERE, "Redis shard " + node + " subscriber failed", e);
                    }
                } finally {
                    current = null;
                    connection = null;
                    held.clear();
                }
                if (closed || retired) {
                    break;
                }
                if (listener.established) {
                    wait = FIRST_BACKOFF_MILLIS;
                }
                pause(wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1));
                wait = Math.min(MAX_BACKOFF_MILLIS, wait * 2);
                try {
                    // a failover or a resharding moves slots: this node may serve others now, or none
                    refreshTopology();
                } catch (JedisException e) {
                    LOG.fine(() -> "Redis Cluster slots unreadable: " + e.getMessage());
                }
            }
        }

        private void pause(long millis) {
            long until = System.currentTimeMillis() + millis;
            synchronized (backoff) {
                long left = millis;
                while (!closed && !retired && left > 0) {
                    try {
                        backoff.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    left = until - System.currentTimeMillis();
                }
            }
        }
    }

    /** Callbacks of one shard's connection, on its reader thread. */
    private final class Listener extends JedisShardedPubSub {
        private final Shard shard;
        /** The keep-alive channel was confirmed. */
        private volatile boolean established;

        Listener(Shard shard) {
            this.shard = shard;
        }

        @Override
        public void onSSubscribe(String pubsub, int count) {
            if (keys.isKeepAlive(pubsub)) {
                established = true;
                shard.commands.lock();
                try {
                    shard.current = this;
                    HostAndPort[] map = owners;
                    for (String channel : wanted) {
                        if (shard.node.equals(map[RedisKeys.slot(channel)])) {
                            ssubscribe(keys.pubsub(channel));
                        }
                    }
                } finally {
                    shard.commands.unlock();
                }
                return;
            }
            String channel = keys.channelOf(pubsub);
            if (channel == null) {
                return;
            }
            if (!wanted.contains(channel)) {
                // unsubscribed while this subscription was on its way
                shard.send(channel, false);
                return;
            }
            shard.held.add(channel);
            if (!channel.equals(RedisKeys.PROBE_CHANNEL)) {
                int slot = RedisKeys.slot(channel);
                if (epoch.syncSlot(slot)) {
                    slotLost(slot);
                }
                delivery.fill(channel);
            } else {
                delivery.listener().controlListening();
            }
            CompletableFuture<Void> confirmation = confirmed.get(channel);
            if (confirmation != null) {
                confirmation.complete(null);
            }
        }

        @Override
        public void onSUnsubscribe(String pubsub, int count) {
            String channel = keys.channelOf(pubsub);
            if (channel == null || !shard.held.remove(channel) || !wanted.contains(channel)) {
                return;
            }
            // Redis dropped a subscription the hub still wants: its slot moved to another master
            LOG.info(() -> "The slot of " + channel + " left " + shard.node + "; subscribing at its new master");
            try {
                refreshTopology();
            } catch (JedisException e) {
                LOG.fine(() -> "Redis Cluster slots unreadable: " + e.getMessage());
            }
        }

        @Override
        public void onSMessage(String pubsub, String message) {
            String channel = keys.channelOf(pubsub);
            if (channel == null || !wanted.contains(channel)) {
                return;
            }
            if (channel.equals(RedisKeys.PROBE_CHANNEL)) {
                RedisSubscriber.control(delivery.listener(), message);
                return;
            }
            int a = message.indexOf(' ');
            int b = message.indexOf(' ', a + 1);
            int c = message.indexOf(' ', b + 1);
            if (a < 0 || b < 0 || c < 0) {
                LOG.warning("Ignoring a malformed message on " + pubsub);
                return;
            }
            int slot = RedisKeys.slot(channel);
            if (epoch.adoptSlot(slot, message.substring(0, a))) {
                slotLost(slot);
            }
            long id = Long.parseLong(message, a + 1, b, 10);
            long at = Long.parseLong(message, b + 1, c, 10);
            delivery.live(RedisDelivery.event(channel, id, at, message, c + 1));
        }
    }
}
