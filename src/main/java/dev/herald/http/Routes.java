package dev.herald.http;

import java.util.function.BooleanSupplier;

import dev.herald.Settings;
import dev.herald.auth.TokenIssuer;
import dev.herald.auth.TokenVerifier;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.PresenceTracker;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimiter;
import dev.herald.jobs.Jobs;
import dev.herald.metrics.HeraldMetrics;

import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.StaticContentService;

/** Every HTTP route of Herald, in one place. */
public final class Routes {
    private Routes() {
    }

    /**
     * What the routes need.
     *
     * @param devTokens the dev-mode token issuer, or null when dev mode is off (then {@code /dev/token} is a 404)
     * @param draining  true once the pod is shutting down
     */
    public record Parts(Hub hub, Publishing publishing, PresenceTracker presence, ConnectionLimits limits,
                        RateLimiter rateLimiter, HeraldMetrics metrics,
                        Settings settings, TokenVerifier verifier, TokenIssuer devTokens, BooleanSupplier draining,
                        Jobs jobs) {
    }

    // StaticContentService is deprecated for StaticContentFeature (a server feature, outside the routing); moving the
    // demo page there is a change of its own
    @SuppressWarnings("removal")
    public static void register(HttpRouting.Builder routing, Parts parts) {
        RateLimits rateLimits = new RateLimits(parts.rateLimiter(), parts.settings().rate(),
                                               parts.settings().jobs().exportsPerMinute(), parts.metrics());
        Publisher publisher = new Publisher(parts.publishing(), parts.settings().events().maxBytes(), rateLimits);
        if (parts.settings().accessLog()) {
            routing.addFilter(new AccessLog());
        }
        routing.addFilter(new CorsFilter(parts.settings().cors()));
        routing.addFilter(new AuthFilter(parts.verifier(), parts.settings().auth().cookie(), parts.metrics()))
                .register("/api/events", new EventsService(parts.hub(), parts.presence(), parts.limits(),
                                                           parts.metrics(), parts.settings().sse(), parts.draining()))
                .register("/api/chat", new ChatService(publisher))
                .register("/api/publish", new PublishService(publisher))
                .register("/api/channels", new PresenceService(parts.presence()))
                .register("/api/jobs", new JobsService(parts.jobs(), parts.hub().broker(), rateLimits));
        if (parts.devTokens() != null) {
            routing.register("/dev", new DevTokenService(parts.devTokens()));
        }
        routing.register("/", StaticContentService.builder("web").welcomeFileName("index.html").build());
        Errors.register(routing);
    }
}
