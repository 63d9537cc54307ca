package dev.herald.http;

import java.util.logging.Logger;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * One log line per request on the {@code herald.access} logger: method, path without its query (where
 * {@code access_token} travels), status, milliseconds. Tokens never reach a log this way. Thread-safe.
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
            LOG.info(() -> req.remotePeer().host() + " " + req.prologue().method().text() + " " + req.path().path()
                           + " " + req.prologue().protocol() + "/" + req.prologue().protocolVersion() + " "
                           + res.status().code() + " " + millis + "ms");
        }
    }
}
