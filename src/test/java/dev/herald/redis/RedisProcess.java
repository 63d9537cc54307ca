package dev.herald.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.herald.Await;

/** A real redis-server on a free port, started, killed and restarted by a test; removed on close. */
public final class RedisProcess implements AutoCloseable {
    private final int port;
    private final boolean persistent;
    private final Path dir;
    /** Options after the defaults (e.g. {@code --replicaof}), kept across restarts. */
    private final List<String> options;
    private Process process;
    /** An admin connection for {@link #command}, opened on first use (again after a restart). */
    private Socket admin;

    private RedisProcess(int port, boolean persistent, Path dir, List<String> options) {
        this.port = port;
        this.persistent = persistent;
        this.dir = dir;
        this.options = List.copyOf(options);
    }

    /**
     * Starts a redis-server on a free port.
     *
     * @param persistent keep data across restarts (append-only file, fsync always)
     */
    public static RedisProcess start(boolean persistent) throws IOException {
        return start(persistent, List.of());
    }

    /**
     * Starts a redis-server on a free port with more options.
     *
     * @param options redis-server options after the defaults, e.g. {@code --replicaof 127.0.0.1 6379}
     */
    public static RedisProcess start(boolean persistent, List<String> options) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisProcess redis = new RedisProcess(port, persistent, Files.createTempDirectory("herald-redis"), options);
        redis.startProcess();
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** SIGKILL: no shutdown, no save. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        Await.until("redis to stop answering", Duration.ofSeconds(10), () -> !answers());
    }

    public void restart() throws IOException {
        closeAdmin();
        startProcess();
    }

    /**
     * Runs one command on this test's own connection and returns the reply as text (an error reply as "-ERR …").
     * That connection is opened before the test changes anything (a password set later does not lock it out).
     */
    public synchronized String command(String... args) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                if (admin == null) {
                    admin = new Socket("127.0.0.1", port);
                    admin.setSoTimeout(5000);
                }
                StringBuilder request = new StringBuilder("*" + args.length + "\r\n");
                for (String arg : args) {
                    request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                            .append(arg).append("\r\n");
                }
                admin.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
                return reply(admin.getInputStream());
            } catch (IOException e) {
                closeAdmin();
                if (attempt > 0) {
                    throw e;
                }
            }
        }
    }

    /** True when a PING on a new connection is answered within {@code timeout} (false while Redis is stalled). */
    public boolean answersWithin(Duration timeout) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] buffer = new byte[7];
            int n = socket.getInputStream().readNBytes(buffer, 0, 7);
            return new String(buffer, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Connections to this Redis other than this test's own admin connection. */
    public int clientCount() throws IOException {
        String info = command("INFO", "clients");
        for (String line : info.split("\r\n")) {
            if (line.startsWith("connected_clients:")) {
                return Integer.parseInt(line.substring("connected_clients:".length()).trim()) - 1;
            }
        }
        throw new IOException("no connected_clients in " + info);
    }

    private static String reply(InputStream in) throws IOException {
        String line = line(in);
        return switch (line.charAt(0)) {
            case '$' -> {
                int length = Integer.parseInt(line.substring(1));
                if (length < 0) {
                    yield null;
                }
                byte[] bulk = in.readNBytes(length + 2);
                yield new String(bulk, 0, length, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int count = Integer.parseInt(line.substring(1));
                StringBuilder items = new StringBuilder();
                for (int i = 0; i < count; i++) {
                    items.append(i == 0 ? "" : "\n").append(reply(in));
                }
                yield items.toString();
            }
            default -> line.charAt(0) == '-' ? line : line.substring(1);
        };
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            line.append((char) c);
        }
        in.read();
        return line.toString();
    }

    private synchronized void closeAdmin() {
        if (admin != null) {
            try {
                admin.close();
            } catch (IOException ignored) {
                // already gone
            }
            admin = null;
        }
    }

    @Override
    public void close() throws Exception {
        closeAdmin();
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void startProcess() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
                                                       "--bind", "127.0.0.1", "--dir", dir.toString(),
                                                       "--save", "", "--daemonize", "no", "--loglevel", "warning",
                                                       "--enable-debug-command", "yes"));
        command.addAll(persistent ? List.of("--appendonly", "yes", "--appendfsync", "always")
                                  : List.of("--appendonly", "no"));
        command.addAll(options);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        Await.until("redis-server on port " + port + " to answer", Duration.ofSeconds(15), this::answers);
    }

    private boolean answers() {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[7];
            int n = in.readNBytes(buffer, 0, 7);
            return new String(buffer, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }
}
