package dev.herald.hub;

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
     * As {@link #publish(String, byte[])}, once the channel's event budget (bucket {@code "channel|" + channel}
     * of {@code limiter}) gave a token. A broker that keeps the budgets where it keeps the events checks both in
     * one step (one round trip).
     *
     * @throws RateLimitedException ({@code "channel"}) when the budget is spent: nothing was published
     */
    default Event publish(String channel, byte[] body, RateLimiter limiter, double perSecond, int burst) {
        long wait = limiter.acquire("channel|" + channel, perSecond, burst);
        if (wait > 0) {
            throw new RateLimitedException("channel", wait);
        }
        return publish(channel, body);
    }

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
     * or {@link Replay#UNKNOWN}).
     *
     * @throws BrokerUnavailableException when history cannot be read
     */
    @Override
    Replay replay(String channel, long after);

    /** Identifies the history's lifetime: cursors from another epoch cannot be resumed exactly. May change. */
    String epoch();

    /** Whether publishing is expected to work right now (readiness). */
    boolean ready();

    /** Stops what {@link #start} started; idempotent. */
    @Override
    void close();
}
