package dev.herald.redis;

import java.net.URI;
import java.time.Duration;

import dev.herald.hub.BrokerUnavailableException;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The pod's one way to Redis, shared by the broker, its subscriber, presence, the connection leases and the rate
 * limiter (as Centrifuge's {@code RedisShard}): where Redis is and how to log in, the key layout, the command client
 * (a pool) and new pub/sub connections. Built from the URL without connecting; {@link #start} opens the pool and
 * checks that Redis answers. Thread-safe: the client is a pool, set once by {@link #start} (volatile).
 */
public final class RedisConnection {
    /** Enough connections for many virtual threads at once (Jedis' default of 8 makes commons-pool spin). */
    private static final int POOL_SIZE = 128;
    /** Sockets this holder may open at once: the pool and the subscriber's pub/sub connection (the file budget). */
    public static final int MAX_SOCKETS = POOL_SIZE + 1;

    private final HostAndPort address;
    private final JedisClientConfig config;
    private final RedisKeys keys;
    private final Duration timeout;
    private volatile RedisClient client;

    /**
     * @param url     {@code redis://[user:password@]host:port[/db]} or {@code rediss://…}
     * @param prefix  the first part of every key and pub/sub channel name
     * @param timeout connect and command timeout
     * @throws IllegalArgumentException when the URL is not a Redis URL (the message never shows a password)
     */
    // ssl(boolean) is deprecated for SslOptions; rediss:// keeps the JVM's default trust until TLS settings come
    @SuppressWarnings("deprecation")
    public RedisConnection(String url, String prefix, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a redis:// URL: " + redact(url));
        }
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("not a redis:// URL: " + redact(url));
        }
        int millis = (int) timeout.toMillis();
        this.config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri))
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri))
                .build();
        this.address = JedisURIHelper.getHostAndPort(uri);
        this.keys = new RedisKeys(prefix);
        this.timeout = timeout;
    }

    /**
     * Opens the command pool and checks that Redis answers with this pod's credentials.
     *
     * @throws BrokerUnavailableException when Redis cannot be reached or refuses (the pool is closed again)
     */
    public void start() {
        RedisClient opened = RedisClient.builder().hostAndPort(address).clientConfig(config).poolConfig(pool(timeout))
                .build();
        try {
            opened.ping();
        } catch (JedisException e) {
            opened.close();
            throw new BrokerUnavailableException("Redis at " + address + " did not answer: " + e.getMessage(), e);
        }
        client = opened;
    }

    /** The command client; only after {@link #start}. */
    RedisClient client() {
        RedisClient started = client;
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
        return new Connection(address, config);
    }

    /** {@code host:port}, for logs (never the password). */
    public String address() {
        return address.toString();
    }

    /** Closes the pool; idempotent. */
    public void close() {
        RedisClient started = client;
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
