package dev.herald.http;

import java.time.Duration;
import java.util.Set;

import io.helidon.common.Weighted;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.spi.Http1UpgradeProvider;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionSelector;
import io.helidon.webserver.http2.Http2Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * Keeps HTTP/2 connections that carry an open stream (an SSE subscription) from being closed as idle.
 *
 * <p>Helidon measures an HTTP/2 connection's idle time from its last request; once past
 * {@code idle-connection-timeout} it marks the connection to stop, and the next frame the client sends (any new
 * request on it) ends the connection, SSE streams included. Here an HTTP/2 connection with open streams is never
 * idle; without streams it ages as before. Installed for prior knowledge and ALPN through {@link #selector()},
 * and for {@code Upgrade: h2c} through {@link UpgradeProvider} (a service with a higher weight than Helidon's).
 */
public final class LongLivedStreams {
    private LongLivedStreams() {
    }

    /** The HTTP/2 selector (prior knowledge, ALPN h2) to add before the discovered ones. */
    public static ServerConnectionSelector selector() {
        ServerConnectionSelector delegate = Http2ConnectionSelector.builder().http2Config(Http2Config.create()).build();
        return new ServerConnectionSelector() {
            @Override
            public int bytesToIdentifyConnection() {
                return delegate.bytesToIdentifyConnection();
            }

            @Override
            public Support supports(BufferData request) {
                return delegate.supports(request);
            }

            @Override
            public Set<String> supportedApplicationProtocols() {
                return delegate.supportedApplicationProtocols();
            }

            @Override
            public ServerConnection connection(ConnectionContext ctx) {
                return wrap(delegate.connection(ctx));
            }
        };
    }

    static ServerConnection wrap(ServerConnection connection) {
        if (connection instanceof InterruptableTask<?> task) {
            return new StreamAware(connection, task);
        }
        return connection;
    }

    /** A connection that reports no idle time while it has streams ({@code canInterrupt()} is false then). */
    private record StreamAware(ServerConnection delegate, InterruptableTask<?> task)
            implements ServerConnection, InterruptableTask<Void> {
        @Override
        public void handle(Limit limit) throws InterruptedException {
            delegate.handle(limit);
        }

        @Override
        public Duration idleTime() {
            return task.canInterrupt() ? delegate.idleTime() : Duration.ZERO;
        }

        @Override
        public void close(boolean interrupt) {
            delegate.close(interrupt);
        }

        @Override
        public boolean canInterrupt() {
            return task.canInterrupt();
        }

        @Override
        public Void call() {
            throw new UnsupportedOperationException("a connection is run by handle()");
        }
    }

    /** Replaces Helidon's {@code h2c} upgrader with one whose connections are stream-aware. */
    public static final class UpgradeProvider implements Http1UpgradeProvider<Http2Config>, Weighted {
        @Override
        public String protocolType() {
            return "http_2";
        }

        @Override
        public Class<Http2Config> protocolConfigType() {
            return Http2Config.class;
        }

        @Override
        public Http1Upgrader create(Http2Config config, ProtocolConfigs configs) {
            Http1Upgrader delegate = Http2Upgrader.create(config);
            return new Http1Upgrader() {
                @Override
                public String supportedProtocol() {
                    return delegate.supportedProtocol();
                }

                @Override
                public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue,
                                                WritableHeaders<?> headers) {
                    ServerConnection connection = delegate.upgrade(ctx, prologue, headers);
                    return connection == null ? null : wrap(connection);
                }
            };
        }

        @Override
        public double weight() {
            return Weighted.DEFAULT_WEIGHT + 100;
        }
    }
}
