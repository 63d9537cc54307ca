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
    private Process process;

    private RedisProcess(int port, boolean persistent, Path dir) {
        this.port = port;
        this.persistent = persistent;
        this.dir = dir;
    }

    /** @param persistent keep data across restarts (append-only file, fsync always) */
    public static RedisProcess start(boolean persistent) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisProcess redis = new RedisProcess(port, persistent, Files.createTempDirectory("herald-redis"));
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
        startProcess();
    }

    @Override
    public void close() throws Exception {
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
                                                       "--save", "", "--daemonize", "no", "--loglevel", "warning"));
        command.addAll(persistent ? List.of("--appendonly", "yes", "--appendfsync", "always")
                                  : List.of("--appendonly", "no"));
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
