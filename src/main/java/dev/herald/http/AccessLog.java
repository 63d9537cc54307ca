package dev.herald.http;

import java.util.logging.Logger;

import dev.herald.hub.LogText;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * One log line per request on the {@code herald.access} logger: method, the full raw path without its query (where
 * {@code access_token} travels), status, milliseconds. Tokens never reach a log this way, and client text is escaped
 * ({@link LogText}) so that it cannot start a line of its own. Thread-safe.
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
            log(req.remotePeer().host(), req.prologue().method().text(), req.prologue().uriPath().rawPath(),
                req.prologue().protocol() + "/" + req.prologue().protocolVersion(), res.status().code(), millis);
        }
    }

    /** One request's line; {@code rawPath} as the client sent it, without the query. */
    static void log(String host, String method, String rawPath, String protocol, int status, long millis) {
        LOG.info(() -> host + " " + LogText.escape(method) + " " + LogText.escape(rawPath) + " " + protocol + " "
                       + status + " " + millis + "ms");
    }
}
