package dev.herald.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Herald's load tool: drives any SSE server through URL templates, over real sockets, and reports deliveries,
 * loss, publish→receive latency and both sides' CPU (from /proc), so a reader sees who the bottleneck was.
 *
 * <pre>
 * bench/load.sh hold   --subscribe URL --publish URL [--publish-body T] --connections N [--processes P] --server-pid PID
 * bench/load.sh fanout --subscribe URL --publish URL --subscribers N --events E [--rate R] --server-pid PID
 * bench/load.sh rooms  --subscribe URL --publish URL --rooms M --per-room K --events E [--rate R] --server-pid PID
 * </pre>
 * URL and body templates: {@code {room}} (the channel index), {@code {seq}}, {@code {sent}} (monotonic µs).
 * Headers: {@code --subscribe-header "Authorization: Bearer …"}, {@code --publish-header …}.
 */
public final class Load {
    private final Map<String, List<String>> args;

    private Load(Map<String, List<String>> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: load.sh hold|fanout|rooms|worker [--option value]… (see Load.java)");
            System.exit(2);
        }
        Map<String, List<String>> parsed = new LinkedHashMap<>();
        for (int i = 1; i + 1 < argv.length; i += 2) {
            parsed.computeIfAbsent(argv[i].replaceFirst("^--", ""), k -> new ArrayList<>()).add(argv[i + 1]);
        }
        Load load = new Load(parsed);
        switch (argv[0]) {
            case "hold" -> load.hold();
            case "fanout" -> load.rooms(1, load.integer("subscribers", 1000));
            case "rooms" -> load.rooms(load.integer("rooms", 100), load.integer("per-room", 10));
            case "worker" -> load.worker();
            default -> throw new IllegalArgumentException("unknown scenario " + argv[0]);
        }
        System.exit(0);
    }

    /** N connections on one channel: time to connect, one event to all, server RSS per connection. */
    private void hold() throws Exception {
        int n = integer("connections", 10_000);
        int processes = integer("processes", 1);
        long rssBefore = serverRssKb();
        Stats cpu = Stats.start(serverPids());
        long t0 = System.nanoTime();
        List<Process> workers = new ArrayList<>();
        List<long[]> reported = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            int share = n / processes + (p < n % processes ? 1 : 0);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xss256k", "-cp", System.getProperty("java.class.path"), Load.class.getName(), "worker",
                    "--count", Integer.toString(share), "--source-offset", Integer.toString(p)));
            for (String url : all("subscribe")) {
                command.addAll(List.of("--subscribe", url));
            }
            for (String header : all("subscribe-header")) {
                command.addAll(List.of("--subscribe-header", header));
            }
            Process worker = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            workers.add(worker);
            long[] state = new long[3];
            reported.add(state);
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        String[] f = line.split(" ");
                        if (f.length == 4 && f[0].equals("STATE")) {
                            state[0] = Long.parseLong(f[1]);
                            state[1] = Long.parseLong(f[2]);
                            state[2] = Long.parseLong(f[3]);
                        }
                    }
                } catch (IOException ignored) {
                    // worker ended
                }
            });
        }
        waitFor("all " + n + " connections open", 300, () -> sum(reported, 0) >= n);
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        long rssHeld = serverRssKb();
        Publisher publisher = new Publisher(value("publish"), all("publish-header"));
        publisher.publish(0, 0);
        long tPublish = System.nanoTime();
        waitFor("the event at every connection", 120, () -> sum(reported, 1) >= n);
        double fanoutSeconds = (System.nanoTime() - tPublish) / 1e9;
        Stats.Result used = cpu.stop();
        // --hold-seconds keeps the connections open, for looking inside the server (jcmd, /proc) meanwhile
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(integer("hold-seconds", 0)));
        for (Process worker : workers) {
            worker.getOutputStream().close();
            worker.waitFor(10, TimeUnit.SECONDS);
            worker.destroy();
        }
        report(Map.of("scenario", "hold", "connections", n, "connect_s", round(connectSeconds),
                      "rejected", sum(reported, 2),
                      "one_event_to_all_s", round(fanoutSeconds), "server_rss_mb", rssHeld / 1024,
                      "server_rss_per_conn_kb", round((rssHeld - rssBefore) / (double) n),
                      "server_cpu_s", round(used.serverSeconds()), "client_cpu_s", round(used.clientSeconds())));
    }

    /** A child of {@link #hold}: opens its share and reports "STATE open received" until stdin closes. */
    private void worker() throws Exception {
        Latency latency = new Latency();
        try (SseLoad load = new SseLoad(latency)) {
            // each worker process takes its own source addresses (127.0.0.2+10p …), 10,000 connections per address
            int offset = integer("source-offset", 0);
            load.open(all("subscribe"), integer("count", 1000), headers("subscribe-header"), 10_000, 2 + 10 * offset);
            Thread reporter = Thread.ofPlatform().daemon().start(() -> {
                while (true) {
                    System.out.println("STATE " + load.open.sum() + " " + load.received() + " " + load.rejected.sum());
                    System.out.flush();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            });
            while (System.in.read() >= 0) {
                // run until the parent closes stdin
            }
            reporter.interrupt();
        }
    }

    /** M rooms × K subscribers; E events round-robin over the rooms, at a rate or as fast as possible. */
    private void rooms(int rooms, int perRoom) throws Exception {
        int events = integer("events", 1000);
        double rate = Double.parseDouble(value("rate", "0"));
        Latency latency = new Latency();
        try (SseLoad load = new SseLoad(latency)) {
            List<String> urls = new ArrayList<>();
            for (int r = 0; r < rooms; r++) {
                for (String url : all("subscribe")) {
                    urls.add(url.replace("{room}", Integer.toString(r)));
                }
            }
            long t0 = System.nanoTime();
            List<String> perConnection = new ArrayList<>();
            for (int k = 0; k < perRoom; k++) {
                perConnection.addAll(urls);
            }
            load.open(perConnection, perConnection.size(), headers("subscribe-header"), 20_000);
            waitFor(perConnection.size() + " subscribers", 300, () -> load.open.sum() >= perConnection.size());
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            Publisher publisher = new Publisher(value("publish"), all("publish-header"));
            Stats cpu = Stats.start(serverPids());
            long start = System.nanoTime();
            for (int e = 0; e < events; e++) {
                if (rate > 0) {
                    long due = start + (long) (e * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                publisher.publish(e % rooms, e);
            }
            double publishSeconds = (System.nanoTime() - start) / 1e9;
            long expected = (long) events * perRoom;
            try {
                waitFor("every delivery", 60, () -> load.received() >= expected);
            } catch (IllegalStateException timedOut) {
                // report the loss instead
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Stats.Result used = cpu.stop();
            long received = load.received();
            long outOfOrder = load.conns().stream().mapToLong(c -> c.outOfOrder).sum();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", rooms == 1 ? "fanout" : "rooms");
            result.put("rooms", rooms);
            result.put("subscribers", perConnection.size());
            result.put("events", events);
            result.put("rate", rate > 0 ? rate : "max");
            result.put("connect_s", round(connectSeconds));
            result.put("rejected", load.rejected.sum());
            result.put("publish_s", round(publishSeconds));
            result.put("deliveries", received);
            result.put("lost", expected - received);
            result.put("out_of_order", outOfOrder);
            result.put("deliveries_per_s", Math.round(received / seconds));
            result.put("latency_p50_ms", round(latency.quantile(0.5) / 1000.0));
            result.put("latency_p99_ms", round(latency.quantile(0.99) / 1000.0));
            result.put("latency_max_ms", round(latency.max() / 1000.0));
            result.put("server_cpu_s", round(used.serverSeconds()));
            result.put("client_cpu_s", round(used.clientSeconds()));
            result.put("server_cpu_us_per_delivery", round(used.serverSeconds() * 1e6 / Math.max(1, received)));
            report(result);
        }
    }

    // ---- helpers ----

    private void report(Map<String, Object> result) {
        StringBuilder json = new StringBuilder("{");
        result.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":")
                .append(v instanceof String s ? "\"" + s + "\"" : v));
        System.out.println(json.append('}'));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static long sum(List<long[]> states, int index) {
        long total = 0;
        for (long[] state : states) {
            total += state[index];
        }
        return total;
    }

    private static void waitFor(String what, int seconds, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private List<Long> serverPids() {
        return all("server-pid").stream().map(Long::parseLong).toList();
    }

    private long serverRssKb() throws IOException {
        long total = 0;
        for (long pid : serverPids()) {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    total += Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        }
        return total;
    }

    private int integer(String name, int fallback) {
        return Integer.parseInt(value(name, Integer.toString(fallback)));
    }

    private String value(String name) {
        String v = value(name, null);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    private String value(String name, String fallback) {
        List<String> values = args.get(name);
        return values == null ? fallback : values.get(0);
    }

    private List<String> all(String name) {
        return args.getOrDefault(name, List.of());
    }

    private Map<String, String> headers(String name) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header : all(name)) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
        return headers;
    }

    /** CPU seconds of the server processes and of this process, from /proc. */
    record Stats(List<Long> pids, long serverTicks, long clientTicks) {
        record Result(double serverSeconds, double clientSeconds) {
        }

        static Stats start(List<Long> pids) throws IOException {
            return new Stats(pids, ticks(pids), ticksSelfAndChildren());
        }

        Result stop() throws IOException {
            return new Result((ticks(pids) - serverTicks) / 100.0, (ticksSelfAndChildren() - clientTicks) / 100.0);
        }

        private static long ticks(List<Long> pids) throws IOException {
            long total = 0;
            for (long pid : pids) {
                total += ticksOf("/proc/" + pid + "/stat", false);
            }
            return total;
        }

        private static long ticksSelfAndChildren() throws IOException {
            return ticksOf("/proc/self/stat", true);
        }

        private static long ticksOf(String file, boolean children) throws IOException {
            String stat = Files.readString(Path.of(file));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            if (children) {
                ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            return ticks;
        }
    }

    /** A keep-alive HTTP/1.1 publisher on one socket; the body template gets {room}, {seq}, {sent}. */
    private final class Publisher {
        private final URI uri;
        private final String pathTemplate;
        private final List<String> headers;
        private final String body;
        private Socket socket;
        private OutputStream out;
        private InputStream in;
        private boolean reconnect;

        Publisher(String url, List<String> headers) throws IOException {
            this.uri = URI.create(url.replace("{room}", "0"));
            String afterAuthority = url.substring(url.indexOf('/', url.indexOf("//") + 2));
            this.pathTemplate = afterAuthority;
            this.headers = headers;
            this.body = value("publish-body", "{\"seq\":{seq},\"sent\":{sent}}");
            connect();
        }

        private void connect() throws IOException {
            if (socket != null) {
                socket.close();
            }
            socket = new Socket(uri.getHost(), uri.getPort());
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new java.io.BufferedInputStream(socket.getInputStream());
            reconnect = false;
        }

        void publish(int room, long seq) throws IOException {
            if (reconnect) {
                connect();
            }
            String path = pathTemplate.replace("{room}", Integer.toString(room));
            byte[] payload = body.replace("{room}", Integer.toString(room)).replace("{seq}", Long.toString(seq))
                    .replace("{sent}", Long.toString(System.nanoTime() / 1000)).getBytes(StandardCharsets.UTF_8);
            StringBuilder request = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(uri.getHost()).append("\r\nContent-Type: application/json\r\nContent-Length: ")
                    .append(payload.length).append("\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            readResponse(seq);
        }

        private void readResponse(long seq) throws IOException {
            String status = readLine();
            long length = 0;
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    reconnect = true;
                }
            }
            in.skipNBytes(length);
            int code = Integer.parseInt(status.substring(9, 12));
            if (code >= 300) {
                throw new IllegalStateException("publish " + seq + " answered " + status);
            }
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (c < 0) {
                throw new IOException("the publisher's connection closed");
            }
            return line.toString();
        }
    }
}
