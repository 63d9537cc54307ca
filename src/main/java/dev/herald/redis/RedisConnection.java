package dev.herald.redis;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Daemons;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The pod's one way to Redis, shared by the broker, its subscriber, presence, the connection leases and the rate
 * limiter (as Centrifuge's {@code RedisShard}): where Redis is ({@link RedisUrl}: one server, a master found through
 * Sentinel, or a Redis Cluster) and how to log in, the key layout, the command client (pooled; with Sentinel it
 * follows failovers) and new pub/sub connections. Built from the URL without connecting; {@link #start} opens the
 * client and checks that Redis answers (with Sentinel it also starts the master watch). Thread-safe: the client is
 * set once by {@link #start} (volatile); the subscriber's connection may be closed by the master watch's thread.
 */
public final class RedisConnection {
    private static final Logger LOG = Logger.getLogger(RedisConnection.class.getName());
    /** Enough connections for many virtual threads at once (Jedis' default of 8 makes commons-pool spin). */
    private static final int POOL_SIZE = 128;
    /** Sockets this holder may open at once: the pool and the subscriber's pub/sub connection (the file budget). */
    public static final int MAX_SOCKETS = POOL_SIZE + 1;

    /**
     * The sockets a pod opens to Redis at most, for the open-files budget: one server's pool and the subscriber's
     * connection; with Sentinel also one listener per sentinel and a master lookup; on a Redis Cluster a pool and a
     * sharded subscriber connection per node named as a seed, and a topology read (nodes that are not seeds are not
     * counted: list every master as a seed). An unreadable URL counts as one server (start refuses it later).
     */
    public static int maxSockets(String url) {
        try {
            return switch (RedisUrl.parse(url)) {
                case RedisUrl.Standalone s -> MAX_SOCKETS;
                case RedisUrl.Sentinel s -> MAX_SOCKETS + s.sentinels().size() + 1;
                case RedisUrl.Cluster c -> MAX_SOCKETS * c.seeds().size() + 1;
            };
        } catch (IllegalArgumentException e) {
            return MAX_SOCKETS;
        }
    }
    /** How often Sentinel mode compares the subscriber's master with the command client's (no I/O). */
    private static final Duration MASTER_WATCH = Duration.ofMillis(250);

    private final RedisUrl url;
    /** For the Redis servers: timeouts, login, database, TLS. */
    private final JedisClientConfig config;
    /** For the sentinels: the same timeouts and TLS, no login, no database. */
    private final JedisClientConfig sentinelConfig;
    private final RedisKeys keys;
    private final Duration timeout;
    private final ReplicaAck replicaAck;
    private volatile UnifiedJedis client;
    /** Sentinel only: the subscriber's connection, the master it went to, and Jedis' master at that moment. */
    private volatile PubSub pubSub;
    /** Sentinel only: drops the subscriber's connection when the master moved without dropping it. */
    private volatile ScheduledExecutorService masterWatch;

    private record PubSub(Connection connection, HostAndPort master, HostAndPort commandMaster) {
    }

    /** With the JVM's default TLS trust (for {@code rediss://}), no waiting for replicas. */
    public RedisConnection(String url, String prefix, Duration timeout) {
        this(url, prefix, timeout, RedisTls.DEFAULT, ReplicaAck.NONE);
    }

    /**
     * @param url     one of the {@link RedisUrl} forms
     * @param prefix  the first part of every key and pub/sub channel name
     * @param timeout connect and command timeout
     * @param tls     the trust and key stores of {@code rediss://} forms
     * @param replicaAck how many replicas must have a publish before it answers ({@link ReplicaAck})
     * @throws IllegalArgumentException when the URL is not a Redis URL (the message never shows a password)
     */
    public RedisConnection(String url, String prefix, Duration timeout, RedisTls tls, ReplicaAck replicaAck) {
        this.url = RedisUrl.parse(url);
        this.config = config(timeout, this.url, tls, true);
        this.sentinelConfig = config(timeout, this.url, tls, false);
        this.keys = new RedisKeys(prefix, this.url instanceof RedisUrl.Cluster);
        this.timeout = timeout;
        this.replicaAck = replicaAck;
    }

    /**
     * Opens the command client and checks that Redis answers with this pod's credentials.
     *
     * @throws BrokerUnavailableException when Redis cannot be reached or refuses (the client is closed again)
     */
    public void start() {
        UnifiedJedis opened;
        try {
            opened = open();
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis at " + address() + " did not answer: " + e.getMessage(), e);
        }
        try {
            opened.ping();
        } catch (JedisException e) {
            opened.close();
            throw new BrokerUnavailableException("Redis at " + address() + " did not answer: " + e.getMessage(), e);
        }
        client = opened;
        if (url instanceof RedisUrl.Sentinel) {
            masterWatch = Daemons.every("herald-redis-master-watch", MASTER_WATCH, this::watchMaster);
        }
    }

    /**
     * A failover that demotes a live master (a manual {@code SENTINEL FAILOVER}) leaves the subscriber connected to
     * it until Sentinel reconfigures it (seconds later), while publishes already go to the new master: once Jedis'
     * command client has moved ({@code +switch-master}), the subscriber's connection is closed so that it
     * reconnects to the new master and fills the gap from history.
     */
    private void watchMaster() {
        PubSub open = pubSub;
        if (open == null || !(client instanceof RedisSentinelClient sentinel)) {
            return;
        }
        HostAndPort now = sentinel.getCurrentMaster();
        if (now != null && !now.equals(open.commandMaster()) && !now.equals(open.master())) {
            LOG.info(() -> "The Redis master moved to " + RedisUrl.show(now) + "; the subscriber reconnects");
            pubSub = null;
            open.connection().disconnect();
        }
    }

    private UnifiedJedis open() {
        return switch (url) {
            case RedisUrl.Standalone s -> RedisClient.builder().hostAndPort(s.address()).clientConfig(config)
                    .poolConfig(pool(timeout)).build();
            case RedisUrl.Sentinel s -> RedisSentinelClient.builder().masterName(s.masterName())
                    .sentinels(new LinkedHashSet<>(s.sentinels())).sentinelClientConfig(sentinelConfig)
                    .clientConfig(config).poolConfig(pool(timeout)).build();
            // a cluster client reads the slot map from a seed while it is built
            case RedisUrl.Cluster c -> RedisClusterClient.builder().nodes(new LinkedHashSet<>(c.seeds()))
                    .clientConfig(config).poolConfig(pool(timeout))
                    .maxTotalRetriesDuration(timeout.multipliedBy(2)).build();
        };
    }

    /** The command client; only after {@link #start}. */
    UnifiedJedis client() {
        UnifiedJedis started = client;
        if (started == null) {
            throw new IllegalStateException("the Redis connection is not started");
        }
        return started;
    }

    RedisKeys keys() {
        return keys;
    }

    Duration timeout() {
        return timeout;
    }

    ReplicaAck replicaAck() {
        return replicaAck;
    }

    /**
     * A new connection outside the pool, for the subscriber (a subscribed connection can run nothing else). With
     * Sentinel it goes to the master the sentinels name now, so a subscriber that reconnects after a failover finds
     * the promoted replica.
     *
     * @throws JedisConnectionException when no server (or no sentinel) answers
     */
    Connection openPubSub() {
        return switch (url) {
            case RedisUrl.Standalone s -> new Connection(s.address(), config);
            case RedisUrl.Sentinel s -> {
                HostAndPort master = master(s);
                Connection c = new Connection(master, config);
                pubSub = new PubSub(c, master, client instanceof RedisSentinelClient sentinel
                                                ? sentinel.getCurrentMaster() : null);
                yield c;
            }
            case RedisUrl.Cluster c -> first(c.seeds());
        };
    }

    /** A new connection to one node outside the pools: a shard's subscriber, a topology read. */
    Connection openPubSub(HostAndPort node) {
        return new Connection(node, config);
    }

    /**
     * True for a Redis Cluster ({@code redis-cluster://}): the client is a {@link RedisClusterClient} (a pool per
     * node, commands routed by slot, MOVED followed) and the pod's subscriber is {@link RedisShardedSubscriber}
     * (sharded pub/sub, one connection per master).
     */
    boolean cluster() {
        return url instanceof RedisUrl.Cluster;
    }

    /** The seed nodes of a Redis Cluster (empty for one Redis). */
    Set<HostAndPort> seeds() {
        return url instanceof RedisUrl.Cluster c ? new LinkedHashSet<>(c.seeds()) : Set.of();
    }

    JedisClientConfig clientConfig() {
        return config;
    }

    /** Asks the sentinels in turn where the master is; the first answer wins. */
    private HostAndPort master(RedisUrl.Sentinel sentinel) {
        JedisException last = null;
        for (HostAndPort address : sentinel.sentinels()) {
            try (Jedis jedis = new Jedis(address, sentinelConfig)) {
                List<String> master = jedis.sentinelGetMasterAddrByName(sentinel.masterName());
                if (master != null && master.size() == 2) {
                    return new HostAndPort(master.get(0), Integer.parseInt(master.get(1)));
                }
                LOG.fine(() -> "Sentinel " + RedisUrl.show(address) + " does not know " + sentinel.masterName());
            } catch (JedisException e) {
                last = e;
            }
        }
        throw new JedisConnectionException("no sentinel of " + address() + " named the master"
                                           + (last == null ? "" : ": " + last.getMessage()), last);
    }

    private Connection first(List<HostAndPort> nodes) {
        JedisException last = null;
        for (HostAndPort node : nodes) {
            try {
                Connection c = new Connection(node, config);
                c.connect();
                return c;
            } catch (JedisException e) {
                last = e;
            }
        }
        throw new JedisConnectionException("no node of " + address() + " answered", last);
    }

    /** Where Redis is, for logs and errors (never the password). */
    public String address() {
        return switch (url) {
            case RedisUrl.Standalone s -> RedisUrl.show(s.address());
            case RedisUrl.Sentinel s -> "master " + s.masterName() + " via sentinels " + hosts(s.sentinels());
            case RedisUrl.Cluster c -> "cluster " + hosts(c.seeds());
        };
    }

    /** Closes the client; idempotent. */
    public void close() {
        ScheduledExecutorService watch = masterWatch;
        masterWatch = null;
        if (watch != null) {
            watch.shutdownNow();
        }
        pubSub = null;
        UnifiedJedis started = client;
        client = null;
        if (started != null) {
            started.close();
        }
    }

    // ssl(boolean) is deprecated for SslOptions; without a trust store rediss:// keeps the JVM's default trust
    @SuppressWarnings("deprecation")
    private static JedisClientConfig config(Duration timeout, RedisUrl url, RedisTls tls, boolean server) {
        int millis = (int) timeout.toMillis();
        DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .ssl(url.tls());
        SslOptions options = url.tls() ? tls.options() : null;
        if (options != null) {
            builder.sslOptions(options);
        }
        if (server) {
            builder.user(url.user()).password(url.password())
                    .database(url instanceof RedisUrl.Standalone s ? s.database()
                              : url instanceof RedisUrl.Sentinel s ? s.database() : 0);
        }
        return builder.build();
    }

    private static String hosts(List<HostAndPort> hosts) {
        return String.join(",", hosts.stream().map(RedisUrl::show).toList());
    }

    /** A bounded wait when every pooled connection is busy. */
    private static GenericObjectPoolConfig<Connection> pool(Duration timeout) {
        GenericObjectPoolConfig<Connection> config = new GenericObjectPoolConfig<>();
        config.setMaxTotal(POOL_SIZE);
        config.setMaxIdle(POOL_SIZE);
        config.setMinIdle(0);
        config.setBlockWhenExhausted(true);
        config.setMaxWait(timeout.multipliedBy(2));
        config.setJmxEnabled(false);
        return config;
    }
}
