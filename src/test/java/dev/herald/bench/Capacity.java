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
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.ToDoubleBiFunction;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.function.ToDoubleFunction;

import dev.herald.HeraldProcess;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;
import dev.herald.redis.RedisClusterProcess;
import dev.herald.redis.RedisProcess;

/**
 * The capacity model's measurements (docs/capacity.md): runs each operation many times against real pods (separate
 * JVMs) and a real Redis and prints, per operation, the Redis commands by name, Redis network bytes in and out, Redis
 * CPU, Redis memory, and the pods' CPU (from /proc), as deltas over a window that holds only that operation.
 *
 * <pre>
 * bench/capacity.sh embedded|clustered [--n 1000] [--k 100] [--pods 2] [--idle 1000] [--idle-seconds 60]
 *                   [--runs 3] [--heartbeat PT5S] [--baseline-seconds 10] [--event-bytes 200]
 *                   [--phases publish,connect,idle] [--publishers 1] [--idle-settle-seconds 0]
 *                   [--redis-url URL [--redis-nodes h:p,h:p…] | --redis-cluster MASTERS] [--spread 200]
 * </pre>
 * Without {@code --redis-url} clustered mode starts its own redis-server on a free port, or with
 * {@code --redis-cluster 3} its own Redis Cluster of 3 masters with a replica each ({@code RedisClusterProcess}).
 * {@code --redis-nodes} lists every node to sample (the shards of a Redis Cluster; a started cluster samples all its
 * nodes): the Redis figures are their sum, and a second table gives each node's share. Single-threaded on the client
 * side (but for {@code --publishers}); the client's CPU is not counted.
 */
public final class Capacity {
    private static final String SECRET = TestPod.SECRET;

