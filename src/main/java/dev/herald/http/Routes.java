package dev.herald.http;

import java.util.function.BooleanSupplier;

import dev.herald.Settings;
import dev.herald.auth.TokenIssuer;
import dev.herald.auth.TokenVerifier;
import dev.herald.hub.ChannelDirectory;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.PresenceTracker;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimiter;
import dev.herald.jobs.Jobs;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.tracing.Tracing;

import io.helidon.common.media.type.MediaTypes;
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
     * @param tracing   the pod's tracing ({@link Tracing#off()} unless configured)
     */
    public record Parts(Hub hub, Publishing publishing, PresenceTracker presence, ConnectionLimits limits,
                        RateLimiter rateLimiter, HeraldMetrics metrics,
                        Settings settings, TokenVerifier verifier, TokenIssuer devTokens, BooleanSupplier draining,
                        Jobs jobs, ChannelDirectory directory, Tracing tracing) {
    }

    /**
     * Registers every route and filter.
     *
     * @return the direct path for HTTP/1.1 streams ({@code herald.sse.direct-http1}), or null when it is off
     */
    // StaticContentService is deprecated for StaticContentFeature (a server feature, outside the routing); moving the
    // demo page there is a change of its own
    @SuppressWarnings("removal")
    public static DirectStreams register(HttpRouting.Builder routing, Parts parts) {
        RateLimits rateLimits = new RateLimits(parts.rateLimiter(), parts.settings().rate(),
                                               parts.settings().jobs().exportsPerMinute(), parts.metrics());
        Publisher publisher = new Publisher(parts.publishing(), parts.settings().events().maxBytes(), rateLimits);
        if (parts.settings().accessLog()) {
            routing.addFilter(new AccessLog());
        }
        CorsFilter cors = new CorsFilter(parts.settings().cors());
        AuthFilter auth = new AuthFilter(parts.verifier(), parts.settings().auth().cookie(), parts.metrics(),
                                        parts.hub().revocations());
        EventsService events = new EventsService(parts.hub(), parts.presence(), parts.limits(), parts.metrics(),
                                                 parts.settings().sse(), parts.draining(), parts.jobs().store());
        routing.addFilter(cors);
        routing.addFilter(auth)
                .register("/api/events", events)
                .register("/api/chat", new ChatService(publisher))
                .register("/api/publish", new PublishService(publisher, parts.tracing()))
                .register("/api/broadcast", new BroadcastService(publisher, parts.settings().publish().maxBroadcast()))
                .register("/api/users", new UsersService(parts.hub(), parts.settings().auth().revocationTtl()))
                .register("/api/channels", new PresenceService(parts.presence()),
                          new ChannelsService(parts.directory(), parts.hub().broker(), parts.presence()))
                .register("/api/jobs", new JobsService(parts.jobs(), parts.hub().broker(), rateLimits,
                                                        parts.settings().jobs().exportPace()));
        if (parts.devTokens() != null) {
            routing.register("/dev", new DevTokenService(parts.devTokens()));
        }
        routing.register("/openapi.yaml", new OpenApiService());
        AdminRoutes.register(routing);
        routing.register("/", StaticContentService.builder("web").welcomeFileName("index.html")
                // Helidon's type for .ts is an MPEG transport stream; herald.d.ts is TypeScript
                .contentType("ts", MediaTypes.create("application/typescript")).build());
        Errors.register(routing);
        return parts.settings().sse().directHttp1()
               ? new DirectStreams(events, auth, cors, parts.settings().accessLog()) : null;
    }
}
