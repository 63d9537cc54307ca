package dev.herald.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.spi.ServerConnection;

/**
 * One accepted socket under {@link RequestGuard}'s rules. Every byte Helidon reads comes through {@link #pull}, which
 * sets the socket's read timeout from the phase Helidon is in: the first request head is due {@code head-timeout}
 * after the accept, a later one {@code head-timeout} after its first byte (waiting for it is governed by
 * {@code server.idle-connection-timeout}), a request body by {@code head-timeout} plus one second per
 * {@code body-min-rate} bytes, and nothing else (a live SSE stream, HTTP/2 after its preface) has a deadline. An
 * expired head gets 408 (or a silent close when not one byte of it came), a slow body 408, then the connection
 * closes. After an error answer the rest of the request is read and dropped for a while ({@link Sockets#linger}) so
 * that the answer is not lost to a TCP reset. Confined to the connection's thread, except {@link #inner}, {@link #idleTime}
 * and {@link #close}, which Helidon's idle timer and shutdown call (volatile fields).
 */
final class GuardedConnection implements ServerConnection, InterruptableTask<Void> {
    private static final Logger LOG = Logger.getLogger(GuardedConnection.class.getName());
    private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final long NONE = Long.MAX_VALUE;

    private final RequestGuard guard;
    private final ConnectionContext ctx;
    private final GuardedContext context;
    private final long acceptedAt = System.nanoTime();
    private final long headNanos;
    private volatile ServerConnection inner;
    private volatile boolean closed;

    // the phase Helidon reads in; the connection's thread only
    private boolean firstHead = true;
    /** When the head being read began (its first byte; the accept for the first one); 0 between requests. */
    private long headStart;
    /** Bytes of the head being read that came through {@link #pull}. */
    private long headBytes;
    private boolean inHeaders;
    private boolean inBody;
    private long bodyStart;
    private long bodyBytes;
    private boolean http2;
    private boolean cut;

    GuardedConnection(RequestGuard guard, ConnectionContext ctx) {
        this.guard = guard;
        this.ctx = ctx;
        this.context = new GuardedContext(this, ctx, DataReader.create(this::pull));
        this.headNanos = guard.limits().headTimeout().toNanos();
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
        if (!guard.admit()) {
            guard.cut(RequestGuard.TOO_MANY_CONNECTIONS);
            if (!ctx.serverSocket().protocolNegotiated() || !"h2".equals(ctx.serverSocket().protocol())) {
                Sockets.answer(ctx, Status.SERVICE_UNAVAILABLE_503, "too_many_connections",
                               "this server has too many open connections; retry later", Map.of("Retry-After", "1"));
                Sockets.linger(ctx.serverSocket());
            }
            return;
        }
        try {
            ServerConnection connection = select();
            if (connection == null) {
                return;
            }
            inner = connection;
            if (closed) {
                connection.close(true);
                return;
            }
            connection.handle(limit);
            if (!http2) {
                Sockets.linger(ctx.serverSocket());
            }
        } finally {
            guard.release();
        }
    }

    /** Helidon's connection for the protocol, found without consuming a byte; null when the head timed out first. */
    private ServerConnection select() {
        HelidonSocket socket = ctx.serverSocket();
        if (socket.protocolNegotiated()) {
            http2 = "h2".equals(socket.protocol());
            return (http2 ? guard.http2() : guard.http1()).connection(context);
        }
        try {
            http2 = context.dataReader().startsWith(H2_PREFACE);
            DirectStreams direct = guard.direct();
            if (!http2 && direct != null && DirectStreams.claims(context.dataReader())) {
                return new DirectStreamConnection(direct, this, context, context.dataReader(), guard.limits(),
                                                  guard.h2c());
            }
        } catch (DataReader.InsufficientDataAvailableException e) {
            return null;
        } catch (RequestException e) {
            // the first head's deadline passed before its first line was even recognisable
            Sockets.answer(ctx, e.status(), "request_timeout", "the request head did not arrive in time", Map.of());
            Sockets.linger(ctx.serverSocket());
            return null;
        } catch (CloseConnectionException e) {
            return null;
        }
        return (http2 ? guard.http2() : guard.http1()).connection(context);
    }

