package dev.herald.hub;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * The transport between publishers and the hubs of every pod. The hub is the same whatever the
 * broker: {@link LocalBroker} in one process, the Redis broker across pods.
 *
 * <p>Contract: events of one channel reach the sink in id order, from one thread at a time;
 * {@link #publish} returns only once the event is stored in history (so a 2xx means recoverable).
 * Implementations are thread-safe.
 */
public interface Broker extends Resume.Source, AutoCloseable {

    /**
     * Starts delivery of events of subscribed channels to the listener, and whatever the broker runs in the
     * background. Called once, before anything else; construction starts nothing.
     *
     * @throws BrokerUnavailableException when the broker's store cannot be reached
     */
    void start(BrokerListener listener);

    /**
     * Assigns the next id of the channel, stores the event in history and publishes it.
     *
     * @param channel a valid channel name
     * @param body    the event JSON object without its {@code id} field, UTF-8
     * @return the assigned event
     * @throws BrokerUnavailableException when the event could not be stored
     */
    Event publish(String channel, byte[] body);

    /**
     * As {@link #publish(String, byte[])} for an event whose loss costs nothing (a pod's own stats, superseded a
     * second later): a broker that waits for replicas after each publish ({@code herald.redis.min-replicas-ack})
     * neither waits for this one nor counts a shortfall for it.
     *
     * @throws BrokerUnavailableException when the event could not be stored
     */
    default Event publishUnacknowledged(String channel, byte[] body) {
        return publish(channel, body);
    }

    /**
     * What an API publish did: the event's id, and whether the request only replayed an earlier one with its
     * idempotency key (then nothing was published).
     */
    record Published(long id, boolean replayed) {
    }

    /**
     * As {@link #publish(String, byte[])} for the publish API: within the channel's {@code budget} (a bucket of
     * {@code limiter}; refused as {@link RateLimitedException#limit()} {@code "channel"}) when one is given, and once
     * only per {@code idempotency} key when one is given. A broker that keeps the budgets and keys where it
     * keeps the events does all of it in one step (one round trip). A request whose key was seen (same publisher,
     * same channel, within {@code herald.publish.idempotency-ttl}) publishes nothing, touches no budget, and returns
     * the first request's id.
     *
     * @param budget      the channel's budget, or null
     * @param idempotency the request's key, or null
     * @throws RateLimitedException         when the budget is spent: nothing published, no id taken, the key not kept
     * @throws IdempotencyConflictException when the key was used for another request
     * @throws BrokerUnavailableException   when the event could not be stored (it may have been, if the store
     *                                      answered too late: a retry with the same key tells)
     */
    Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget budget,
                      Idempotency idempotency);

    /**
     * The id an earlier publish with this idempotency key got on the channel, if any: for routes that check other
     * things (a user's budget) before publishing, and must not refuse a replay.
     *
     * @throws IdempotencyConflictException when the key was used for another request
     * @throws BrokerUnavailableException   when the store cannot be read
     */
    OptionalLong published(String channel, Idempotency idempotency);

    /**
     * Makes sure events of the channel reach the listener; delivery is active when this returns.
     *
     * @throws BrokerUnavailableException when the subscription could not be confirmed
     */
    void subscribe(String channel);

    /** The pod no longer needs events of this channel. */
    void unsubscribe(String channel);

    /**
     * Where a subscription that the hub registered before this call starts when it wants no history: every event
     * of the channel with a greater id reaches its queue.
     *
     * @throws BrokerUnavailableException when the position cannot be read
     */
    @Override
    long head(String channel);

    /**
     * Retained events with an id greater than {@code after}, oldest first; {@code complete} is false when events
     * between {@code after} and the first returned one are gone (trimmed, expired, {@code after} ahead of the head,
     * or {@link Replay#UNKNOWN}); {@link Replay#overBudget} when they hold more than {@code maxBytes} of data.
     * History is read in pages, so a large one never comes in one answer.
     *
     * @throws BrokerUnavailableException when history cannot be read
     */
    @Override
    Replay replay(String channel, long after, long maxBytes);

    /**
     * How long a cursor is honoured after it was written ({@code herald.history.cursor-ttl}): the broker forgets a
     * channel (its ids may then start over) only after nobody published to it or read it for longer, so within that
     * time a cursor's positions are never ahead of a new beginning.
     */
    Duration cursorTtl();

    /**
     * How much longer than the cursor TTL an unused channel is kept: a minute (at most the TTL itself), for cursor
     * times written in whole seconds and for clocks that disagree a little between pods and Redis.
     */
    static Duration cursorSlack(Duration cursorTtl) {
        return cursorTtl.compareTo(Duration.ofMinutes(1)) < 0 ? cursorTtl : Duration.ofMinutes(1);
    }

    /** {@code herald.history.cursor-ttl} when not set: a day, or the history TTL when that is longer. */
    static Duration defaultCursorTtl(Duration historyTtl) {
        return historyTtl.compareTo(Duration.ofDays(1)) > 0 ? historyTtl : Duration.ofDays(1);
    }

    /** Identifies the history's lifetime: cursors from another epoch cannot be resumed exactly. May change. */
    String epoch();

    /**
     * True when each channel's history has an epoch of its own ({@link #epoch(String)}; Redis Cluster: one per hash
     * slot, so that a shard that lost its data resyncs only its channels); false when {@link #epoch()} covers all.
     */
    default boolean epochPerChannel() {
        return false;
    }

    /** The epoch of one channel's history: {@link #epoch()} unless {@link #epochPerChannel}. */
    default String epoch(String channel) {
        return epoch();
    }

    /**
     * The epoch a cursor of these sorted channels carries: {@link #epoch()}, or, with {@link #epochPerChannel}, the
     * channels' epochs combined ({@link Cursor#combine}), so that it changes when any of them does.
     */
    default String epoch(List<String> channels) {
        if (!epochPerChannel()) {
            return epoch();
        }
        return Cursor.combine(channels.stream().map(this::epoch).toList());
    }

    /**
     * Asks the other pods to probe this user's streams ({@link BrokerListener#probeUser}): one of them may hold
     * streams whose client left. Best effort; a broker of one pod has nothing to ask.
     */
    default void probeUserElsewhere(String userId) {
    }

    /**
     * Tells the other pods to end this user's streams ({@link BrokerListener#disconnectUser}).
     *
     * @throws BrokerUnavailableException when the other pods could not be told
     */
    default void disconnectUserElsewhere(String userId, String reason) {
    }

    /**
     * What the broker holds of a channel.
     *
     * @param lastId      the channel's last id, 0 when none was given (or its ids were forgotten)
     * @param historySize how many events history retains
     * @param oldestId    the id of the oldest retained event, or null when none is
     */
    record ChannelState(long lastId, long historySize, Long oldestId) {
    }

    /**
     * The channel's last id and retained history, read without changing them (nor extending their lifetime).
     *
     * @throws BrokerUnavailableException when the store cannot be read
     */
    ChannelState state(String channel);

    /**
     * Stores this user's revocation where every pod, and a pod started later, finds it ({@link #revocations}), and
     * tells the other pods, which apply it and end the user's streams ({@link BrokerListener#revokeUser}). A broker
     * of one pod has nothing to store or tell: the hub applies it itself.
     *
     * @throws BrokerUnavailableException when it could not be stored or the other pods could not be told
     */
    default void revokeElsewhere(String userId, Revocations.Revocation revocation, String reason) {
    }

    /**
     * Stores revocations this pod holds that the store lacks (it lost them: Redis restarted empty), telling nobody:
     * the streams they ended stay ended, and later streams are not touched.
     *
     * @throws BrokerUnavailableException when they could not be stored
     */
    default void restoreRevocations(java.util.Map<String, Revocations.Revocation> missing) {
    }

    /**
     * Every revocation in force in the broker's store; empty for a broker of one pod.
     *
     * @throws BrokerUnavailableException when the store cannot be read
     */
    default java.util.Map<String, Revocations.Revocation> revocations() {
        return java.util.Map.of();
    }

    /**
     * How many channels' ids and history the broker holds in this process's memory (a gauge): every channel
     * published to or read within the cursor TTL in embedded mode, none where Redis holds them.
     */
    default int heldChannels() {
        return 0;
    }

    /** Whether publishing is expected to work right now (readiness). */
    boolean ready();

    /** Stops what {@link #start} started; idempotent. */
    @Override
    void close();
}
