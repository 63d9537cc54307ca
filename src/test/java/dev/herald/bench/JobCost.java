package dev.herald.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herald.HeraldProcess;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;
import dev.herald.redis.RedisProcess;

/**
 * What a job's progress report costs against a plain publish (issue 18, decision 009): the same user channel, events
 * of the same size, W workers each on a keep-alive socket sending back to back (saturation), the two kinds in
 * alternating windows of one run, a stream on {@code user:bench} counting what it receives. Reports are
 * {@code POST /api/jobs/{id}/progress} with the job's worker token, progress rising by 0.0001 per report (a
 * million reports per job), one job per worker; publishes are {@code POST /api/publish} with a service token. Pods
 * are separate JVMs (as {@link Capacity}); clustered mode starts its own redis-server and spreads the workers over the
 * pods, the stream on pod 0.
 *
 * <pre>
 * bench/job-cost.sh embedded|clustered [--pairs 3] [--seconds 6] [--workers 8] [--warmup-seconds 8] [--pods 2]
 *                   [--sequential-pairs 0]
 * </pre>
 * Prints one JSON line per window on stdout (then one line of report/publish ratios, median and range over the
 * pairs), progress on stderr. Odd pairs run the publish window first, even pairs the report window first.
 * {@code --sequential-pairs} adds pairs with one worker (unloaded latency) after the saturated ones.
 */
