package dev.herald.http;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ErrorHandling;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * The only connection selector of the public listener, so that Helidon hands every accepted socket to Herald before
 * reading a byte (with one selector it does not try to identify the protocol). Each connection is a
 * {@link GuardedConnection}: it counts against {@link Limits#maxConnections} (503 beyond), its request heads must be
 * complete within {@link Limits#headTimeout}, request bodies must keep up {@link Limits#bodyMinRate}, an oversized
 * request line or header block gets 414 or 431, and then HTTP/1.1 or HTTP/2 (prior knowledge, ALPN, {@code h2c}
 * upgrade) is served by Helidon's own connections. Thread-safe: the open count is atomic; the rest is immutable.
 */
public final class RequestGuard implements ServerConnectionSelector {
    /** What a connection may do; see {@code herald.http.*} in docs/api.md. */
    public record Limits(Duration headTimeout, int bodyMinRate, int maxConnections, int maxRequestLine,
                         int maxHeaders) {
    }

    /** Reasons a connection was cut or refused, the {@code reason} label of {@code herald_http_cut_total}. */
    static final String HEAD_TIMEOUT = "head_timeout";
    static final String IDLE_CONNECTION = "idle_connection";
    static final String SLOW_BODY = "slow_body";
    static final String TOO_MANY_CONNECTIONS = "too_many_connections";

    private final Limits limits;
    private final Consumer<String> onCut;
    private final ServerConnectionSelector http1;
    private final ServerConnectionSelector http2;
    private final AtomicInteger open = new AtomicInteger();
    private final DirectStreams direct;
    private final Http1Upgrader h2c;

    /**
     * @param onCut told the reason each time a connection is cut or refused (a metric); called on the connection's
     *              thread
     * @throws dev.herald.StartupException when this Helidon keeps the socket out of reach
     */
    public RequestGuard(Limits limits, Consumer<String> onCut) {
        this(limits, onCut, null);
    }

    /**
     * @param direct serves a connection whose first request is an HTTP/1.x stream ({@link DirectStreams}); null:
     *               every request goes through Helidon's routing
     */
    public RequestGuard(Limits limits, Consumer<String> onCut, DirectStreams direct) {
        Sockets.requireSocketAccess();
        this.limits = limits;
        this.onCut = onCut;
        this.direct = direct;
        Http2Config h2 = Http2Config.create();
        Http1Upgrader h2c = new LongLivedStreams.UpgradeProvider().create(h2, ProtocolConfigs.create(List.of()));
        this.h2c = new Upgraded(h2c);
        this.http1 = Http1ConnectionSelector.builder()
                .config(Http1Config.builder()
                                .maxPrologueLength(limits.maxRequestLine())
                                .maxHeadersSize(limits.maxHeaders())
                                .addReceiveListener(new HeadListener())
                                .build())
                .addUpgrader(this.h2c)
                .build();
        this.http2 = LongLivedStreams.selector();
    }

    /** Lets Herald's JSON direct handler see Helidon's "Header size exceeded" (the only message it looks at). */
    public static ErrorHandling errorHandling() {
        return ErrorHandling.builder().includeEntity(true).build();
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData request) {
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of("h2", "http/1.1");
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new GuardedConnection(this, ctx);
    }

    Limits limits() {
        return limits;
    }

    /** The direct path for HTTP/1.x streams, or null. */
    DirectStreams direct() {
        return direct;
    }

    /** The {@code h2c} upgrade of an HTTP/1.1 request. */
    Http1Upgrader h2c() {
        return h2c;
    }

    ServerConnectionSelector http1() {
        return http1;
    }

    ServerConnectionSelector http2() {
        return http2;
    }

    void cut(String reason) {
        onCut.accept(reason);
    }

    /** Takes a connection slot; false when the pod already serves {@link Limits#maxConnections}. */
    boolean admit() {
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        open.decrementAndGet();
    }

    /** Connections served now (those being refused not counted). */
    public int open() {
        return open.get();
    }

    /** Tells a guarded connection where Helidon is in a request: the request line read, then the whole head. */
    private static final class HeadListener implements Http1ConnectionListener {
        @Override
        public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
            if (ctx instanceof GuardedContext guarded) {
                guarded.connection().prologueRead();
            }
        }

        @Override
        public void headers(ConnectionContext ctx, Headers headers) {
            if (ctx instanceof GuardedContext guarded) {
                guarded.connection().headRead(headers);
            }
        }
    }

    /** The {@code h2c} upgrade: from then on the connection is HTTP/2 and no request-head rules apply. */
    private record Upgraded(Http1Upgrader delegate) implements Http1Upgrader {
        @Override
        public String supportedProtocol() {
            return delegate.supportedProtocol();
        }

        @Override
        public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
            ServerConnection connection = delegate.upgrade(ctx, prologue, headers);
            if (connection != null && ctx instanceof GuardedContext guarded) {
                guarded.connection().upgraded();
            }
            return connection;
        }
    }
}
