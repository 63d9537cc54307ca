package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import dev.herald.auth.AuthException;
import dev.herald.auth.Principal;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.uri.UriFragment;
import io.helidon.common.uri.UriPath;
import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.Http1HeadersParser;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.http.RequestException;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;

/**
 * HTTP/1.1 streams served without Helidon's routing: a connection whose first request is {@code GET /api/events}
 * is handed to {@link DirectStreamConnection}, which reads the request head itself, runs the same steps as the
 * routing (CORS, token, {@link EventsService#open}, access log) and writes the stream as chunks straight to the
 * socket. A parked stream then holds a handful of stack frames instead of Helidon's routing and filter chain, and no
 * request, response or header objects of Helidon's (docs/decisions/006-direct-http1-streams.md). Every other request,
 * HTTP/2 and a stream requested later on a kept-alive connection go through the routing as before. Thread-safe:
 * immutable; each connection is confined to its own thread.
 */
public final class DirectStreams {
    private static final Logger LOG = Logger.getLogger(DirectStreams.class.getName());
    private static final byte[] WITH_QUERY = "GET /api/events?".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WITHOUT_QUERY = "GET /api/events ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final EventsService events;
    private final AuthFilter auth;
    private final CorsFilter cors;
    private final boolean accessLog;

    DirectStreams(EventsService events, AuthFilter auth, CorsFilter cors, boolean accessLog) {
        this.events = events;
        this.auth = auth;
        this.cors = cors;
        this.accessLog = accessLog;
    }

    /** Whether a connection's first bytes are a stream request (looked at, not consumed). */
    static boolean claims(DataReader reader) {
        return reader.startsWith(WITH_QUERY) || reader.startsWith(WITHOUT_QUERY);
    }

    /** What the request head said; the head was complete and within the limits. */
    record Head(String rawPath, String rawQuery, String version, WritableHeaders<?> headers) {
    }

    /**
     * Reads the request head: the request line (414 beyond {@code maxRequestLine}), then the header block (431 beyond
     * {@code maxHeaders}).
     *
     * @throws RequestException for a head that is malformed or over a limit, with Helidon's status and message
     */
    static Head readHead(DataReader reader, int maxRequestLine, int maxHeaders) {
        int length;
        try {
            length = reader.findNewLine(maxRequestLine);
        } catch (DataReader.IncorrectNewLineException e) {
            throw badRequest("Invalid request line");
        }
        if (length == maxRequestLine) {
            throw RequestException.builder().status(Status.REQUEST_URI_TOO_LONG_414).message("Request URI too long.")
                    .build();
        }
        String line = reader.readAsciiString(length);
        reader.skip(2);
        int firstSpace = line.indexOf(' ');
        int lastSpace = line.lastIndexOf(' ');
        if (firstSpace < 0 || lastSpace <= firstSpace) {
            throw badRequest("Invalid request line");
        }
        String target = line.substring(firstSpace + 1, lastSpace);
        String version = line.substring(lastSpace + 1);
        if (!version.equals("HTTP/1.1")) {
            // as the routing answers: an SSE stream needs HTTP/1.1's chunked body (or HTTP/2)
            throw RequestException.builder().status(Status.HTTP_VERSION_NOT_SUPPORTED_505)
                    .message("HTTP Version Not Supported").build();
        }
        int query = target.indexOf('?');
        String rawPath = query < 0 ? target : target.substring(0, query);
        String rawQuery = query < 0 ? "" : target.substring(query + 1);
        return new Head(rawPath, rawQuery, version, Http1HeadersParser.readHeaders(reader, maxHeaders, true));
    }

    /** The head as Helidon's HTTP/1.1 parts see it (for an {@code h2c} upgrade). */
    static HttpPrologue prologue(Head head) {
        return HttpPrologue.create(head.version(), "HTTP", head.version().substring(5), Method.GET,
                                   UriPath.create(head.rawPath()), UriQuery.create(head.rawQuery()), UriFragment.empty());
    }

    private static RequestException badRequest(String message) {
        return RequestException.builder().status(Status.BAD_REQUEST_400).message(message).build();
    }

    /**
     * What a stream request asked for, taken from its head (which is then dropped: a held stream keeps only this).
     *
     * @param token the token (header, {@code access_token}, cookie), null for none; {@code tokenError} when the
     *              {@code Authorization} header was malformed
     */
    record Request(String rawPath, String version, Optional<String> origin, String token,
                   AuthException tokenError, List<String> channels, String cursor, boolean ready,
                   boolean jobs) {
    }