public final class JobCost {
    private static final String USER = "bench";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> options;
    private final boolean clustered;
    private final TokenIssuer issuer = new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8));
    private final String service;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<HeraldProcess> pods = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private RedisInfo redis;
    private final CountingStream stream = new CountingStream();
    /** The publish body's padding, so that its event is as long as a progress report's. */
    private String padding = "";
    private double idlePodPerSecond;
    private double idleRedisPerSecond;

    private JobCost(String mode, Map<String, String> options) {
        this.options = options;
        this.clustered = switch (mode) {
            case "embedded" -> false;
            case "clustered" -> true;
            default -> throw new IllegalArgumentException("mode is embedded or clustered, not " + mode);
        };
        this.service = issuer.issue("backend", "Backend", List.of("service"), Duration.ofHours(2));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> options = BenchOptions.parse(argv, "job-cost.sh embedded|clustered [--option value]… (see JobCost.java)");
        JobCost cost = new JobCost(argv[0], options);
        RedisProcess redisServer = null;
        try {
            if (cost.clustered) {
                redisServer = RedisProcess.start(false);
                cost.redis = new RedisInfo("127.0.0.1:" + redisServer.port());
            }
            cost.run(redisServer == null ? null : redisServer.url());
        } finally {
            for (HeraldProcess pod : cost.pods) {
                pod.process().destroy();
                pod.process().waitFor(10, TimeUnit.SECONDS);
            }
            if (redisServer != null) {
                redisServer.close();
            }
        }
        System.exit(0);
    }

    private void run(String redisUrl) throws Exception {
        int podCount = clustered ? integer("pods", 2) : 1;
        for (int p = 0; p < podCount; p++) {
            startPod(redisUrl);
        }
        stream.open(URI.create(base(0) + "/api/events?channel=user:" + USER + "&access_token="
                               + issuer.issue(USER, USER, List.of(), Duration.ofHours(2))));
        calibrate();
        int workers = integer("workers", 8);
        double warmup = Double.parseDouble(options.getOrDefault("warmup-seconds", "8"));
        System.err.println("warming up");
        // twice each: one short window left publishes half compiled (the first measured pair ran at half speed)
        for (int round = 0; round < 2; round++) {
            window("publish", workers, warmup);
            window("report", workers, warmup);
        }
        idle(3);
        double seconds = Double.parseDouble(options.getOrDefault("seconds", "6"));
        pairs(integer("pairs", 3), workers, seconds);
        // one worker: each request alone, the latency of the work itself rather than of the queue at saturation
        pairs(integer("sequential-pairs", 0), 1, seconds);
    }

    /** Alternating pairs of windows: odd pairs publish first, even pairs report first; then the ratios. */
    private void pairs(int pairs, int workers, double seconds) throws Exception {
        List<Map<String, Object>> publishes = new ArrayList<>();
        List<Map<String, Object>> reports = new ArrayList<>();
        for (int pair = 1; pair <= pairs; pair++) {
            List<String> order = pair % 2 == 1 ? List.of("publish", "report") : List.of("report", "publish");
            for (String kind : order) {
                Map<String, Object> result = window(kind, workers, seconds);
                result.put("pair", pair);
                (kind.equals("publish") ? publishes : reports).add(result);
                System.out.println(json(result));
            }
        }
        if (pairs > 0) {
            System.out.println(json(ratios(publishes, reports)));
        }
    }

    // ---- one window ----

    /** W workers send {@code kind} back to back for {@code seconds}; then every event must reach the stream. */
    private Map<String, Object> window(String kind, int workers, double seconds) throws Exception {
        if (stream.ended) {
            throw new IllegalStateException("the stream ended (dropped as a slow consumer?)");
        }
        boolean report = kind.equals("report");
        List<String[]> jobs = new ArrayList<>();
        if (report) {
            long others = stream.others.sum();
            for (int w = 0; w < workers; w++) {
                jobs.add(createJob());
            }
            until("every generation_started", () -> stream.others.sum() >= others + workers);
        }
        Latency requests = new Latency();
        Latency delivery = new Latency();
        stream.delivery = delivery;
        LongAdder typed = report ? stream.progress : stream.published;
        LongAdder bytes = report ? stream.progressBytes : stream.publishedBytes;
        long typedBefore = typed.sum();
        long bytesBefore = bytes.sum();
        long outOfOrderBefore = stream.outOfOrder.get();
        AtomicLong sent = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        RedisInfo.Sample redisBefore = redis == null ? null : redis.sample();
        long podTicks = podTicks();
        long clientTicks = ticks("/proc/self/stat");
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int pod = w % ports.size();
            String[] job = report ? jobs.get(w) : null;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Poster poster = new Poster(ports.get(pod))) {
                    for (long n = 1; System.nanoTime() < end; n++) {
                        String micros = Long.toString(System.nanoTime() / 1000);
                        long t0 = System.nanoTime();
                        int status = report
                                ? poster.post("/api/jobs/" + job[0] + "/progress", job[1],
                                              "{\"progress\":" + String.format(Locale.ROOT, "%.4f", n / 10_000.0)
                                              + ",\"message\":\"sent=" + micros + "\"}")
                                : poster.post("/api/publish", service,
                                              "{\"channel\":\"user:" + USER
                                              + "\",\"type\":\"bench\",\"message\":\"sent="
                                              + micros + "\",\"text\":\"" + padding + "\"}");
                        requests.record((System.nanoTime() - t0) / 1000);
                        if (status == (report ? 200 : 202)) {
                            sent.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                    System.err.println("worker: " + e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        try {
            until("every event on the stream", () -> typed.sum() - typedBefore >= sent.get());
        } catch (IllegalStateException timedOut) {
            // reported as lost
        }
        double windowSeconds = (System.nanoTime() - start) / 1e9;
        double podSeconds = (podTicks() - podTicks) / 100.0;
        double clientSeconds = (ticks("/proc/self/stat") - clientTicks) / 100.0;
        RedisInfo.Delta redisDelta = redis == null ? null : redis.sample().since(redisBefore);
        long received = typed.sum() - typedBefore;
        if (stream.ended) {
            throw new IllegalStateException("the stream ended during the " + kind + " window, " + received + " of "
                                            + sent.get() + " received");
        }
        if (report) {
            long others = stream.others.sum();
            for (String[] job : jobs) {
                post(0, "/api/jobs/" + job[0] + "/complete", job[1], "{}", 200);
            }
            until("every generation_complete", () -> stream.others.sum() >= others + workers);
        }
        double ops = Math.max(1, sent.get());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("mode", clustered ? "clustered" : "embedded");
        result.put("pods", ports.size());
        result.put("kind", kind);
        result.put("workers", workers);
        result.put("seconds", round(sendSeconds, 2));
        result.put("requests", sent.get());
        result.put("errors", errors.get());
        result.put("requests_per_s", round(sent.get() / sendSeconds, 0));
        result.put("latency_p50_ms", round(requests.quantile(0.5) / 1000.0, 3));
        result.put("latency_p99_ms", round(requests.quantile(0.99) / 1000.0, 3));
        result.put("latency_max_ms", round(requests.max() / 1000.0, 3));
        result.put("received", received);
        result.put("lost", sent.get() - received);
        result.put("out_of_order", stream.outOfOrder.get() - outOfOrderBefore);
        result.put("event_bytes", round((bytes.sum() - bytesBefore) / (double) Math.max(1, received), 0));
        result.put("delivery_p50_ms", round(delivery.quantile(0.5) / 1000.0, 3));
        result.put("delivery_p99_ms", round(delivery.quantile(0.99) / 1000.0, 3));
        result.put("pod_cpu_us_per_op", round((podSeconds - idlePodPerSecond * windowSeconds) * 1e6 / ops, 1));
        result.put("client_cpu_us_per_op", round(clientSeconds * 1e6 / ops, 1));
        if (redisDelta != null) {
            result.put("redis_cpu_us_per_op",
                       round((redisDelta.cpuSeconds() - idleRedisPerSecond * windowSeconds) * 1e6 / ops, 1));
            result.put("redis_in_bytes_per_op", round(redisDelta.netIn() / ops, 0));
            result.put("redis_out_bytes_per_op", round(redisDelta.netOut() / ops, 0));
            Map<String, Object> calls = new TreeMap<>();
            redisDelta.calls().forEach((name, n) -> {
                if (n / ops >= 0.01) {
                    calls.put(name, round(n / ops, 2));
                }
            });
            result.put("redis_calls_per_op", calls);
        }
        System.err.println("  " + kind + ": " + result.get("requests_per_s") + " req/s, p50 "
                           + result.get("latency_p50_ms") + " ms, lost " + result.get("lost"));
        return result;
    }

    /** The pods' and Redis' CPU per second with nothing sent, subtracted from every window. */
    private void idle(int seconds) throws IOException {
        RedisInfo.Sample before = redis == null ? null : redis.sample();
        long ticks = podTicks();
        long start = System.nanoTime();
        pause(seconds * 1000L);
        double elapsed = (System.nanoTime() - start) / 1e9;
        idlePodPerSecond = (podTicks() - ticks) / 100.0 / elapsed;
        idleRedisPerSecond = before == null ? 0 : redis.sample().since(before).cpuSeconds() / elapsed;
    }

    /** Pads the publish so that its event on the stream is as long as a progress report's. */
    private void calibrate() throws Exception {
        String[] job = createJob();
        until("generation_started", () -> stream.others.sum() >= 1);
        post(0, "/api/jobs/" + job[0] + "/progress", job[1],
             "{\"progress\":50.1234,\"message\":\"sent=" + System.nanoTime() / 1000 + "\"}", 200);
        until("the first report", () -> stream.progress.sum() >= 1);
        post(0, "/api/publish", service, "{\"channel\":\"user:" + USER + "\",\"type\":\"bench\",\"message\":\"sent="
                                          + System.nanoTime() / 1000 + "\",\"text\":\"\"}", 202);
        until("the first publish", () -> stream.published.sum() >= 1);
        padding = "x".repeat((int) Math.max(0, stream.progressBytes.sum() - stream.publishedBytes.sum()));
        post(0, "/api/jobs/" + job[0] + "/complete", job[1], "{}", 200);
        until("generation_complete", () -> stream.others.sum() >= 2);
    }

    // ---- pods and requests ----

    private void startPod(String redisUrl) throws IOException {
        int port = HeraldProcess.freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("HERALD_JWT_SECRET", TestPod.SECRET);
        env.put("HERALD_DEV_MODE", "false");
        if (redisUrl != null) {
            env.put("HERALD_REDIS_URL", redisUrl);
        }
        // the channel budget lifted, not removed: both kinds still take a token from it, as in production; the
        // stream's queue large enough that the one stream, behind at 30,000 events/s, is not dropped as too slow
        pods.add(HeraldProcess.start(env, List.of("-Dherald.pod-id=jobcost-" + port, "-Dherald.access-log=false",
                                                  "-Dherald.rate.channel.per-second=100000000",
                                                  "-Dherald.rate.channel.burst=100000000",
                                                  "-Dherald.sse.queue-capacity=1000000")));
        ports.add(port);
    }

    /** A job of user bench with a long lease: {jobId, workerToken}. */
    private String[] createJob() throws IOException, InterruptedException {
        JsonNode created = JSON.readTree(post(0, "/api/jobs", service,
                                              "{\"userId\":\"" + USER + "\",\"kind\":\"bench\",\"leaseSeconds\":3600}",
                                              201));
        return new String[] {created.get("jobId").asText(), created.get("workerToken").asText()};
    }

    private String post(int pod, String path, String token, String body, int expected)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base(pod) + path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private String base(int pod) {
        return "http://127.0.0.1:" + ports.get(pod);
    }

    private long podTicks() throws IOException {
        long total = 0;
        for (HeraldProcess pod : pods) {
            total += ticks("/proc/" + pod.process().pid() + "/stat");
        }
        return total;
    }

    /** User + system CPU of a process in ticks of 10 ms. */
    private static long ticks(String statFile) throws IOException {
        String stat = Files.readString(Path.of(statFile));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    // ---- results ----

    /** Report / publish per pair, for each figure: the median and the range over the pairs. */
    private static Map<String, Object> ratios(List<Map<String, Object>> publishes, List<Map<String, Object>> reports) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", publishes.get(0).get("mode"));
        out.put("kind", "ratio report/publish");
        out.put("workers", publishes.get(0).get("workers"));
        out.put("pairs", publishes.size());
        for (String figure : List.of("requests_per_s", "latency_p50_ms", "latency_p99_ms", "delivery_p50_ms",
                                     "delivery_p99_ms", "pod_cpu_us_per_op", "redis_cpu_us_per_op",
                                     "redis_out_bytes_per_op")) {
            if (!publishes.get(0).containsKey(figure)) {
                continue;
            }
            double[] r = new double[publishes.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = ((Number) reports.get(i).get(figure)).doubleValue()
                       / ((Number) publishes.get(i).get(figure)).doubleValue();
            }
            java.util.Arrays.sort(r);
            double median = r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
            Map<String, Object> spread = new LinkedHashMap<>();
            spread.put("median", round(median, 2));
            spread.put("min", round(r[0], 2));
            spread.put("max", round(r[r.length - 1], 2));
            out.put(figure, spread);
        }
        return out;
    }

    private static String json(Map<String, Object> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private int integer(String name, int fallback) {
        return BenchOptions.integer(options, name, fallback);
    }

    private static void pause(long millis) {
        BenchOptions.pause(millis);
    }

    private static void until(String what, BooleanSupplier done) {
        BenchOptions.until(what, Duration.ofSeconds(30), 5, done);
    }
}
