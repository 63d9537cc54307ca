package dev.herald.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link JobCost}'s stream on the user's channel: counts the events it receives by kind (progress reports,
 * publishes, the rest) and their JSON length, checks that ids only rise, and records publish→receive latency from
 * the {@code sent=} stamp. One thread reads the stream; the counters are read from any thread.
 */
final class CountingStream {
    final LongAdder progress = new LongAdder();
    final LongAdder progressBytes = new LongAdder();
    final LongAdder published = new LongAdder();
    final LongAdder publishedBytes = new LongAdder();
    final LongAdder others = new LongAdder();
    final AtomicLong outOfOrder = new AtomicLong();
    volatile Latency delivery = new Latency();
    /** Set when the stream ends: a dropped stream would make every later count wrong. */
    volatile boolean ended;
    private long lastId = -1;

    void open(URI uri) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> response = client.send(
                HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the stream answered " + response.statusCode());
        }
        Thread.ofPlatform().daemon().name("stream").start(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(response.body(), StandardCharsets.UTF_8), 1 << 16)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("data:")) {
                        event(line.substring(line.startsWith("data: ") ? 6 : 5));
                    }
                }
            } catch (IOException e) {
                System.err.println("the stream failed: " + e);
            }
            ended = true;
        });
    }

    private void event(String data) {
        long now = System.nanoTime() / 1000;
        if (data.startsWith("{\"id\":")) {
            long value = number(data, 6);
            if (value <= lastId) {
                outOfOrder.incrementAndGet();
            }
            lastId = value;
        }
        boolean report = data.contains("\"type\":\"generation_progress\"");
        if (!report && !data.contains("\"type\":\"bench\"")) {
            others.increment();
            return;
        }
        int sent = data.indexOf("sent=");
        if (sent >= 0) {
            delivery.record(now - number(data, sent + 5));
        }
        // the events are ASCII: characters are bytes
        (report ? progress : published).increment();
        (report ? progressBytes : publishedBytes).add(data.length());
    }

    private static long number(String text, int from) {
        long value = 0;
        for (int i = from; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
            value = value * 10 + text.charAt(i) - '0';
        }
        return value;
    }
}