    /** Everything Helidon reads; see the class comment for the deadlines. */
    private byte[] pull() {
        if (cut) {
            throw new CloseConnectionException("the connection was cut");
        }
        Socket socket = Sockets.of(ctx.serverSocket());
        while (true) {
            long now = System.nanoTime();
            boolean waiting = waitingForHead();
            long deadline = deadline(now, waiting);
            try {
                socket.setSoTimeout(deadline == NONE ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                        TimeUnit.NANOSECONDS.toMillis(deadline - now) + 1)));
            } catch (IOException e) {
                throw new ServerConnectionException("Failed to set a read timeout", e);
            }
            byte[] data;
            try {
                data = ctx.serverSocket().get();
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof SocketTimeoutException) || System.nanoTime() - deadline < 0) {
                    if (e.getCause() instanceof SocketTimeoutException) {
                        continue;
                    }
                    throw new ServerConnectionException("Failed to get data from socket", e);
                }
                throw expired();
            }
            if (data != null) {
                received(data.length, waiting);
            }
            return data;
        }
    }

    /** Whether Helidon waits for the start of a request: before the first, or between two on a kept-alive connection. */
    private boolean waitingForHead() {
        if (http2) {
            return false;
        }
        ServerConnection current = inner;
        if (current == null) {
            return true;
        }
        return current instanceof InterruptableTask<?> task && task.canInterrupt();
    }

    private long deadline(long now, boolean waiting) {
        if (http2 && inner != null) {
            return NONE;
        }
        if (waiting || inHeaders) {
            if (headStart == 0) {
                if (!firstHead) {
                    return NONE;
                }
                headStart = acceptedAt;
                headBytes = 0;
            }
            return headStart + headNanos;
        }
        if (inBody) {
            if (bodyStart == 0) {
                bodyStart = now;
            }
            return bodyStart + headNanos + TimeUnit.SECONDS.toNanos(bodyBytes) / guard.limits().bodyMinRate();
        }
        return NONE;
    }

    private void received(int bytes, boolean waiting) {
        if (waiting || inHeaders) {
            if (headStart == 0) {
                // the next request on a kept-alive connection: its head is due from its first byte
                headStart = System.nanoTime();
                headBytes = 0;
            }
            headBytes += bytes;
            inBody = false;
        } else if (inBody) {
            bodyBytes += bytes;
        }
    }

    private RuntimeException expired() {
        cut = true;
        if (inBody) {
            guard.cut(RequestGuard.SLOW_BODY);
            LOG.fine(() -> "Cut a request body slower than " + guard.limits().bodyMinRate() + " bytes/s from "
                           + ctx.remotePeer().host());
            return new ApiException(Status.REQUEST_TIMEOUT_408, "request_timeout", "the request body arrived slower "
                                    + "than " + guard.limits().bodyMinRate() + " bytes per second",
                                    Map.of(HeaderNames.CONNECTION.defaultCase(), "close"));
        }
        if (headBytes == 0 && firstHead) {
            guard.cut(RequestGuard.IDLE_CONNECTION);
            return new CloseConnectionException("no request within the head timeout");
        }
        guard.cut(RequestGuard.HEAD_TIMEOUT);
        return RequestException.builder()
                .type(DirectHandler.EventType.OTHER)
                .status(Status.REQUEST_TIMEOUT_408)
                .setKeepAlive(false)
                .message("Request head timed out")
                .build();
    }

    void prologueRead() {
        inHeaders = true;
        inBody = false;
    }

    void headRead(Headers headers) {
        inHeaders = false;
        firstHead = false;
        headStart = 0;
        headBytes = 0;
        bodyStart = 0;
        bodyBytes = 0;
        inBody = headers.contains(HeaderNames.TRANSFER_ENCODING) || contentLength(headers) > 0;
    }

    void upgraded() {
        http2 = true;
    }

    private static long contentLength(Headers headers) {
        try {
            return headers.contentLength().orElse(0);
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    @Override
    public Duration idleTime() {
        ServerConnection current = inner;
        return current == null ? Duration.ofNanos(System.nanoTime() - acceptedAt) : current.idleTime();
    }

    @Override
    public void close(boolean interrupt) {
        closed = true;
        ServerConnection current = inner;
        if (current != null) {
            current.close(interrupt);
        } else {
            ctx.serverSocket().close();
        }
    }

    @Override
    public boolean canInterrupt() {
        ServerConnection current = inner;
        return current == null || (current instanceof InterruptableTask<?> task && task.canInterrupt());
    }

    @Override
    public Void call() {
        throw new UnsupportedOperationException("a connection is run by handle()");
    }
}
