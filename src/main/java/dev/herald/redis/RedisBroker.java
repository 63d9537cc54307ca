package dev.herald.redis;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

import dev.herald.hub.Broker;
import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Event;
import dev.herald.hub.RateLimitedException;
import dev.herald.hub.RateLimiter;
import dev.herald.hub.Replay;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Clustered mode's broker: publishing is one Lua script (id, history, publish), delivery comes through the
 * pod's one {@link RedisSubscriber} thread, history is a Redis Stream per channel. Thread-safe: the command
 * client is a connection pool; the epoch is a volatile field written by the subscriber thread and publishers.
 */
public final class RedisBroker implements Broker {
    private static final Logger LOG = Logger.getLogger(RedisBroker.class.getName());
    private static final int POOL_SIZE = 128;

    private final RedisClient redis;
    private final RedisKeys keys;
    private final RedisSubscriber subscriber;
    private final int historySize;
    private final long historyTtlMillis;
    private volatile String publishSha;
    private volatile String epoch = "0";
    private volatile BrokerListener listener;

    public RedisBroker(String url, String prefix, Duration timeout, int historySize, Duration historyTtl,
                       Runnable onReconnect) {
        URI uri = URI.create(url);
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("not a redis:// URL: " + url.replaceAll("//[^@]*@", "//***@"));
        }
        int millis = (int) timeout.toMillis();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri))
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri));
        JedisClientConfig clientConfig = config.build();
        HostAndPort address = JedisURIHelper.getHostAndPort(uri);
        this.redis = RedisClient.builder().hostAndPort(address).clientConfig(clientConfig).poolConfig(pool(timeout))
                .build();
        this.keys = new RedisKeys(prefix);
        this.historySize = historySize;
        this.historyTtlMillis = historyTtl.toMillis();
        this.subscriber = new RedisSubscriber(this, address, clientConfig, keys, timeout, onReconnect);
    }

    @Override
    public void start(BrokerListener listener) {
        this.listener = listener;
        try {
            syncEpoch();
        } catch (JedisException e) {
            LOG.warning("Redis is unreachable at start; retrying in the background: " + e.getMessage());
        }
        subscriber.start();
    }

    @Override
    public Event publish(String channel, byte[] body) {
        return publish(channel, body, List.of(keys.sequence(channel), keys.history(channel), keys.epoch()),
                       List.of());
    }

    /** The budget check and the publish in one script: one round trip. */
    @Override
    public Event publish(String channel, byte[] body, RateLimiter limiter, double perSecond, int burst) {
        return publish(channel, body, List.of(keys.sequence(channel), keys.history(channel), keys.epoch(),
                                              keys.rate("channel", channel)),
                       List.of(Double.toString(perSecond), Integer.toString(burst)));
    }

    private Event publish(String channel, byte[] body, List<String> keyList, List<String> budget) {
        List<String> args = new ArrayList<>(7);
        args.addAll(List.of(new String(body, 1, body.length - 1, StandardCharsets.UTF_8),
                            Integer.toString(Math.max(1, historySize)), Long.toString(historyTtlMillis),
                            keys.pubsub(channel), newEpoch()));
        args.addAll(budget);
        List<?> result;
        try {
            result = (List<?>) evalPublish(keyList, args);
        } catch (JedisException | ClassCastException e) {
            throw new BrokerUnavailableException("Redis did not store the event: " + e.getMessage(), e);
        }
        try {
            long id = (Long) result.get(0);
            if (id < 0) {
                throw new RateLimitedException(-id);
            }
            long at = Long.parseLong(String.valueOf(result.get(1)));
            byte[] data = dev.herald.hub.EventJson.withId(id, body);
            return new Event(channel, id, data, at);
        } catch (ClassCastException | NumberFormatException | IndexOutOfBoundsException e) {
            throw new BrokerUnavailableException("Redis answered the publish oddly: " + e.getMessage(), e);
        }
    }

    @Override
    public void subscribe(String channel) {
        subscriber.subscribe(channel);
    }

    @Override
    public void unsubscribe(String channel) {
        subscriber.unsubscribe(channel);
    }

    /**
     * While this pod is subscribed to the channel, the last id its subscriber handed to the hub (events after it
     * are on their way to the registered subscription): no round trip, which matters when thousands connect at once.
     */
    @Override
    public long head(String channel) {
        Long live = subscriber.delivered(channel);
        if (live != null) {
            return live;
        }
        try {
            return storedHead(channel);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Replay replay(String channel, long after) {
        Long live = subscriber.delivered(channel);
        if (live != null && after >= 0 && live == after) {
            // the client has everything the pod has delivered; later events reach its queue (a reconnect storm
            // of up-to-date clients costs Redis nothing)
            return new Replay(List.of(), true, after);
        }
        try {
            String headText = redis.get(keys.sequence(channel));
            long head = headText == null ? 0 : Long.parseLong(headText);
            if (after < 0 || after > head) {
                return new Replay(events(channel, "-"), false, head);
            }
            List<Event> events = events(channel, "(0-" + after);
            boolean complete = events.isEmpty() ? after >= head : events.get(0).id() == after + 1;
            if (!complete) {
                return new Replay(events, false, head);
            }
            return new Replay(events, true, head);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public String epoch() {
        return epoch;
    }

    @Override
    public boolean ready() {
        return subscriber.connected();
    }

    @Override
    public void close() {
        subscriber.close();
        redis.close();
    }

    /** Events of the channel's stream from {@code start} (an XRANGE bound) to the end. */
    List<Event> events(String channel, String start) {
        List<StreamEntry> entries = redis.xrange(keys.history(channel), start, "+");
        List<Event> events = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            events.add(new Event(channel, entry.getID().getSequence(),
                                 entry.getFields().get("d").getBytes(StandardCharsets.UTF_8),
                                 Long.parseLong(entry.getFields().get("t"))));
        }
        return events;
    }

    /** The channel's last id as stored in Redis, read before subscribing: where gap filling starts. */
    long storedHead(String channel) {
        String head = redis.get(keys.sequence(channel));
        return head == null ? 0 : Long.parseLong(head);
    }

    BrokerListener listener() {
        return listener;
    }

    /**
     * Reads (or, when Redis lost it, creates) the epoch. Returns true when it changed since the last look:
     * the history this pod's streams stand on is gone.
     */
    boolean syncEpoch() {
        String found = redis.get(keys.epoch());
        if (found == null) {
            redis.set(keys.epoch(), newEpoch(), SetParams.setParams().nx());
            found = redis.get(keys.epoch());
        }
        return adoptEpoch(found);
    }

    /** Adopts an epoch seen in Redis; true when it differs from the one this pod had. */
    synchronized boolean adoptEpoch(String seen) {
        if (seen == null || seen.equals(epoch)) {
            return false;
        }
        boolean hadOne = !epoch.equals("0");
        epoch = seen;
        return hadOne;
    }

    private Object evalPublish(List<String> keyList, List<String> args) {
        String sha = publishSha;
        if (sha == null) {
            sha = redis.scriptLoad(RedisScripts.PUBLISH);
            publishSha = sha;
        }
        try {
            return redis.evalsha(sha, keyList, args);
        } catch (JedisNoScriptException e) {
            // Redis restarted and lost its script cache
            publishSha = redis.scriptLoad(RedisScripts.PUBLISH);
            return redis.evalsha(publishSha, keyList, args);
        }
    }

    /**
     * Connections for commands: enough for many virtual threads at once, and a bounded wait when all are busy.
     * (Jedis' default, 8 connections and an unbounded wait, makes commons-pool spin under load.)
     */
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

    private static String newEpoch() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    }

    RedisClient client() {
        return redis;
    }

    String prefix() {
        return keys.prefix();
    }
}
