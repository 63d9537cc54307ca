package dev.herald.hub;

import java.util.OptionalLong;

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
     * An API publish ({@link Broker#publish(String, byte[], RateLimiter, RateLimiter.Budget, Idempotency)}): once
     * only per idempotency key, after a token from the sender's budget (a user's chat budget; none when null), within
     * the channel's budget. An earlier answer to the key is looked up before the sender's budget is touched, so a
     * replay is never refused nor charged. A new event counts as published, a replay as a replay; a backend failure
     * at any step (the sender's budget, the channel's, the store) counts one publish error; a refusal for a budget or
     * for a reused key counts nothing here.
     *
     * @param sender      the sender's budget, or null
     * @param budget      the channel's budget, or null
     * @param idempotency the request's key, or null
     * @throws RateLimitedException         naming the spent budget: nothing published
     * @throws IdempotencyConflictException the key was used for another request
     * @throws BrokerUnavailableException   the event could not be stored (counted)
     */
    public Broker.Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget sender,
                                    RateLimiter.Budget budget, Idempotency idempotency) {
        try {
            if (sender != null) {
                if (idempotency != null) {
                    OptionalLong earlier = broker.published(channel, idempotency);
                    if (earlier.isPresent()) {
                        metrics.idempotentReplay();
                        return new Broker.Published(earlier.getAsLong(), true);
                    }
                }
                long wait = limiter.acquire(sender.key(), sender.perSecond(), sender.burst());
                if (wait > 0) {
                    throw new RateLimitedException(sender.limit(), wait);
                }
            }
            Broker.Published published = broker.publish(channel, body, limiter, budget, idempotency);
            if (published.replayed()) {
                metrics.idempotentReplay();
            } else {
                metrics.eventPublished();
            }
            return published;
        } catch (BrokerUnavailableException e) {
            metrics.publishFailed();
            throw e;
        }
    }
}
