package dev.herald.hub;

/**
 * The one path by which the pod publishes: chat, the publish API, presence announcements and job progress all come
 * through here, so the published and publish-error counters see every event exactly once. The budgets a publish must
 * fit are taken here too: with Redis, checking a budget can fail as storing can, and a failure counted where every
 * publish passes cannot be forgotten by a route, nor counted twice. Thread-safe: no state of its own over a
 * thread-safe broker, limiter and meters.
 */
public final class Publishing {
    private final Broker broker;
    private final HubMetrics metrics;

    public Publishing(Broker broker, HubMetrics metrics) {
        this.broker = broker;
        this.metrics = metrics;
    }

    /**
     * Publishes through the broker and counts the outcome.
     *
     * @throws BrokerUnavailableException when the event could not be stored (counted as a publish error)
     */
    public Event publish(String channel, byte[] body) {
        try {
            Event event = broker.publish(channel, body);
            metrics.eventPublished();
            return event;
        } catch (BrokerUnavailableException e) {
            metrics.publishFailed();
            throw e;
        }
    }

    /**
     * As {@link #publish(String, byte[])} within the channel's event budget ({@link Broker#publish(String, byte[],
     * RateLimiter, double, int)}); a refusal for the budget is not an error and counts nothing here.
     *
     * @throws RateLimitedException when the budget is spent: nothing was published
     */
    public Event publish(String channel, byte[] body, RateLimiter limiter, double perSecond, int burst) {
        return publish(channel, body, limiter, null, perSecond, burst);
    }

    /**
     * As {@link #publish(String, byte[], RateLimiter, double, int)}, after a token from the sender's budget (a user's
     * chat budget; none when null). A backend failure at any step, the sender's budget, the channel's or the store,
     * counts one publish error: the event could not be stored either way.
     *
     * @throws RateLimitedException naming the spent budget: nothing was published, nothing counted
     */
    public Event publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget sender,
                         double perSecond, int burst) {
        try {
            if (sender != null) {
                long wait = limiter.acquire(sender.key(), sender.perSecond(), sender.burst());
                if (wait > 0) {
                    throw new RateLimitedException(sender.limit(), wait);
                }
            }
            Event event = broker.publish(channel, body, limiter, perSecond, burst);
            metrics.eventPublished();
            return event;
        } catch (BrokerUnavailableException e) {
            metrics.publishFailed();
            throw e;
        }
    }
}
