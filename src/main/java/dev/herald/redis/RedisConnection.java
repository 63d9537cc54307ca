package dev.herald.redis;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.herald.hub.BrokerUnavailableException;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The pod's one way to Redis, shared by the broker, its subscriber, presence, the connection leases and the rate
 * limiter (as Centrifuge's {@code RedisShard}): where Redis is and how to log in, the key layout, the command client
 * (a pool) and new pub/sub connections. Built from the URL without connecting; {@link #start} opens the pool and
 * checks that Redis answers. Thread-safe: the client is a pool, set once by {@link #start} (volatile).
 *
 * <p>A {@code redis-cluster://host:port[,host:port…]} URL names seed nodes of a Redis Cluster: the client is then a
 * {@link RedisClusterClient} (a pool per node, commands routed by slot, MOVED followed) and the pod's subscriber is
 * {@link RedisShardedSubscriber} (sharded pub/sub, one connection per master).
 */
public final class RedisConnection {
    /** Enough connections for many virtual threads at once (Jedis' default of 8 makes commons-pool spin). */
    private static final int POOL_SIZE = 128;
    /**
     * Sockets this holder may open at once on one Redis: the pool and the subscriber's pub/sub connection (the file
     * budget). A Redis Cluster holds a pool per node and a pub/sub connection per master: not counted here.
     */
    public static final int MAX_SOCKETS = POOL_SIZE + 1;

    /** The scheme of a Redis Cluster URL: seed nodes, comma-separated. */
    static final String CLUSTER_SCHEME = "redis-cluster";

    private final HostAndPort address;
    /** The seed nodes of a Redis Cluster, or null for one Redis. */
    private final Set<HostAndPort> seeds;
    private final JedisClientConfig config;
    private final RedisKeys keys;
    private final Duration timeout;
    private volatile UnifiedJedis client;

    /**
     * @param url     {@code redis://[user:password@]host:port[/db]}, {@code rediss://…}, or
     *                {@code redis-cluster://[user:password@]host:port[,host:port…]} (seed nodes)
     * @param prefix  the first part of every key and pub/sub channel name
     * @param timeout connect and command timeout
     * @throws IllegalArgumentException when the URL is not a Redis URL (the message never shows a password)
     */
    public RedisConnection(String url, String prefix, Duration timeout) {
        if (url.startsWith(CLUSTER_SCHEME + "://")) {
            // the seed list is not a URI authority: parse each node as a redis:// URL of its own
            String rest = url.substring(CLUSTER_SCHEME.length() + 3);
            int at = rest.lastIndexOf('@');
            String login = at < 0 ? "" : rest.substring(0, at + 1);
            String nodes = (at < 0 ? rest : rest.substring(at + 1)).replaceFirst("/.*$", "");
            Set<HostAndPort> found = new LinkedHashSet<>();
            URI first = null;
            for (String node : nodes.split(",", -1)) {
                URI one = uri("redis://" + login + node.trim(), url);
                first = first == null ? one : first;
                found.add(JedisURIHelper.getHostAndPort(one));
            }
            this.config = config(first, timeout, false);
            this.address = found.iterator().next();
            this.seeds = Set.copyOf(found);
        } else {
            URI uri = uri(url, url);
            this.config = config(uri, timeout, JedisURIHelper.isRedisSSLScheme(uri));
            this.address = JedisURIHelper.getHostAndPort(uri);
            this.seeds = null;
        }
        this.keys = new RedisKeys(prefix, seeds != null);
        this.timeout = timeout;
    }

    private static URI uri(String text, String url) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a redis:// URL: " + redact(url));
        }
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("not a redis:// URL: " + redact(url));
        }
        return uri;
    }

    // ssl(boolean) is deprecated for SslOptions; rediss:// keeps the JVM's default trust until TLS settings come
    @SuppressWarnings("deprecation")
    private static JedisClientConfig config(URI uri, Duration timeout, boolean ssl) {
        int millis = (int) timeout.toMillis();
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri))
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(ssl)
                .build();
    }

    /**
     * Opens the command pool and checks that Redis answers with this pod's credentials.
     *
     * @throws BrokerUnavailableException when Redis cannot be reached or refuses (the pool is closed again)
     */
    public void start() {
        UnifiedJedis opened = null;
        try {
            // a cluster client reads the slot map from a seed while it is built
            opened = seeds == null
                    ? RedisClient.builder().hostAndPort(address).clientConfig(config).poolConfig(pool(timeout)).build()
                    : RedisClusterClient.builder().nodes(seeds).clientConfig(config).poolConfig(pool(timeout))
                            .maxTotalRetriesDuration(timeout.multipliedBy(2)).build();
            opened.ping();
        } catch (JedisException e) {
            if (opened != null) {
                opened.close();
            }
            throw new BrokerUnavailableException("Redis at " + address + " did not answer: " + e.getMessage(), e);
        }
        client = opened;
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

    /** A new connection outside the pool, for the subscriber (a subscribed connection can run nothing else). */
    Connection openPubSub() {
        return openPubSub(address);
    }

    /** A new connection to one node outside the pools: a shard's subscriber, a topology read. */
    Connection openPubSub(HostAndPort node) {
        return new Connection(node, config);
    }

    /** True for a Redis Cluster ({@code redis-cluster://}). */
    boolean cluster() {
        return seeds != null;
    }

    /** The seed nodes of a Redis Cluster (empty for one Redis). */
    Set<HostAndPort> seeds() {
        return seeds == null ? Set.of() : seeds;
    }

    JedisClientConfig clientConfig() {
        return config;
    }

    /** {@code host:port}, for logs (never the password). */
    public String address() {
        return address.toString();
    }

    /** Closes the pool; idempotent. */
    public void close() {
        UnifiedJedis started = client;
        client = null;
        if (started != null) {
            started.close();
        }
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

    private static String redact(String url) {
        return url.replaceAll("//[^@/]*@", "//***@");
    }
}
