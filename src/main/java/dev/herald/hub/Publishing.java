package dev.herald.hub;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The one path by which the pod publishes: chat, the publish API, presence announcements and job progress all come
 * through here, so the published and publish-error counters see every event exactly once (all but the pod's own
 * stats, {@link #publishUncounted}, which are counted nowhere). The budgets a publish must
 * fit are taken here too: with Redis, checking a budget can fail as storing can, and a failure counted where every
 * publish passes cannot be forgotten by a route, nor counted twice. Events the server makes itself (presence, job
 * progress) are held to the channel's event budget like the API's: over it they are dropped and counted, never
 * refused to anyone. Thread-safe: no state of its own over a thread-safe broker, limiter and meters.
 */
public final class Publishing {
    private final Broker broker;
    private final HubMetrics metrics;
    /** The channels' budgets for server events; null: none (tests of the publish path alone). */
    private final RateLimiter limiter;
    private final double channelPerSecond;
    private final int channelBurst;

    /** Server events are published without a budget. */
    public Publishing(Broker broker, HubMetrics metrics) {
        this(broker, metrics, null, 0, 0);
    }

    /**
     * @param limiter          the channels' budgets (the same buckets as the publish API's)
     * @param channelPerSecond the channel budget's rate, {@code herald.rate.channel.per-second}
     * @param channelBurst     its burst, {@code herald.rate.channel.burst}
     */
    public Publishing(Broker broker, HubMetrics metrics, RateLimiter limiter, double channelPerSecond,
                      int channelBurst) {
        this.broker = broker;
        this.metrics = metrics;
        this.limiter = limiter;
        this.channelPerSecond = channelPerSecond;
        this.channelBurst = channelBurst;
    }

    /**
     * An event the server makes (presence, job progress), within the channel's event budget: published and counted
     * as any other, or, when the budget is spent, dropped and counted as {@link HubMetrics#serverEventDropped}.
     *
     * @param source what made it, for the dropped counter: "presence", "job"
     * @return whether it was published
     * @throws BrokerUnavailableException when it could not be stored (counted as a publish error)
     */
    public boolean publishServerEvent(String channel, byte[] body, String source) {
        return publishServerEvent(channel, body, source, Duration.ZERO);
    }

    /**
     * As {@link #publishServerEvent(String, byte[], String)} for an event that matters more than its timing (a job's
     * end): while the budget is spent it waits for the next token, for at most {@code patience} in all, then drops.
     * Parks the calling thread (a job's virtual thread); an interrupt ends the wait.
     */
    public boolean publishServerEvent(String channel, byte[] body, String source, Duration patience) {
        if (limiter == null) {
            publish(channel, body);
            return true;
        }
        RateLimiter.Budget budget = new RateLimiter.Budget("channel", channel, channelPerSecond, channelBurst);
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                publish(channel, body, limiter, null, budget, null);
                return true;
            } catch (RateLimitedException e) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || Thread.currentThread().isInterrupted()) {
                    metrics.serverEventDropped(source);
                    return false;
                }
                LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(Math.max(1, e.waitMillis()))));
            }
        }
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
     * Publishes an event the pod makes about itself (the admin dashboard's {@code pod_stats}), counted nowhere: one
     * per pod per second would otherwise show as users' traffic in {@code herald_events_published_total} (and a
     * failure, logged by the caller, in {@code redis_publish_errors_total}). No channel budget: the channel is
     * reserved to services. No wait for replicas ({@link Broker#publishUnacknowledged}): a lost sample is replaced
     * a second later, and its shortfalls would be counted with those of users' events.
     *
     * @throws BrokerUnavailableException when it could not be stored
     */
    public Event publishUncounted(String channel, byte[] body) {
        return broker.publishUnacknowledged(channel, body);
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
