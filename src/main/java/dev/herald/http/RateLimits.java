package dev.herald.http;

import java.util.Map;

import dev.herald.Settings;
import dev.herald.hub.Event;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimitedException;
import dev.herald.hub.RateLimiter;
import dev.herald.metrics.HeraldMetrics;

import io.helidon.http.Status;

/** Herald's two budgets: chat messages per user, events per channel. Over budget: 429 with Retry-After. */
final class RateLimits {
    private final RateLimiter limiter;
    private final Settings.Rate settings;
    private final HeraldMetrics metrics;

    RateLimits(RateLimiter limiter, Settings.Rate settings, HeraldMetrics metrics) {
        this.limiter = limiter;
        this.settings = settings;
        this.metrics = metrics;
    }

    void chat(String userId) {
        check("chat", "user:" + userId, settings.chatPerSecond(), settings.chatBurst(),
              "at most " + settings.chatPerSecond() + " chat messages per second per user (burst "
              + settings.chatBurst() + ")");
    }

    /** Publishes within the channel's event budget (checked by the broker, in the same step where it can). */
    Event publish(Publishing publishing, String channel, byte[] body) {
        try {
            return publishing.publish(channel, body, limiter, settings.channelPerSecond(), settings.channelBurst());
        } catch (RateLimitedException e) {
            throw refused("channel", e.waitMillis(), "at most " + settings.channelPerSecond()
                          + " events per second in a channel (burst " + settings.channelBurst() + ")");
        }
    }

    private void check(String limit, String subject, double perSecond, int burst, String message) {
        long waitMillis = limiter.acquire(limit + "|" + subject, perSecond, burst);
        if (waitMillis > 0) {
            throw refused(limit, waitMillis, message);
        }
    }

    private ApiException refused(String limit, long waitMillis, String message) {
        metrics.rateLimited(limit);
        long seconds = Math.max(1, (waitMillis + 999) / 1000);
        return new ApiException(Status.TOO_MANY_REQUESTS_429, "rate_limited", message,
                                Map.of("Retry-After", Long.toString(seconds)));
    }
}
