package dev.herald.http;

import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

import dev.herald.Settings;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * CORS for browser apps on other origins: only origins listed in {@code herald.cors.allowed-origins} get CORS
 * headers (with credentials, for cookie auth, when allowed); a preflight from any other origin is refused with 403.
 * Nothing is allowed by default. Stateless and thread-safe.
 */
public final class CorsFilter implements Filter {
    private static final String METHODS = "GET, POST, OPTIONS";
    private static final String HEADERS = "Authorization, Content-Type, Last-Event-ID";

    private final Set<String> origins;
    private final boolean credentials;
    private final String maxAge;

    public CorsFilter(Settings.Cors settings) {
        this.origins = Set.copyOf(settings.allowedOrigins());
        this.credentials = settings.allowCredentials();
        this.maxAge = Long.toString(settings.maxAge().toSeconds());
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isEmpty() || !req.path().path().startsWith("/api/")) {
            chain.proceed();
            return;
        }
        boolean allowed = origins.contains(origin.get()) || (origins.contains("*") && !credentials);
        boolean preflight = Method.OPTIONS.equals(req.prologue().method())
                            && req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (preflight) {
            if (!allowed) {
                Errors.send(res, Status.FORBIDDEN_403, "cors_forbidden", "this origin may not call Herald");
                return;
            }
            allow(res, origin.get());
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, METHODS);
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, HEADERS);
            res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, maxAge);
            res.status(Status.NO_CONTENT_204).send();
            return;
        }
        if (allowed) {
            allow(res, origin.get());
        }
        chain.proceed();
    }

    private void allow(RoutingResponse res, String origin) {
        allow(origin, (name, value) -> res.header(HeaderNames.create(name), value));
    }

    /** The CORS headers of a (non-preflight) answer to {@code origin}, given to {@code header}; none if not allowed. */
    void allowed(String origin, BiConsumer<String, String> header) {
        if (origins.contains(origin) || (origins.contains("*") && !credentials)) {
            allow(origin, header);
        }
    }

    private void allow(String origin, BiConsumer<String, String> header) {
        header.accept(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN.defaultCase(), origin);
        header.accept(HeaderNames.VARY.defaultCase(), "Origin");
        if (credentials) {
            header.accept(HeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS.defaultCase(), "true");
        }
    }
}