    private final Map<String, String> options;
    private final boolean clustered;
    private final TokenIssuer issuer = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8));
    private final String service;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<HeraldProcess> pods = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<RedisInfo> nodes = new ArrayList<>();
    /** A started Redis Cluster's masters (empty otherwise), and what the shard report has printed. */
    private final List<Integer> masters = new ArrayList<>();
    private final List<String> shardReport = new ArrayList<>();
    private final Map<String, List<Measured>> results = new LinkedHashMap<>();
    private final String padding;
    private final AtomicLong seq = new AtomicLong();
    /** The current run's idle baseline, subtracted from every CPU figure; null while measuring it. */
    private Window.Result baseline;

    private Capacity(String mode, Map<String, String> options) {
        this.options = options;
        this.clustered = switch (mode) {
            case "embedded" -> false;
            case "clustered" -> true;
            default -> throw new IllegalArgumentException("mode is embedded or clustered, not " + mode);
        };
        this.service = issuer.issue("backend", "Backend", List.of("service"), Duration.ofHours(2));
        // a typical chat line: the whole event is about 200 bytes
        this.padding = "x".repeat(Math.max(0, integer("event-bytes", 200) - 110));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> options = BenchOptions.parse(argv, "capacity.sh embedded|clustered [--option value]… (see Capacity.java)");
        Capacity capacity = new Capacity(argv[0], options);
        RedisProcess redis = null;
        RedisClusterProcess cluster = null;
        try {
            String url = options.get("redis-url");
            if (capacity.clustered && url == null && options.containsKey("redis-cluster")) {
                cluster = RedisClusterProcess.start(Integer.parseInt(options.get("redis-cluster")), 1);
                url = cluster.url();
                capacity.masters.addAll(cluster.masters());
                String all = String.join(",", cluster.ports().stream().map(p -> "127.0.0.1:" + p).toList());
                options.put("redis-nodes", all);
            } else if (capacity.clustered && url == null) {
                redis = RedisProcess.start(false);
                url = redis.url();
            }
            capacity.run(url);
        } finally {
            capacity.stopPods();
            if (redis != null) {
                redis.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
        System.exit(0);
    }

    private void run(String redisUrl) throws Exception {
        int podCount = clustered ? integer("pods", 2) : 1;
        for (int p = 0; p < podCount; p++) {
            startPod(redisUrl);
        }
        if (clustered) {
            // a redis-cluster:// or redis-sentinel:// URL names seeds, not every node: list them with --redis-nodes
            String list = options.containsKey("redis-nodes") ? options.get("redis-nodes")
                    : URI.create(redisUrl).getHost() + ":" + URI.create(redisUrl).getPort();
            for (String node : list.split(",")) {
                nodes.add(new RedisInfo(node.trim()));
            }
        }
        int n = integer("n", 1000);
        int k = integer("k", 100);
        int runs = integer("runs", 3);
        List<String> phases = List.of(options.getOrDefault("phases", "publish,connect,idle").split(","));
        System.err.println("warming up");
        // a JIT-compiled pod is what production runs: every path first runs long enough to be compiled
        deliver("warm-up", 5000, k, 1);
        publishAlone(n);
        connect("warm-up", n, "own");
        connect("warm-up", n, "same");
        connect("warm-up", n, "presence");
        results.clear();
        for (int run = 1; run <= runs; run++) {
            System.err.println("run " + run + " of " + runs);
            baseline(integer("baseline-seconds", 10));
            if (phases.contains("publish")) {
                publishAlone(n);
                deliver("publish, " + k + " streams on 1 pod", n, k, 1);
                if (podCount > 1) {
                    deliver("publish, " + k + " streams over " + podCount + " pods", n, k, podCount);
                }
                spread(n, integer("spread", 200), run == 1);
            }
            if (phases.contains("connect")) {
                connect("stream, its own channel", n, "own");
                connect("stream, a channel the pod follows", n, "same");
                connect("stream with presence (join/leave)", n, "presence");
            }
            if (phases.contains("idle")) {
                idle(integer("idle", 1000), integer("idle-seconds", 60));
            }
        }
        report();
    }

    // ---- the operations ----

    /** Publishes to 100 channels that no stream follows: the publish path alone. */
    private void publishAlone(int n) throws Exception {
        Window window = open();
        publishAll(n, i -> 0, i -> "channel:cap-alone" + (i % 100));
        record("publish, no stream", "publish", window.close(n));
    }

    /**
     * N publishes through pod 0, one at a time, or from {@code --publishers} threads at once (what a loaded Redis
     * sees: several clients' commands per wake-up).
     */
    private void publishAll(int n, IntUnaryOperator pod, IntFunction<String> channel) throws Exception {
        int publishers = integer("publishers", 1);
        if (publishers == 1) {
            for (int i = 0; i < n; i++) {
                publish(pod.applyAsInt(i), channel.apply(i));
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < publishers; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        publish(pod.applyAsInt(i), channel.apply(i));
                    }
                } catch (IOException | InterruptedException | RuntimeException e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    /** K streams on one channel (spread over {@code over} pods), then N publishes: per publish and per delivery. */
    private void deliver(String phase, int n, int k, int over) throws Exception {
        String channel = "channel:cap-deliver";
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            urls.add(events(i % over, channel, service));
        }
        try (SseLoad load = new SseLoad(new Latency())) {
            load.open(urls, urls.size(), Map.of(), 10_000);
            until("streams open", () -> load.open.sum() >= k);
            pause(1000);
            long before = load.received();
            Window window = open();
            publishAll(n, i -> 0, i -> channel);
            until("every delivery", () -> load.received() - before >= (long) n * k);
            Window.Result result = window.close(n);
            record(phase, "publish (" + k + " deliveries)", result);
        }
        // the departures (lease releases, unsubscribes) belong to no later window
        pause(2 * heartbeat().toMillis() + 1500);
        for (int pod = 0; pod < over; pod++) {
            int p = pod;
            until("streams closed on pod " + p, () -> openStreams(p) == 0);
        }
    }

    /**
     * M channels (spread over all hash slots by their names), one stream each, on pod {@code c % pods}; N publishes
     * round-robin over the channels, each channel's turns alternating between the pods: on a cluster each publish
     * runs on its channel's master and goes out only to the one pod following it. The first run prints where the
     * shard subscriptions are (ShardReport).
     */
    private void spread(int n, int m, boolean report) throws Exception {
        List<String> channels = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        for (int c = 0; c < m; c++) {
            channels.add("channel:cap-spread" + c);
            urls.add(events(c % ports.size(), channels.get(c), service));
        }
        try (SseLoad load = new SseLoad(new Latency())) {
            load.open(urls, urls.size(), Map.of(), 10_000);
            until("streams open", () -> load.open.sum() >= m);
            pause(1000);
            if (report && !masters.isEmpty()) {
                Map<Long, String> podNames = new LinkedHashMap<>();
                for (int p = 0; p < pods.size(); p++) {
                    podNames.put(pods.get(p).process().pid(), "pod " + p);
                }
                shardReport.addAll(ShardReport.table(masters, podNames, channels));
            }
            long before = load.received();
            Window window = open();
            publishAll(n, i -> (i / m) % ports.size(), i -> channels.get(i % m));
            until("every delivery", () -> load.received() - before >= n);
            record("publish over " + m + " channels from " + ports.size() + " pods, 1 stream each", "publish",
                   window.close(n));
        }
        pause(2 * heartbeat().toMillis() + 1500);
        for (int pod = 0; pod < ports.size(); pod++) {
            int p = pod;
            until("streams closed on pod " + p, () -> openStreams(p) == 0);
        }
    }

    /**
     * N streams opened, then closed: "own" gives each stream a channel of its own (user:cap-i), "same" opens all on
     * one user channel (the pod follows it after the first), "presence" gives each user a shared channel of its own
     * (a join and an online event on connect, a leave and an offline event on close).
     */
    private void connect(String phase, int n, String kind) throws Exception {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String user = kind.equals("same") ? "cap-same" : "cap-" + kind + "-" + i;
            String channel = kind.equals("presence") ? "channel:cap-room-" + i : "user:" + user;
            urls.add(events(0, channel, token(user)));
        }
        SseLoad load = new SseLoad(new Latency());
        Window window = open();
        load.open(urls, n, Map.of(), 10_000);
        until("streams open", () -> load.open.sum() >= n);
        pause(500);
        Window.Result opened = window.close(n);
        Window closing = open();
        load.close();
        // a pod notices a departed client when a heartbeat write fails, often the second: two heartbeats and a bit
        pause(2 * heartbeat().toMillis() + 1500);
        Window.Result closed = closing.close(n);
        until("streams closed on the pod", () -> openStreams(0) == 0);
        record(phase + ": connect", "stream", opened);
        record(phase + ": disconnect", "stream", closed);
    }

    /** S streams, each a user on a shared channel of its own (presence entry, lease, subscription), left idle. */
    private void idle(int s, int seconds) throws Exception {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            urls.add(events(0, "channel:cap-idle-" + i, token("cap-idle-" + i)));
        }
        Window held = open();
        try (SseLoad load = new SseLoad(new Latency())) {
            load.open(urls, s, Map.of(), 10_000);
            until("streams open", () -> load.open.sum() >= s);
            pause(2000);
            record("idle stream: held (memory)", "stream", held.close(s));
            // the connect burst leaves GC and JIT work behind; --idle-settle-seconds keeps it out of the idle window
            pause(integer("idle-settle-seconds", 0) * 1000L);
            Window window = open();
            pause(seconds * 1000L);
            // a unit of "one stream for one minute"
            record("idle stream, " + heartbeat() + " heartbeat", "stream-minute", window.close(s * seconds / 60.0));
        }
        pause(2 * heartbeat().toMillis() + 1500);
        until("idle streams closed on the pod", () -> openStreams(0) == 0);
        settle();
    }

    // ---- pods and requests ----

    private void startPod(String redisUrl) throws IOException {
        int port = HeraldProcess.freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("HERALD_JWT_SECRET", SECRET);
        env.put("HERALD_DEV_MODE", "false");
        if (redisUrl != null) {
            env.put("HERALD_REDIS_URL", redisUrl);
        }
        List<String> jvm = List.of("-Dherald.pod-id=capacity-" + port, "-Dherald.access-log=false",
                                   "-Dherald.sse.heartbeat=" + heartbeat(),
                                   "-Dherald.sse.max-connections=19000",
                                   "-Dherald.sse.max-connections-per-user=1000000",
                                   "-Dherald.rate.channel.per-second=100000000",
                                   "-Dherald.rate.channel.burst=100000000");
        pods.add(HeraldProcess.start(env, jvm));
        ports.add(port);
    }

    private void stopPods() {
        for (HeraldProcess pod : pods) {
            pod.process().destroy();
            try {
                pod.process().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String events(int pod, String channel, String token) {
        return "http://127.0.0.1:" + ports.get(pod) + "/api/events?channel=" + channel + "&access_token=" + token;
    }

    private String token(String user) {
        return issuer.issue(user, user, List.of(), Duration.ofHours(2));
    }

    private void publish(int pod, String channel) throws IOException, InterruptedException {
        String body = "{\"channel\":\"" + channel + "\",\"type\":\"cap\",\"seq\":" + seq.getAndIncrement()
                      + ",\"text\":\"" + padding + "\"}";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(pod) + "/api/publish"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + service)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IllegalStateException("publish answered " + response.statusCode() + " " + response.body());
        }
    }

    /** The pod's open streams, from its metrics (read outside measuring windows: a scrape costs the pod CPU). */
    private long openStreams(int pod) {
        try {
            HttpRequest request = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ports.get(pod) + "/observe/metrics")).build();
            for (String line : http.send(request, HttpResponse.BodyHandlers.ofString()).body().split("\n")) {
                if (line.startsWith("sse_connections_total")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return -1;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private Duration heartbeat() {
        return Duration.parse(options.getOrDefault("heartbeat", "PT5S"));
    }

    private int integer(String name, int fallback) {
        return BenchOptions.integer(options, name, fallback);
    }

    /** Lets timers that a phase started (lease writer, presence) finish before the next window. */
    private static void settle() {
        pause(1000);
    }

    private static void pause(long millis) {
        BenchOptions.pause(millis);
    }

    private static void until(String what, BooleanSupplier done) {
        BenchOptions.until(what, Duration.ofMinutes(2), 20, done);
    }

    // ---- measuring ----

    private Window open() throws IOException {
        return new Window(this);
    }

    private void record(String phase, String unit, Window.Result result) {
        results.computeIfAbsent(phase + "\t" + unit, key -> new ArrayList<>()).add(new Measured(result, baseline));
        System.err.println("  " + phase + ": pod CPU " + Math.round(result.podMicros(baseline)) + " µs/" + unit
                           + (clustered ? ", Redis " + result.redis().calls() : ""));
    }

    /** A window and the idle baseline of its run. */
    private record Measured(Window.Result r, Window.Result baseline) {
    }

    /** What the pods and Redis use per second with no stream open and nothing published. */
    private void baseline(int seconds) throws IOException {
        baseline = null;
        Window window = open();
        pause(seconds * 1000L);
        baseline = window.close(seconds);
        record("idle pods, no stream (baseline)", "second", baseline);
    }

    /** Counters of every node and pod at the start of a window. */
    private static final class Window {
        /**
         * One window's figures: CPU net of the idle baseline (pods and Redis do timed work even when nothing
         * happens), per operation; commands, bytes and memory as counted.
         */
        record Result(double ops, double seconds, RedisInfo.Delta redis, List<RedisInfo.Delta> perNode,
                      double podSeconds) {
            double podMicros(Result baseline) {
                return net(podSeconds, baseline == null ? 0 : baseline.podSeconds / baseline.seconds);
            }

            double redisMicros(Result baseline) {
                return net(redis.cpuSeconds(), baseline == null ? 0 : baseline.redis.cpuSeconds() / baseline.seconds);
            }

            double nodeMicros(int node, Result baseline) {
                return net(perNode.get(node).cpuSeconds(),
                           baseline == null ? 0 : baseline.perNode.get(node).cpuSeconds() / baseline.seconds);
            }

            private double net(double cpuSeconds, double idlePerSecond) {
                return (cpuSeconds - idlePerSecond * seconds) * 1e6 / ops;
            }
        }

        private final Capacity capacity;
        private final List<RedisInfo.Sample> samples = new ArrayList<>();
        private final long podTicks;
        private final long start = System.nanoTime();

        Window(Capacity capacity) throws IOException {
            this.capacity = capacity;
            for (RedisInfo node : capacity.nodes) {
                samples.add(node.sample());
            }
            this.podTicks = capacity.podTicks();
        }

        Result close(double ops) throws IOException {
            double seconds = (System.nanoTime() - start) / 1e9;
            long ticks = capacity.podTicks() - podTicks;
            List<RedisInfo.Delta> perNode = new ArrayList<>();
            RedisInfo.Delta total = RedisInfo.Delta.none();
            for (int i = 0; i < samples.size(); i++) {
                RedisInfo.Delta delta = capacity.nodes.get(i).sample().since(samples.get(i));
                perNode.add(delta);
                total = total.plus(delta);
            }
            // /proc counts CPU in ticks of 10 ms
            return new Result(ops, seconds, total, perNode, ticks / 100.0);
        }
    }

    private long podTicks() throws IOException {
        long ticks = 0;
        for (HeraldProcess pod : pods) {
            String stat = Files.readString(Path.of("/proc/" + pod.process().pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
        return ticks;
    }

    // ---- the report ----

    private void report() {
        System.out.println();
        System.out.println("mode " + (clustered ? "clustered, " + pods.size() + " pods, nodes " + nodeNames()
                                               : "embedded") + "; " + options + "; median (min–max) of "
                           + results.values().iterator().next().size() + " runs; CPU net of the idle baseline");
        System.out.println();
        if (nodes.isEmpty()) {
            System.out.println("| operation | per | pod CPU µs |");
            System.out.println("|---|---|---|");
            results.forEach((key, runs) -> {
                String[] parts = key.split("\t");
                boolean isBaseline = parts[1].equals("second");
                System.out.println("| " + parts[0] + " | " + parts[1] + " | "
                        + spread(runs, m -> m.r().podMicros(isBaseline ? null : m.baseline()), 1) + " |");
            });
            return;
        }
        System.out.println("| operation | per | Redis commands (scripts' own included) | all commands | Redis in B "
                           + "| Redis out B | Redis CPU µs | Redis memory B | pod CPU µs |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        results.forEach((key, runs) -> {
            String[] parts = key.split("\t");
            boolean isBaseline = parts[1].equals("second");
            System.out.println("| " + parts[0] + " | " + parts[1] + " | " + commands(runs, m -> m.r().redis())
                    + " | "
                    + spread(runs, m -> m.r().redis().received() / m.r().ops(), 2) + " | "
                    + spread(runs, m -> m.r().redis().netIn() / m.r().ops(), 0) + " | "
                    + spread(runs, m -> m.r().redis().netOut() / m.r().ops(), 0) + " | "
                    + spread(runs, m -> isBaseline ? m.r().redisMicros(null) : m.r().redisMicros(m.baseline()), 1)
                    + " | " + spread(runs, m -> m.r().redis().usedMemory() / m.r().ops(), 0) + " | "
                    + spread(runs, m -> isBaseline ? m.r().podMicros(null) : m.r().podMicros(m.baseline()), 1)
                    + " |");
        });
        if (nodes.size() > 1) {
            System.out.println();
            System.out.println("| operation | node | commands by name per op | commands run per op "
                               + "| Redis CPU µs per op | Redis in B per op | Redis out B per op |");
            System.out.println("|---|---|---|---|---|---|---|");
            results.forEach((key, runs) -> {
                boolean isBaseline = key.endsWith("\tsecond");
                for (int i = 0; i < nodes.size(); i++) {
                    int node = i;
                    String address = nodes.get(i).address();
                    String role = masters.isEmpty() ? ""
                            : masters.contains(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))
                                    ? " master" : " replica";
                    System.out.println("| " + key.split("\t")[0] + " | " + address + role + " | "
                            + commands(runs, m -> m.r().perNode().get(node)) + " | "
                            + spread(runs, m -> total(m.r().perNode().get(node)) / m.r().ops(), 2) + " | "
                            + spread(runs, m -> m.r().nodeMicros(node, isBaseline ? null : m.baseline()), 1) + " | "
                            + spread(runs, m -> m.r().perNode().get(node).netIn() / m.r().ops(), 0) + " | "
                            + spread(runs, m -> m.r().perNode().get(node).netOut() / m.r().ops(), 0) + " |");
                }
            });
        }
        if (!masters.isEmpty()) {
            shards();
        }
        if (!shardReport.isEmpty()) {
            System.out.println();
            System.out.println("Shard subscriptions with the spread phase's streams open (run 1):");
            System.out.println();
            shardReport.forEach(System.out::println);
        }
    }

    /**
     * A Redis Cluster's work per operation split by role: the masters' commands by name (what one Redis would run),
     * each master's commands and CPU side by side (how evenly the shards share it), and what the replicas add.
     */
    private void shards() {
        List<Integer> masterNodes = new ArrayList<>();
        List<Integer> replicaNodes = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            String address = nodes.get(i).address();
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            (masters.contains(port) ? masterNodes : replicaNodes).add(i);
        }
        System.out.println();
        System.out.println("Masters " + masters + " in this order; replicas summed.");
        System.out.println();
        System.out.println("| operation | per | masters' commands by name | masters' commands | each master's commands "
                           + "| masters' CPU µs | each master's CPU µs | each master's out B | replicas' CPU µs |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        results.forEach((key, runs) -> {
            String[] parts = key.split("\t");
            boolean isBaseline = parts[1].equals("second");
            ToDoubleBiFunction<Measured, Integer> cpu =
                    (m, node) -> m.r().nodeMicros(node, isBaseline ? null : m.baseline());
            Function<Measured, RedisInfo.Delta> ofMasters = m -> sum(m.r().perNode(), masterNodes);
            List<String> each = new ArrayList<>();
            List<String> eachCpu = new ArrayList<>();
            List<String> eachOut = new ArrayList<>();
            for (int node : masterNodes) {
                each.add(format(median(runs.stream()
                        .mapToDouble(m -> total(m.r().perNode().get(node)) / m.r().ops()).toArray()), 2));
                eachCpu.add(format(median(runs.stream()
                        .mapToDouble(m -> cpu.applyAsDouble(m, node)).toArray()), 1));
                eachOut.add(format(median(runs.stream()
                        .mapToDouble(m -> m.r().perNode().get(node).netOut() / m.r().ops()).toArray()), 0));
            }
            System.out.println("| " + parts[0] + " | " + parts[1] + " | " + commands(runs, ofMasters) + " | "
                    + spread(runs, m -> total(ofMasters.apply(m)) / m.r().ops(), 2) + " | "
                    + String.join(" / ", each) + " | "
                    + spread(runs, m -> masterNodes.stream().mapToDouble(i -> cpu.applyAsDouble(m, i))
                            .sum(), 1) + " | "
                    + String.join(" / ", eachCpu) + " | " + String.join(" / ", eachOut) + " | "
                    + spread(runs, m -> replicaNodes.stream().mapToDouble(i -> cpu.applyAsDouble(m, i))
                            .sum(), 1) + " |");
        });
    }

    private static RedisInfo.Delta sum(List<RedisInfo.Delta> perNode, List<Integer> which) {
        RedisInfo.Delta total = RedisInfo.Delta.none();
        for (int i : which) {
            total = total.plus(perNode.get(i));
        }
        return total;
    }

    private String nodeNames() {
        return String.join(",", nodes.stream().map(RedisInfo::address).toList());
    }

    private static double total(RedisInfo.Delta delta) {
        return delta.calls().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Calls per operation by command name, the median over the runs; commands under 0.01 per op left out. */
    private static String commands(List<Measured> runs, Function<Measured, RedisInfo.Delta> of) {
        TreeSet<String> names = new TreeSet<>();
        runs.forEach(m -> names.addAll(of.apply(m).calls().keySet()));
        List<String> parts = new ArrayList<>();
        for (String name : names) {
            double median = median(runs.stream()
                    .mapToDouble(m -> of.apply(m).calls().getOrDefault(name, 0L) / m.r().ops()).toArray());
            if (median >= 0.01) {
                parts.add(name + " " + format(median, 2));
            }
        }
        return parts.isEmpty() ? "—" : String.join(", ", parts);
    }

    private static String spread(List<Measured> runs, ToDoubleFunction<Measured> f, int decimals) {
        double[] values = runs.stream().mapToDouble(f).sorted().toArray();
        String median = format(median(values), decimals);
        return values.length == 1 ? median
                : median + " (" + format(values[0], decimals) + "–" + format(values[values.length - 1], decimals) + ")";
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static String format(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
