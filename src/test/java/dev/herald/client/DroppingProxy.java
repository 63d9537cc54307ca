package dev.herald.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on loopback in front of a pod that loses answers: for the first {@code drops} connections it forwards
 * the request, reads the pod's whole answer (so the pod has done the work) and then closes the client's connection
 * without relaying a byte of it; later connections are relayed both ways. What it withheld is kept for the test.
 */
final class DroppingProxy implements AutoCloseable {
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");

    private final ServerSocket server;
    private final int target;
    private final AtomicInteger drops;
    private final List<String> withheld = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private DroppingProxy(ServerSocket server, int target, int drops) {
        this.server = server;
        this.target = target;
        this.drops = new AtomicInteger(drops);
    }

    /** Listens on a free loopback port, in front of {@code 127.0.0.1:target}. */
    static DroppingProxy start(int target, int drops) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        DroppingProxy proxy = new DroppingProxy(server, target, drops);
        Thread.ofVirtual().name("proxy-accept").start(proxy::accept);
        return proxy;
    }

    int port() {
        return server.getLocalPort();
    }

    /** The answers the pod gave on dropped connections, in order, as text. */
    List<String> withheld() {
        return List.copyOf(withheld);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(upstream);
                boolean drop = drops.getAndDecrement() > 0;
                Thread.ofVirtual().start(() -> copy(client, upstream));
                Thread.ofVirtual().start(() -> {
                    if (drop) {
                        withhold(upstream, client);
                    } else {
                        copy(upstream, client);
                    }
                });
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void withhold(Socket upstream, Socket client) {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        try {
            InputStream in = upstream.getInputStream();
            byte[] buffer = new byte[8192];
            int n;
            while (!complete(answer.toString(StandardCharsets.ISO_8859_1)) && (n = in.read(buffer)) >= 0) {
                answer.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the pod closed: keep what came
        }
        withheld.add(answer.toString(StandardCharsets.UTF_8));
        closeQuietly(client);
        closeQuietly(upstream);
    }

    /** Whether {@code text} holds a whole HTTP/1.1 answer with a {@code Content-Length} body. */
    private static boolean complete(String text) {
        int head = text.indexOf("\r\n\r\n");
        if (head < 0) {
            return false;
        }
        Matcher length = CONTENT_LENGTH.matcher(text.substring(0, head));
        return length.find() && text.length() - head - 4 >= Integer.parseInt(length.group(1));
    }

    private void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.remove(socket);
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(this::closeQuietly);
    }
}
