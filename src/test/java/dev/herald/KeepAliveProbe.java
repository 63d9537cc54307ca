package dev.herald;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One HTTP/1.1 keep-alive connection, opened once and reused for every request: what an orchestrator's probe sees
 * when the server can no longer accept new connections. Not thread-safe.
 */
public final class KeepAliveProbe implements AutoCloseable {
    /** A response: status and body. */
    public record Answer(int status, String body) {
    }

    private final Socket socket;
    private final InputStream in;

    private KeepAliveProbe(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    public static KeepAliveProbe open(int port, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) readTimeout.toMillis());
        socket.setSoTimeout((int) readTimeout.toMillis());
        return new KeepAliveProbe(socket);
    }

    /** Sends {@code GET path} on this connection and reads the whole answer (Content-Length or chunked). */
    public Answer get(String path) throws IOException {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                                               .getBytes(StandardCharsets.US_ASCII));
        String statusLine = line();
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long size = Long.parseLong(line().trim(), 16); size > 0; size = Long.parseLong(line().trim(), 16)) {
                body.write(bytes(size));
                line();
            }
            line();
        } else if (length > 0) {
            body.write(bytes(length));
        }
        return new Answer(status, body.toString(StandardCharsets.UTF_8));
    }

    private byte[] bytes(long n) throws IOException {
        byte[] bytes = in.readNBytes((int) n);
        if (bytes.length < n) {
            throw new EOFException("the connection closed inside a body");
        }
        return bytes;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the connection closed");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
