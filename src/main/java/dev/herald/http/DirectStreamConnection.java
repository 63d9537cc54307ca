package dev.herald.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;

/**
 * A connection whose first request is an HTTP/1.x stream ({@link DirectStreams}): reads the head under
 * {@link GuardedConnection}'s deadlines, serves the stream or its error answer, and ends; the connection then closes
 * (the answer said {@code Connection: close}). Confined to the connection's thread, except {@link #close},
 * {@link #idleTime} and {@link #canInterrupt}, which Helidon's idle timer and shutdown call (volatile fields).
 */
final class DirectStreamConnection implements ServerConnection, InterruptableTask<Void> {
    private static final Logger LOG = Logger.getLogger(DirectStreamConnection.class.getName());

    private final DirectStreams streams;
    private final GuardedConnection guarded;
    private final ConnectionContext ctx;
    private final DataReader reader;
    private final RequestGuard.Limits limits;
    private final Http1Upgrader upgrader;
    private final long acceptedAt = System.nanoTime();
    /** The head is in: from then on the connection only writes. */
    private volatile boolean streaming;

    DirectStreamConnection(DirectStreams streams, GuardedConnection guarded, ConnectionContext ctx, DataReader reader,
                           RequestGuard.Limits limits, Http1Upgrader upgrader) {
        this.streams = streams;
        this.guarded = guarded;
        this.ctx = ctx;
        this.reader = reader;
        this.limits = limits;
        this.upgrader = upgrader;
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
        DirectStreams.Request request = request(limit);
        if (request != null) {
            streaming = true;
            streams.serve(request, ctx.remotePeer().host(), output());
        }
    }

    /**
     * Reads the head and takes what the stream needs from it; null when the head was answered here (an error, or an
     * {@code h2c} upgrade served to its end) or never came. The head is not kept: a held stream does not need it.
     */
    private DirectStreams.Request request(Limit limit) throws InterruptedException {
        DirectStreams.Head head;
        try {
            head = DirectStreams.readHead(reader, limits.maxRequestLine(), limits.maxHeaders());
        } catch (DataReader.InsufficientDataAvailableException | CloseConnectionException | UncheckedIOException e) {
            LOG.finest(() -> "Connection ended before its request head: " + e);
            return null;
        } catch (RequestException e) {
            streams.answer(output(), Errors.headAnswer(e.status(), e.getMessage()), Optional.empty());
            return null;
        } catch (ApiException e) {
            streams.answer(output(), new Errors.Answer(e.status(), e.error(), e.getMessage(), e.headers()),
                           Optional.empty());
            return null;
        } catch (RuntimeException e) {
            // what Helidon's parsers refuse otherwise is a bad request: a malformed header line, a forbidden byte, a
            // header block over its limit ("Header size exceeded": 431)
            LOG.finest(() -> "Malformed request head: " + e);
            streams.answer(output(), Errors.headAnswer(Status.BAD_REQUEST_400, e.getMessage()), Optional.empty());
            return null;
        }
        guarded.headRead(head.headers());
        if (head.headers().contains(HeaderNames.UPGRADE)) {
            // h2c: Helidon's upgrade answers 101 and serves this request as the first HTTP/2 stream
            ServerConnection upgraded = upgrader.upgrade(ctx, DirectStreams.prologue(head), head.headers());
            if (upgraded != null) {
                upgraded.handle(limit);
                return null;
            }
        }
        return streams.request(head);
    }

    private java.io.OutputStream output() {
        try {
            return Sockets.of(ctx.serverSocket()).getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Duration idleTime() {
        return streaming ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - acceptedAt);
    }

    @Override
    public void close(boolean interrupt) {
        if (interrupt || !streaming) {
            ctx.serverSocket().close();
        }
    }

    @Override
    public boolean canInterrupt() {
        return !streaming;
    }

    @Override
    public Void call() {
        throw new UnsupportedOperationException("a connection is run by handle()");
    }
}
