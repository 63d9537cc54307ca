package dev.herald.http;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Logger;

import dev.herald.StartupException;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PlainSocket;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;

/**
 * What {@link GuardedConnection} does to a socket outside Helidon's protocol handling: reach the {@link Socket} (for
 * its read timeout), write a whole JSON answer before any protocol runs, and the lingering close. Stateless and
 * thread-safe; each call acts on the calling connection's socket.
 */
final class Sockets {
    private static final Logger LOG = Logger.getLogger(Sockets.class.getName());
    /** A lingering close reads at most this much, for at most {@link #LINGER}, each read waiting {@link #LINGER_READ_MILLIS}. */
    private static final int LINGER_BYTES = 4 * 1024 * 1024;
    private static final Duration LINGER = Duration.ofSeconds(2);
    private static final int LINGER_READ_MILLIS = 500;
    private static final Field PLAIN_SOCKET = plainSocketField();

    private Sockets() {
    }

    /** Writes a whole JSON error answer that closes the connection (before Helidon has a connection to do it). */
    static void answer(ConnectionContext ctx, Status status, String error, String message,
                       Map<String, String> headers) {
        byte[] body = Errors.body(error, message);
        StringBuilder extra = new StringBuilder();
        headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
        byte[] head = errorHead(status, body.length, extra.toString());
        BufferData data = BufferData.growing(head.length + body.length);
        data.write(head);
        data.write(body);
        try {
            ctx.dataWriter().writeNow(data);
        } catch (RuntimeException e) {
            LOG.finest(() -> "Could not answer a refused connection: " + e);
        }
    }

    /** The head of a JSON error answer that closes the connection; {@code extra}: more header lines, each with CRLF. */
    static byte[] errorHead(Status status, int bodyLength, String extra) {
        return ("HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\nContent-Type: application/json\r\n"
                + "Cache-Control: no-cache\r\nContent-Length: " + bodyLength + "\r\nConnection: close\r\n" + extra
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * After an error answer, ends output (the client sees the whole answer and the end) and reads what the client
     * still sends, up to {@link #LINGER_BYTES} and {@link #LINGER}, so that closing with unread data (a TCP reset)
     * does not destroy the answer before the client has read it.
     */
    static void linger(HelidonSocket helidon) {
        Socket socket = of(helidon);
        try {
            socket.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            // TLS sockets cannot half-close: the client sees the end when the socket closes
            LOG.finest(() -> "No half-close: " + e);
        }
        try {
            socket.setSoTimeout(LINGER_READ_MILLIS);
            long end = System.nanoTime() + LINGER.toNanos();
            long read = 0;
            while (read < LINGER_BYTES && System.nanoTime() - end < 0) {
                byte[] data = helidon.get();
                if (data == null) {
                    return;
                }
                read += data.length;
            }
        } catch (IOException | RuntimeException e) {
            LOG.finest(() -> "Lingering close ended: " + e);
        }
    }

    static Socket of(HelidonSocket helidon) {
        try {
            return (Socket) PLAIN_SOCKET.get(helidon);
        } catch (IllegalAccessException | IllegalArgumentException e) {
            throw new IllegalStateException("Helidon's socket has no java.net.Socket inside", e);
        }
    }

    /**
     * Helidon 4.5 keeps the {@link Socket} of a blocking connection (plain or TLS) private in {@link PlainSocket};
     * its read timeout is the only way to bound a blocking read without closing the socket.
     */
    private static Field plainSocketField() {
        try {
            Field field = PlainSocket.class.getDeclaredField("delegate");
            field.setAccessible(true);
            return field.getType() == Socket.class ? field : null;
        } catch (NoSuchFieldException | RuntimeException e) {
            return null;
        }
    }

    /** Called at start, so that a Helidon without the field stops the pod with one line instead of every connection. */
    static void requireSocketAccess() {
        if (PLAIN_SOCKET == null) {
            throw new StartupException("this Helidon version hides the java.net.Socket of a connection "
                                       + "(PlainSocket.delegate), which Herald needs for read deadlines");
        }
    }
}
