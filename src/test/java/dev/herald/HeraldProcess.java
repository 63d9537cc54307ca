package dev.herald;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Herald started as an operator would: a separate JVM running {@link Main}, its output in a file. */
public record HeraldProcess(Process process, Path log) {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * Where the pods of this test JVM keep export results: a pod killed without cleanup leaves its results directory
     * behind, so they all go under one directory that this JVM deletes when it ends.
     */
    private static final Path RESULTS = resultsParent();

    /** Starts Herald and waits until it listens. */
    public static HeraldProcess start(Map<String, String> env, List<String> jvmArgs) throws IOException {
        return start(command(env, jvmArgs));
    }

    /** Starts a command built by {@link #command} (perhaps prefixed, e.g. by {@code prlimit}) and waits until it listens. */
    public static HeraldProcess start(ProcessBuilder command) throws IOException {
        Path log = Files.createTempFile("herald-process", ".log");
        log.toFile().deleteOnExit();
        Process process = command.redirectOutput(log.toFile()).start();
        // a test that fails half way must not leave its pods running after the test JVM ends
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        HeraldProcess started = new HeraldProcess(process, log);
        Await.until("Herald to listen", WAIT, () -> started.output().contains("Herald listening") || !process.isAlive());
        if (!process.isAlive()) {
            throw new AssertionError("Herald did not start: " + started.output());
        }
        return started;
    }

    /** The command line, with HERALD_* and SERVER_PORT of this environment replaced by {@code env}. */
    public static ProcessBuilder command(Map<String, String> env, List<String> jvmArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the JVM options the Dockerfile ships: every pod run as a process runs with them
        command.add("@" + Path.of("config", "jvm.options").toAbsolutePath());
        command.add("-Dherald.jobs.result-dir=" + RESULTS);
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.herald.Main");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("HERALD_") || k.equals("SERVER_PORT"));
        builder.environment().putAll(env);
        return builder;
    }

    private static Path resultsParent() {
        try {
            Path dir = Files.createTempDirectory("herald-process-results");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                } catch (IOException e) {
                    // best effort at JVM exit
                }
            }));
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
