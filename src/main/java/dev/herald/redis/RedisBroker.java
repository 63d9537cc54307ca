package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.logging.Logger;

import dev.herald.hub.Broker;
import dev.herald.hub.BrokerListener;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Event;
import dev.herald.hub.EventJson;
import dev.herald.hub.Idempotency;
import dev.herald.hub.IdempotencyConflictException;
import dev.herald.hub.RateLimitedException;
import dev.herald.hub.RateLimiter;
import dev.herald.hub.Replay;
import dev.herald.hub.Revocations;
import dev.herald.tracing.Traced;
import dev.herald.tracing.Tracing;

import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Clustered mode's broker: publishing is one Lua script (budget, id, history, publish), delivery comes through the
 * pod's one {@link RedisSubscriber} thread (on a Redis Cluster {@link RedisShardedSubscriber}, a thread per master),
 * history is a Redis Stream per channel ({@link RedisHistory}) whose lifetime is the {@link RedisEpoch} (on a cluster,
 * its slot's epoch). Thread-safe: the parts it holds are.
 */
final class RedisBroker implements Broker {
    private static final Logger LOG = Logger.getLogger(RedisBroker.class.getName());

    private final RedisConnection redis;
    private final RedisKeys keys;
    private final RedisHistory history;
    private final RedisEpoch epoch;
    private final PubSubReader subscriber;
    private final int historySize;
    private final long historyTtlMillis;
    private final long idempotencyTtlMillis;
    private final Duration cursorTtl;
    /** The lifetime of a channel's id counter, refreshed by each publish and by every pod reading the channel. */
    private final long sequenceTtlMillis;
    /** Set once before start ({@link RedisBackend#traced}); off by default. */
    private volatile Tracing tracing = Tracing.off();

    /**
     * @param cursorTtl how long a cursor is honoured; the channel's id counter outlives it by a margin (see
     *                  {@link RedisHistory#sequenceTtl})
     */
    RedisBroker(RedisConnection redis, RedisHistory history, RedisEpoch epoch, PubSubReader subscriber,
                int historySize, Duration historyTtl, Duration idempotencyTtl, Duration cursorTtl) {
        this.redis = redis;
        this.keys = redis.keys();
        this.history = history;
        this.epoch = epoch;
        this.subscriber = subscriber;
        this.historySize = historySize;
        this.historyTtlMillis = historyTtl.toMillis();
        this.idempotencyTtlMillis = idempotencyTtl.toMillis();
        this.cursorTtl = cursorTtl;
        this.sequenceTtlMillis = history.sequenceTtlMillis();
    }

    /** Reads the epoch (Redis answered at start, so a failure here is logged and retried by the subscriber). */
    @Override
    public void start(BrokerListener listener) {
        try {
            if (!keys.sharded()) {
                epoch.sync();
            }
        } catch (JedisException e) {
            LOG.warning("Redis epoch unreadable at start; the subscriber retries: " + e.getMessage());
        }
        subscriber.start(listener);
    }

    @Override
    public Event publish(String channel, byte[] body) {
        List<?> result = run(channel, body, null, null, redis.replicaAck());
        return new Event(channel, id(result), EventJson.withId(id(result), body), at(result));
    }

    @Override
    public Event publishUnacknowledged(String channel, byte[] body) {
        List<?> result = run(channel, body, null, null, ReplicaAck.NONE);
        return new Event(channel, id(result), EventJson.withId(id(result), body), at(result));
    }

    /** The budget, the idempotency record and the publish in one script: one round trip. */
    @Override
    public Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget budget,
                             Idempotency idempotency) {
        List<?> result = run(channel, body, budget, idempotency, redis.replicaAck());
        return new Published(id(result), result.size() > 3 && Long.valueOf(1).equals(result.get(3)));
    }

    /** Traces the publish script ({@code redis.publish}) and carries its context in the message when tracing is on. */
    void traced(Tracing traces) {
        this.tracing = traces;
    }

    @Override
    public OptionalLong published(String channel, Idempotency idempotency) {
        String seen;
        try {
            seen = redis.client().get(keys.idempotency(channel, idempotency.id()));
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis idempotency records are unreachable: " + e.getMessage(), e);
        }
        if (seen == null) {
            return OptionalLong.empty();
        }
        String[] parts = seen.split(" ", 3);
        if (!parts[0].equals(idempotency.request())) {
            throw new IdempotencyConflictException();
        }
        return OptionalLong.of(Long.parseLong(parts[1]));
    }

    /**
     * Runs the publish script, then waits for replicas as {@code ack} says; the answer is {id, ms, epoch, replayed}
     * (see publish.lua).
     */
    private List<?> run(String channel, byte[] body, RateLimiter.Budget budget, Idempotency idempotency,
                        ReplicaAck ack) {
        List<String> keyList = List.of(keys.sequence(channel), keys.history(channel), keys.epoch(channel),
                                       budget == null ? keys.rate("channel", channel)
                                                      : keys.rate(budget.limit(), budget.subject()),
                                       keys.idempotency(channel, idempotency == null ? "-" : idempotency.id()));
        Tracing traces = tracing;
        if (traces.on()) {
            try (Traced span = traces.redisPublish(channel)) {
                return run(channel, body, budget, idempotency, ack, keyList, span);
            }
        }
        return run(channel, body, budget, idempotency, ack, keyList, Traced.NONE);
    }

    /** The script's arguments, with the traced publish's context last (absent when not traced). */
    private List<?> run(String channel, byte[] body, RateLimiter.Budget budget, Idempotency idempotency,
                        ReplicaAck ack, List<String> keyList, Traced span) {
        List<String> args = List.of(new String(body, 1, body.length - 1, StandardCharsets.UTF_8),
                                    Integer.toString(Math.max(1, historySize)), Long.toString(historyTtlMillis),
                                    keys.pubsub(channel), RedisEpoch.fresh(),
                                    budget == null ? "" : Double.toString(budget.perSecond()),
                                    budget == null ? "" : Integer.toString(budget.burst()),
                                    idempotency == null ? "" : idempotency.request(),
                                    Long.toString(idempotencyTtlMillis), Long.toString(sequenceTtlMillis),
                                    keys.sharded() ? "SPUBLISH" : "PUBLISH");
        String traceparent = span.traceparent();
        if (traceparent != null) {
            List<String> traced = new ArrayList<>(args);
            traced.add(traceparent);
            args = traced;
        }
        List<?> result;
        try {
            result = (List<?>) ack.eval(redis.client(), RedisScript.PUBLISH, keyList, args);
        } catch (JedisException | ClassCastException e) {
            span.failed(e);
            throw new BrokerUnavailableException("Redis did not store the event: " + e.getMessage(), e);
        }
        long id = id(result);
        if (id < 0) {
            throw new RateLimitedException(budget == null ? "channel" : budget.limit(), -id);
        }
        if (id == 0) {
            throw new IdempotencyConflictException();
        }
        span.attribute(Tracing.EVENT_ID, id);
        return result;
    }

    /** The keys append.lua writes for an event of the channel: its sequence, history and epoch. */
    List<String> appendKeys(String channel) {
        return List.of(keys.sequence(channel), keys.history(channel), keys.epoch(channel));
    }

    /** append.lua's arguments for an event of the channel (see append.lua), as the publish script passes them. */
    List<String> appendArgs(String channel) {
        return List.of(Integer.toString(Math.max(1, historySize)), Long.toString(historyTtlMillis),
                       keys.pubsub(channel), RedisEpoch.fresh(), Long.toString(sequenceTtlMillis),
                       keys.sharded() ? "SPUBLISH" : "PUBLISH");
    }

    private static long id(List<?> result) {
        try {
            return (Long) result.get(0);
        } catch (ClassCastException | IndexOutOfBoundsException e) {
            throw new BrokerUnavailableException("Redis answered the publish oddly: " + result, e);
        }
    }

    private static long at(List<?> result) {
        try {
            return Long.parseLong(String.valueOf(result.get(1)));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new BrokerUnavailableException("Redis answered the publish oddly: " + result, e);
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
            return history.head(channel);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    /** The id counter, the history's length and first entry: one pipeline to the channel's slot. */
    @Override
    public ChannelState state(String channel) {
        try {
            return history.state(channel);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Replay replay(String channel, long after, long maxBytes) {
        Long live = subscriber.delivered(channel);
        if (live != null && after >= 0 && live == after) {
            // the client has everything the pod has delivered; later events reach its queue (a reconnect storm
            // of up-to-date clients costs Redis nothing)
            return new Replay(List.of(), true, after);
        }
        try {
            long head = history.head(channel);
            if (after < 0 || after > head) {
                List<Event> all = history.all(channel, maxBytes);
                return all == null ? Replay.overBudget(head) : new Replay(all, false, head);
            }
            List<Event> events = history.after(channel, after, maxBytes);
            if (events == null) {
                return Replay.overBudget(head);
            }
            boolean complete = events.isEmpty() ? after >= head : events.get(0).id() == after + 1;
            return new Replay(events, complete, head);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Duration cursorTtl() {
        return cursorTtl;
    }

    /**
     * A {@code probe <userId>} message on the control channel, which every pod's subscriber holds (on a cluster a
     * shard channel, {@link RedisKeys#PROBE_CHANNEL}, that every pod subscribes at its slot's master).
     */
    @Override
    public void probeUserElsewhere(String userId) {
        try {
            if (keys.sharded()) {
                ((RedisClusterClient) redis.client()).spublish(keys.pubsub(RedisKeys.PROBE_CHANNEL),
                                                               RedisSubscriber.PROBE + userId);
                return;
            }
            redis.client().publish(keys.control(), RedisSubscriber.PROBE + userId);
        } catch (JedisException e) {
            LOG.fine(() -> "Could not ask the other pods to probe a user's streams: " + e.getMessage());
        }
    }

    /** A {@code disconnect <reason>\n<userId>} message on the control channel (see {@link #probeUserElsewhere}). */
    @Override
    public void disconnectUserElsewhere(String userId, String reason) {
        control(RedisSubscriber.DISCONNECT + reason + "\n" + userId, "disconnect a user");
    }

    /**
     * The revocation merged into the {@link RedisKeys#revocations} hash ({@code revoke.lua}), then a
     * {@code revoke <before> <until> <reason>\n<userId>} message on the control channel with what is stored.
     */
    @Override
    public void revokeElsewhere(String userId, Revocations.Revocation revocation, String reason) {
        String stored = store(userId, revocation);
        control(RedisSubscriber.REVOKE + stored + " " + reason + "\n" + userId, "revoke a user's tokens");
    }

    @Override
    public void restoreRevocations(Map<String, Revocations.Revocation> missing) {
        missing.forEach(this::store);
    }

    /** Merges a revocation into the hash; returns the stored {@code "<before> <until>"}. */
    private String store(String userId, Revocations.Revocation revocation) {
        try {
            return (String) RedisScript.REVOKE.eval(
                    redis.client(), List.of(keys.revocations()),
                    List.of(userId, Long.toString(revocation.before()), Long.toString(revocation.until()),
                            Long.toString(System.currentTimeMillis())));
        } catch (JedisException e) {
            throw new BrokerUnavailableException("could not store a revocation", e);
        }
    }

    /** The {@link RedisKeys#revocations} hash; entries that ended are dropped from it on the way. */
    @Override
    public Map<String, Revocations.Revocation> revocations() {
        try {
            Map<String, String> stored = redis.client().hgetAll(keys.revocations());
            Map<String, Revocations.Revocation> inForce = new HashMap<>();
            List<String> ended = new ArrayList<>();
            long now = System.currentTimeMillis();
            stored.forEach((user, value) -> {
                Revocations.Revocation revocation = RedisSubscriber.revocation(value);
                if (revocation == null || revocation.until() <= now) {
                    ended.add(user);
                } else {
                    inForce.put(user, revocation);
                }
            });
            if (!ended.isEmpty()) {
                redis.client().hdel(keys.revocations(), ended.toArray(String[]::new));
            }
            return inForce;
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis revocations are unreachable: " + e.getMessage(), e);
        }
    }

    /** Sends a message on the control channel (see {@link #probeUserElsewhere}). */
    private void control(String message, String what) {
        try {
            if (keys.sharded()) {
                ((RedisClusterClient) redis.client()).spublish(keys.pubsub(RedisKeys.PROBE_CHANNEL), message);
                return;
            }
            redis.client().publish(keys.control(), message);
        } catch (JedisException e) {
            throw new BrokerUnavailableException("could not tell the other pods to " + what, e);
        }
    }

    @Override
    public String epoch() {
        return epoch.current();
    }

    /** On a Redis Cluster: each slot has its epoch ({@link RedisKeys#slotEpoch}). */
    @Override
    public boolean epochPerChannel() {
        return keys.sharded();
    }

    /**
     * On a cluster, the epoch of the channel's slot: as this pod's subscriber last checked it while the pod follows
     * the channel (it checks on every (re)subscription and in every message), else read from Redis.
     */
    @Override
    public String epoch(String channel) {
        if (!keys.sharded()) {
            return epoch.current();
        }
        int slot = RedisKeys.slot(channel);
        String seen = subscriber.delivered(channel) == null ? null : epoch.ofSlot(slot);
        if (seen != null) {
            return seen;
        }
        try {
            return epoch.readSlot(slot);
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis history is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean ready() {
        return subscriber.connected();
    }

    @Override
    public void close() {
        subscriber.close();
    }
}
