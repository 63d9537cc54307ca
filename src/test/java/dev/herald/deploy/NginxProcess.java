package dev.herald.deploy;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.herald.Await;
import dev.herald.HeraldProcess;

/**
 * Debian's nginx running {@code deploy/nginx/herald.conf} as an operator would, in a temporary prefix: the file is
 * copied with only its upstream server addresses and its listen port replaced, and included from a top-level
 * nginx.conf that keeps the pid, logs and temporary files in that prefix. Stopped (and the prefix removed) on close.
 */
final class NginxProcess implements AutoCloseable {
    static final Path NGINX = Path.of("/usr/sbin/nginx");
    static final Path CONF = Path.of("deploy", "nginx", "herald.conf");
    private static final Pattern UPSTREAM_SERVER = Pattern.compile("(?m)^(\\s*server\\s+)127\\.0\\.0\\.1:\\d+(\\s[^;]*)?;");
    private static final Pattern LISTEN = Pattern.compile("(?m)^(\\s*listen\\s+)80;");

    private final Process process;
    private final Path dir;
    private final int port;

    private NginxProcess(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts nginx on a free port in front of the pods at these ports, and waits until it answers. */
    static NginxProcess start(List<Integer> podPorts) throws IOException {
        Path dir = Files.createTempDirectory("herald-nginx",
                                             PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        int port = HeraldProcess.freePort();
        Files.writeString(dir.resolve("herald.conf"), rewrite(Files.readString(CONF, StandardCharsets.UTF_8), podPorts, port));
        Files.writeString(dir.resolve("nginx.conf"), topLevel(dir));
        Process process = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(),
                                             "-e", dir.resolve("error.log").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        NginxProcess nginx = new NginxProcess(process, dir, port);
        // nginx's workers are its children: a test JVM that ends half way must not leave them behind
        Runtime.getRuntime().addShutdownHook(new Thread(nginx::kill));
        try {
            Await.until("nginx to listen on " + port, Duration.ofSeconds(10), () -> listens(port) || !process.isAlive());
            if (!process.isAlive()) {
                throw new AssertionError("nginx did not start: " + nginx.log());
            }
        } catch (RuntimeException | AssertionError e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    /** herald.conf with its upstream servers at these ports (parameters kept) and its listen port replaced. */
    static String rewrite(String conf, List<Integer> podPorts, int listen) {
        Matcher servers = UPSTREAM_SERVER.matcher(conf);
        StringBuilder out = new StringBuilder();
        int n = 0;
        while (servers.find()) {
            if (n >= podPorts.size()) {
                throw new AssertionError("herald.conf lists more upstream servers than the test's " + podPorts.size() + " pods");
            }
            String params = servers.group(2) == null ? "" : servers.group(2);
            servers.appendReplacement(out, Matcher.quoteReplacement(servers.group(1) + "127.0.0.1:" + podPorts.get(n++) + params + ";"));
        }
        servers.appendTail(out);
        if (n != podPorts.size()) {
            throw new AssertionError("herald.conf lists " + n + " upstream servers at 127.0.0.1; the test runs " + podPorts.size());
        }
        Matcher listens = LISTEN.matcher(out);
        if (!listens.find()) {
            throw new AssertionError("herald.conf has no 'listen 80;' line for the test to move");
        }
        return listens.replaceFirst("$1" + listen + ";");
    }

    private static String topLevel(Path dir) {
        String d = dir.toString();
        return """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 1024; }
                http {
                    log_format upstream '$msec $request_time $request $status upstream=$upstream_addr $upstream_status';
                    access_log %1$s/access.log upstream;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    include %1$s/herald.conf;
                }
                """.formatted(d);
    }

    private static boolean listens(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** nginx's error log and access log (each request with the pod that answered it), for failure messages. */
    String log() {
        StringBuilder text = new StringBuilder();
        for (String name : List.of("stdout.log", "error.log", "access.log")) {
            try {
                text.append("--- ").append(name).append('\n').append(Files.readString(dir.resolve(name), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.append("--- ").append(name).append(": ").append(e).append('\n');
            }
        }
        return text.toString();
    }

    /** nginx's logs of the last run stay in target/nginx-test/ for a look after a failure. */
    private void keepLogs() {
        try {
            Path kept = Files.createDirectories(Path.of("target", "nginx-test"));
            for (String name : List.of("error.log", "access.log")) {
                if (Files.exists(dir.resolve(name))) {
                    Files.copy(dir.resolve(name), kept.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            // best effort: for reading after a failure
        }
    }

    private void kill() {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroyForcibly();
        workers.forEach(ProcessHandle::destroyForcibly);
    }

    /** SIGTERM (nginx's fast shutdown), then SIGKILL to the master and its workers if they are still there. */
    @Override
    public void close() {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        }
        workers.forEach(ProcessHandle::destroyForcibly);
        keepLogs();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }
}
