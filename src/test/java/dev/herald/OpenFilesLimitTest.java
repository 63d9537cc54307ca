package dev.herald;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import dev.herald.auth.TokenIssuer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod limited to 1,024 open files ({@code prlimit}), real sockets: 700 streams drop without a word and 700
 * reconnect at once, twice. The dropped sockets stay open on the pod until a heartbeat write fails, so for a moment
 * the pod is asked for about 1,400 sockets. It must keep accepting (issue 11, case 5); and if its listener dies
 * anyway, liveness must say so.
 */
class OpenFilesLimitTest {
    private static final String SECRET = "open-files-secret-open-files-secret-0123";
    private static final int FILE_LIMIT = 1024;
    private static final int STREAMS = 700;
    private static final Duration STORM = Duration.ofSeconds(15);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CHANNEL = "channel:storm";

    @Test
    void reconnectStorms_underA1024FileLimit_podKeepsAccepting() throws Exception {
        int port = HeraldProcess.freePort();
        HeraldProcess herald = startLimited(port, List.of("-Dherald.sse.max-connections=720"));
        try {
            String token = issuer().issue("storm", "Storm", List.of(), Duration.ofMinutes(5));
            for (int round = 0; round < 3; round++) {
                List<Socket> open = new ArrayList<>();
                Map<String, Integer> outcomes = storm(port, token, STREAMS, open);
                drop(open);
                assertEquals(Map.of("200", STREAMS), outcomes, "round " + round + "; " + severe(herald));
            }
            HttpClient client = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            try (SseClient stream = SseClient.open(client, base.resolve(TestPod.eventsPath(CHANNEL)),
                                                   Map.of("Authorization", "Bearer " + token))) {
                stream.awaitCursor(WAIT);
                HttpResponse<String> published = client.send(HttpRequest.newBuilder(base.resolve("/api/publish"))
                        .header("Authorization", "Bearer " + issuer().issue("backend", "Backend", List.of("service"),
                                                                            Duration.ofMinutes(5)))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + CHANNEL
                                                                  + "\",\"type\":\"after-storm\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, published.statusCode(), published.body());
                stream.awaitEvents("after-storm", 1, WAIT);
            }
            for (String path : List.of("/observe/health/live", "/observe/health/ready")) {
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(base.resolve(path)).build(),
                                                          HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), path + " " + health.body());
            }
            assertTrue(severe(herald).isEmpty(), severe(herald));
        } finally {
            stop(herald);
        }
    }

    /**
     * The bound turned off on purpose ({@code server.max-tcp-connections=-1}): the storm kills the main listener as
     * it did before the bound existed. Helidon then closes every connection of that listener, so the probe holds its
     * keep-alive connection to the observe port, opened before the storm; over it liveness must go DOWN.
     */
    @Test
    void listenerKilledByTheStorm_livenessGoesDownOnAKeepAliveProbe() throws Exception {
        int port = HeraldProcess.freePort();
        int observePort = HeraldProcess.freePort();
        HeraldProcess herald = startLimited(port, List.of("-Dherald.sse.max-connections=720",
                                                          "-Dserver.max-tcp-connections=-1",
                                                          "-Dherald.management.port=" + observePort));
        try (KeepAliveProbe probe = KeepAliveProbe.open(observePort, WAIT)) {
            assertEquals(200, probe.get("/observe/health/live").status());
            String token = issuer().issue("storm", "Storm", List.of(), Duration.ofMinutes(5));
            for (int round = 0; round < 3 && probe.get("/observe/health/live").status() == 200; round++) {
                List<Socket> open = new ArrayList<>();
                storm(port, token, STREAMS, open);
                drop(open);
            }
            Await.until("liveness DOWN on the probe's connection", WAIT, () -> live(probe).status() == 503);
            KeepAliveProbe.Answer live = probe.get("/observe/health/live");
            assertTrue(live.body().contains("\"status\":\"DOWN\"") && live.body().contains("\"listener\":\"gone\""),
                       live.body());
            assertEquals(503, probe.get("/observe/health/ready").status(), "not ready either");
            String log = herald.output();
            assertTrue(log.contains("terminating now"), "Helidon's listener died of the storm: " + log);
            assertEquals(1, log.lines().filter(l -> l.contains("Liveness is DOWN")).count(), "one SEVERE line: " + log);
        } finally {
            stop(herald);
        }
    }

    private static KeepAliveProbe.Answer live(KeepAliveProbe probe) {
        try {
            return probe.get("/observe/health/live");
        } catch (IOException e) {
            throw new AssertionError("the probe's keep-alive connection failed", e);
        }
    }

    @Test
    void streamCapAboveTheLimit_exitsWithStatus2_andOneLineNamingTheSettingAndTheLimit() throws Exception {
        String reason = refusal(List.of("-Dherald.sse.max-connections=1000"));
        assertTrue(reason.startsWith("herald: cannot start: herald.sse.max-connections (1000) does not fit under the "
                                     + "open-files limit of 1024: at most "), reason);
    }

    @Test
    void explicitTcpBoundAboveTheLimit_exitsWithStatus2_andOneLineNamingTheSettingAndTheLimit() throws Exception {
        String reason = refusal(List.of("-Dherald.sse.max-connections=100", "-Dserver.max-tcp-connections=1024"));
        assertTrue(reason.startsWith("herald: cannot start: server.max-tcp-connections (1024) does not fit under the "
                                     + "open-files limit of 1024: at most "), reason);
    }

    /** Starts Herald under the file limit, expects it to refuse, and returns its one line. */
    private static String refusal(List<String> jvmArgs) throws Exception {
        ProcessBuilder command = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(HeraldProcess.freePort()),
                                                              "HERALD_DEV_MODE", "true"), jvmArgs);
        command.command().addAll(0, List.of("prlimit", "--nofile=" + FILE_LIMIT + ":" + FILE_LIMIT));
        Process process = command.start();
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), output);
            List<String> reasons = output.lines().filter(l -> l.startsWith("herald: cannot start")).toList();
            assertEquals(1, reasons.size(), output);
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
            assertFalse(output.contains("Herald listening"), output);
            return reasons.get(0);
        } finally {
            process.destroyForcibly();
        }
    }

    /** Starts Herald under the file limit, a secret known to the test, the per-user cap out of the way. */
    private static HeraldProcess startLimited(int port, List<String> jvmArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("-Dherald.sse.heartbeat=PT1S",
                                                    "-Dherald.sse.max-connections-per-user=100000",
                                                    "-Dherald.access-log=false"));
        args.addAll(jvmArgs);
        ProcessBuilder command = HeraldProcess.command(Map.of("SERVER_PORT", String.valueOf(port),
                                                              "HERALD_JWT_SECRET", SECRET,
                                                              "HERALD_DEV_MODE", "false"), args);
        command.command().addAll(0, List.of("prlimit", "--nofile=" + FILE_LIMIT + ":" + FILE_LIMIT));
        return HeraldProcess.start(command);
    }

    private static TokenIssuer issuer() {
        return new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Opens {@code n} HTTP/1.1 streams at once on raw sockets, kept in {@code open}. A stream answered 503 tries
     * again, as herald.js does, until {@link #STORM} has passed; a refused connection ends it. Returns how each
     * stream ended: "200", or the last answer or error it got.
     */
    private static Map<String, Integer> storm(int port, String token, int n, List<Socket> open) throws Exception {
        byte[] request = ("GET " + TestPod.eventsPath(CHANNEL) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        List<Socket> opened = java.util.Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + STORM.toNanos();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> streams = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                streams.add(threads.submit(() -> {
                    go.await();
                    String outcome = "nothing";
                    while (System.nanoTime() < deadline) {
                        Socket socket = new Socket();
                        try {
                            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                            socket.getOutputStream().write(request);
                            outcome = status(socket.getInputStream());
                        } catch (IOException e) {
                            outcome = e.getClass().getSimpleName() + ": " + e.getMessage();
                        }
                        if (outcome.equals("200")) {
                            opened.add(socket);
                            break;
                        }
                        socket.close();
                        if (outcome.startsWith("ConnectException")) {
                            break; // refused: nothing listens on the port, and nothing will
                        }
                        // a client's back-off between tries (herald.js waits with jitter too), not a synchronization
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20 + ThreadLocalRandom.current().nextInt(80)));
                    }
                    outcomes.merge(outcome, 1, Integer::sum);
                    return null;
                }));
            }
            go.countDown();
        }
        for (Future<?> stream : streams) {
            stream.get(); // done once the executor has closed; rethrows what a stream's thread threw
        }
        open.addAll(opened);
        return new TreeMap<>(outcomes);
    }

    /** The three digits of the status line. */
    private static String status(InputStream in) throws IOException {
        byte[] line = in.readNBytes(12);
        if (line.length < 12) {
            return "closed before the status line";
        }
        return new String(line, 9, 3, StandardCharsets.US_ASCII);
    }

    /** Closes every socket with a reset, as a client that vanished: the pod notices only when it writes. */
    private static void drop(List<Socket> sockets) throws IOException {
        for (Socket socket : sockets) {
            socket.setSoLinger(true, 0);
            socket.close();
        }
    }

    private static String severe(HeraldProcess herald) {
        return herald.output().lines().filter(l -> l.contains("SEVERE") || l.contains("terminating"))
                .collect(Collectors.joining("\n"));
    }

    private static void stop(HeraldProcess herald) throws InterruptedException {
        herald.process().destroy();
        if (!herald.process().waitFor(20, TimeUnit.SECONDS)) {
            herald.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
