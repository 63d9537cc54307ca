package dev.herald.http;

import java.util.Map;

import dev.herald.Settings;
import dev.herald.hub.Broker;
import dev.herald.hub.Idempotency;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimitedException;
import dev.herald.hub.RateLimiter;
import dev.herald.metrics.HeraldMetrics;

import io.helidon.http.Status;

/**
 * Herald's budgets: chat messages per user, events per channel, exports started per user. Over budget: 429 with
 * Retry-After.
 */
final class RateLimits {
    private final RateLimiter limiter;
    private final Settings.Rate settings;
    private final int exportsPerMinute;
    private final HeraldMetrics metrics;

    RateLimits(RateLimiter limiter, Settings.Rate settings, int exportsPerMinute, HeraldMetrics metrics) {
        this.limiter = limiter;
        this.settings = settings;
        this.exportsPerMinute = exportsPerMinute;
        this.metrics = metrics;
    }

    /**
     * Takes one export start from the user's budget ({@code herald.jobs.exports-per-minute}, shared by the pods in
     * clustered mode), or refuses with 429.
     *
     * @throws dev.herald.hub.BrokerUnavailableException when a shared budget cannot be reached
     */
    void startExport(String userId) {
        RateLimiter.Budget budget = new RateLimiter.Budget("export", "user:" + userId, exportsPerMinute / 60.0,
                                                           exportsPerMinute);
        long wait = limiter.acquire(budget.key(), budget.perSecond(), budget.burst());
        if (wait > 0) {
            throw refused(budget.limit(), wait);
        }
    }

    /** The user's chat budget, taken by {@link #publish} before the channel's. */
    RateLimiter.Budget chat(String userId) {
        return new RateLimiter.Budget("chat", "user:" + userId, settings.chatPerSecond(), settings.chatBurst());
    }

    /**
     * Publishes within the sender's budget (none when null) and the channel's event budget (checked by the broker, in
     * the same step where it can); both are taken in {@link Publishing}, which counts a backend failure at any step.
     */
    Broker.Published publish(Publishing publishing, String channel, byte[] body, RateLimiter.Budget sender,
                             Idempotency idempotency) {
        RateLimiter.Budget budget = new RateLimiter.Budget("channel", channel, settings.channelPerSecond(),
                                                           settings.channelBurst());
        try {
            return publishing.publish(channel, body, limiter, sender, budget, idempotency);
        } catch (RateLimitedException e) {
            throw refused(e.limit(), e.waitMillis());
        }
    }

    /** The 429 answer to a budget the store found spent (a job's progress over its channel's budget); counted. */
    ApiException refused(RateLimitedException e) {
        return refused(e.limit(), e.waitMillis());
    }

    private ApiException refused(String limit, long waitMillis) {
        metrics.rateLimited(limit);
        String message = switch (limit) {
            case "chat" -> "at most " + settings.chatPerSecond() + " chat messages per second per user (burst "
                           + settings.chatBurst() + ")";
            case "export" -> "at most " + exportsPerMinute + " exports per minute per user";
            default -> "at most " + settings.channelPerSecond() + " events per second in a channel (burst "
                       + settings.channelBurst() + ")";
        };
        long seconds = Math.max(1, (waitMillis + 999) / 1000);
        return new ApiException(Status.TOO_MANY_REQUESTS_429, "rate_limited", message,
                                Map.of("Retry-After", Long.toString(seconds)));
    }
}
