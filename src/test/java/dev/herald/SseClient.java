package dev.herald;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A test SSE client over java.net.http (HTTP/1.1 or HTTP/2), parsing the stream as the WHATWG spec does:
 * it records every dispatched event with the last event id at that point, every comment and retry hint.
 */
public final class SseClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One dispatched event. */
    public record Message(String lastEventId, String data, String eventField) {
        public JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    private final HttpResponse<InputStream> response;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Message> messages = new ArrayList<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private final List<String> retries = new CopyOnWriteArrayList<>();
    private final List<String> rawLines = new CopyOnWriteArrayList<>();
    private volatile String lastEventId = "";
    private volatile boolean ended;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        Thread.ofVirtual().name("sse-client").start(this::read);
    }

    public static SseClient open(HttpClient client, URI uri, Map<String, String> headers) {
        HttpResponse<InputStream> response = openRaw(client, uri, headers);
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = e.toString();
            }
            throw new AssertionError("SSE open failed: " + response.statusCode() + " " + body);
        }
        return new SseClient(response);
    }

    public static HttpResponse<InputStream> openRaw(HttpClient client, URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream");
        headers.forEach(request::header);
        try {
            CompletableFuture<HttpResponse<InputStream>> future =
                    client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            return future.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("SSE open failed: " + e, e);
        }
    }

    public HttpResponse<InputStream> response() {
        return response;
    }

    public List<Message> messages() {
        lock.lock();
        try {
            return List.copyOf(messages);
        } finally {
            lock.unlock();
        }
    }

    /** Messages whose JSON type is {@code type}. */
    public List<JsonNode> events(String type) {
        return messages().stream().map(Message::json).filter(n -> type.equals(n.path("type").asText())).toList();
    }

    public List<String> comments() {
        return comments;
    }

    public List<String> retries() {
        return retries;
    }

    public List<String> rawLines() {
        return rawLines;
    }

    public String lastEventId() {
        return lastEventId;
    }

    public boolean ended() {
        return ended;
    }

    /** Waits until the condition on this client holds, or fails after the timeout. */
    public void await(String what, Duration timeout, Predicate<SseClient> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!condition.test(this)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for " + what + "; got " + messages.size()
                                             + " messages, ended=" + ended + ", last=" + lastOrNone());
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            lock.unlock();
        }
    }

    public List<JsonNode> awaitEvents(String type, int count, Duration timeout) {
        await(count + " '" + type + "' events", timeout, c -> c.events(type).size() >= count);
        return events(type);
    }

    /** The stream's first cursor (sent right after the replay), once it has arrived. */
    public String awaitCursor(Duration timeout) {
        await("the first cursor", timeout, c -> !c.lastEventId().isEmpty());
        return lastEventId;
    }

    public void awaitEnd(Duration timeout) {
        await("the end of the stream", timeout, SseClient::ended);
    }

    private String lastOrNone() {
        return messages.isEmpty() ? "none" : messages.get(messages.size() - 1).data();
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    private void read() {
        StringBuilder data = new StringBuilder();
        String eventField = null;
        boolean hasData = false;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                rawLines.add(line);
                if (line.isEmpty()) {
                    if (hasData) {
                        String value = data.toString();
                        lock.lock();
                        try {
                            messages.add(new Message(lastEventId, value, eventField));
                            changed.signalAll();
                        } finally {
                            lock.unlock();
                        }
                    }
                    data.setLength(0);
                    hasData = false;
                    eventField = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                    signal();
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "data" -> {
                        if (hasData) {
                            data.append('\n');
                        }
                        data.append(value);
                        hasData = true;
                    }
                    case "id" -> lastEventId = value;
                    case "retry" -> {
                        retries.add(value);
                        signal();
                    }
                    case "event" -> eventField = value;
                    default -> { }
                }
            }
        } catch (IOException e) {
            // stream closed
        } finally {
            ended = true;
            signal();
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