    Request request(Head head) {
        UriQuery query = UriQuery.create(head.rawQuery());
        String token = null;
        AuthException tokenError = null;
        try {
            token = AuthFilter.token(
                    head.headers().first(HeaderNames.AUTHORIZATION), query.first("access_token").asOptional(),
                    () -> auth.cookie().flatMap(name -> ServerRequestHeaders.create(head.headers()).cookies()
                            .first(name).asOptional()));
        } catch (AuthException e) {
            tokenError = e;
        }
        String cursor = head.headers().first(EventsService.LAST_EVENT_ID)
                .or(() -> query.first("lastEventId").asOptional())
                .orElse(null);
        return new Request(head.rawPath(), head.version(), head.headers().first(HeaderNames.ORIGIN), token, tokenError,
                           query.all("channel", List::of), cursor, query.contains("ready"),
                           query.contains("jobs"));
    }

    /**
     * Serves the stream asked for, or its JSON error answer, on {@code socket}; returns the status sent. The path is
     * {@code /api/events} exactly: {@link #claims} took nothing else.
     */
    int serve(Request request, String peer, OutputStream socket) {
        long start = System.nanoTime();
        Direct exchange = new Direct(cors, socket, request.origin());
        int status;
        String user = null;
        try {
            if (request.tokenError() != null) {
                throw request.tokenError();
            }
            Principal principal = auth.verify(request.token());
            user = principal.userId();
            events.open(principal, request.channels(), request.cursor(), request.ready(), request.jobs(),
                        exchange);
            status = Status.OK_200.code();
            exchange.end();
        } catch (IOException e) {
            LOG.finest(() -> "Client of a stream gone: " + e);
            status = Status.OK_200.code();
        } catch (RuntimeException e) {
            if (exchange.started) {
                LOG.finest(() -> "Stream ended: " + e);
                status = Status.OK_200.code();
            } else {
                Errors.Answer answer = Errors.answer(e, "GET", request.rawPath());
                answer(socket, answer, request.origin());
                status = answer.status().code();
            }
        }
        if (accessLog) {
            AccessLog.log(peer, "GET", request.rawPath(), request.version(), status,
                          (System.nanoTime() - start) / 1_000_000, user);
        }
        return status;
    }

    /** Writes a whole JSON error answer that closes the connection, with the CORS headers the origin gets. */
    void answer(OutputStream socket, Errors.Answer answer, Optional<String> origin) {
        StringBuilder head = new StringBuilder(256);
        answer.headers().forEach((name, value) -> header(head, name, value));
        origin.ifPresent(o -> cors.allowed(o, (name, value) -> header(head, name, value)));
        byte[] body = Errors.body(answer.error(), answer.message());
        try {
            socket.write(Sockets.errorHead(answer.status(), body.length, head.toString()));
            socket.write(body);
        } catch (IOException e) {
            LOG.finest(() -> "Could not answer: " + e);
        }
    }

    private static void header(StringBuilder head, String name, String value) {
        head.append(name).append(": ").append(value).append("\r\n");
    }

    /** The direct side of one stream; confined to its connection's thread. */
    static final class Direct implements EventsService.Exchange, SseStream.Out {
        private final CorsFilter cors;
        private final OutputStream socket;
        private final Optional<String> origin;
        private boolean started;

        Direct(CorsFilter cors, OutputStream socket, Optional<String> origin) {
            this.cors = cors;
            this.socket = socket;
            this.origin = origin;
        }

        @Override
        public boolean http1() {
            return true;
        }

        @Override
        public SseStream.Out start() throws IOException {
            StringBuilder head = new StringBuilder(256).append("HTTP/1.1 200 OK\r\nContent-Type: ")
                    .append(EventsService.CONTENT_TYPE)
                    .append("\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n");
            origin.ifPresent(o -> cors.allowed(o, (name, value) -> header(head, name, value)));
            head.append("Connection: close\r\n\r\n");
            started = true;
            socket.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        @Override
        public BooleanSupplier clientGone() {
            return () -> false;
        }

        @Override
        public FrameBuffer frames(int capacity) {
            return new FrameBuffer(capacity, FrameBuffer.CHUNK_HEAD);
        }

        @Override
        public void send(FrameBuffer frames) throws IOException {
            frames.writeChunkTo(socket);
        }

        /** After the last frame: the end of the chunked body (the connection closes after it). */
        void end() {
            if (started) {
                try {
                    socket.write(LAST_CHUNK);
                } catch (IOException e) {
                    LOG.finest(() -> "Client gone before the end of its stream: " + e);
                }
            }
        }
    }
}
