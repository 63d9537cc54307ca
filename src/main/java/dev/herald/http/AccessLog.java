package dev.herald.http;

import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.auth.Principal;
import dev.herald.hub.LogText;
import dev.herald.logging.RequestLine;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * One log line per request on the {@code herald.access} logger: method, the full raw path without its query (where
 * {@code access_token} travels), status, milliseconds. Tokens never reach a log this way, and client text is escaped
 * ({@link LogText}) so that it cannot start a line of its own. The record's parameter is a {@link RequestLine}: the
 * JSON format writes its fields, with the user id of a verified token. Thread-safe.
 */
public final class AccessLog implements Filter {
    private static final Logger LOG = Logger.getLogger("herald.access");

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (LOG.isLoggable(Level.INFO)) {
                // the auth filter, inside this one, registered the principal of a verified token
                String user = req.context().get(Principal.class).map(Principal::userId).orElse(null);
                log(req.remotePeer().host(), req.prologue().method().text(), req.prologue().uriPath().rawPath(),
                    req.prologue().protocol() + "/" + req.prologue().protocolVersion(), res.status().code(), millis,
                    user);
            }
        }
    }

    /**
     * One request's line; {@code rawPath} as the client sent it, without the query; {@code user} the verified
     * token's user id, or null.
     */
    static void log(String host, String method, String rawPath, String protocol, int status, long millis,
                    String user) {
        if (LOG.isLoggable(Level.INFO)) {
            // "{0}" and not the line itself as the pattern: client text is never read as a MessageFormat pattern
            LOG.log(Level.INFO, "{0}", new RequestLine(host, method, rawPath, protocol, status, millis, user));
        }
    }
}
