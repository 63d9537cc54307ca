package dev.herald;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A raw HTTP/1.1 client socket for what client libraries will not send: oversized or malformed heads, bytes sent
 * slowly. Reads one response (head, then a {@code Content-Length} body) and tells whether the server then closed.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** One response as read from the socket. */
    public record Response(int status, String head, String body) {
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** Writes the bytes; false when the server closed or reset the connection meanwhile. */
    public boolean send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public boolean send(String text) {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The next response, or null when the connection ended (closed or reset) before a whole one arrived. */
    public Response read() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try {
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(text.substring(9, 12));
            Response partial = new Response(status, text, "");
            String length = partial.header("Content-Length");
            byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
            return new Response(status, text, new String(body, StandardCharsets.UTF_8));
        } catch (SocketException e) {
            return null;
        }
    }

    /** Whether the server closes the connection within the socket's timeout (EOF or reset; any data is read past). */
    public boolean closedByServer() throws IOException {
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("reset");
        }
    }

    public void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
