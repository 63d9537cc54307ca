package dev.herald.deploy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import dev.herald.SseClient;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A stream that reconnects as a browser's client does: when a connection ends or a connect is refused, it waits the
 * last {@code retry:} hint and opens a new one with {@code Last-Event-ID} set to the cursor of the last event it
 * dispatched. The stream asks for {@code ?ready}, so that every cursor it resumes from came with a complete frame (a
 * frame cut by a killed pod after its {@code id:} line is not resumed from). One thread per stream; {@link #events}
 * may be read from any thread.
 */
final class ResumingStream implements AutoCloseable {
    private final HttpClient http;
    private final URI uri;
    private final Map<String, String> headers;
    private final List<SseClient> connections = new CopyOnWriteArrayList<>();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    private ResumingStream(HttpClient http, URI uri, Map<String, String> headers) {
        this.http = http;
        this.uri = uri;
        this.headers = headers;
        this.loop = Thread.ofPlatform().daemon().name("resuming-stream").unstarted(this::run);
    }

    /** Opens the stream at {@code uri} (which must ask for {@code ready}) and keeps it open until {@link #close}. */
    static ResumingStream open(HttpClient http, URI uri, Map<String, String> headers) {
        ResumingStream stream = new ResumingStream(http, uri, headers);
        stream.loop.start();
        return stream;
    }

    private void run() {
        String cursor = "";
        long retryMillis = 500;
        while (!closed) {
            Map<String, String> request = new HashMap<>(headers);
            if (!cursor.isEmpty()) {
                request.put("Last-Event-ID", cursor);
            }
            SseClient connection;
            try {
                connection = SseClient.open(http, uri, request);
            } catch (AssertionError refused) {
                // a 502 while no pod answers, a 503 from a draining pod: try again after the delay, as herald.js does
                refusals.add(refused.getMessage());
                LockSupport.parkNanos(Duration.ofMillis(retryMillis).toNanos());
                continue;
            }
            connections.add(connection);
            if (closed) {
                connection.close();
                return;
            }
            connection.awaitEnd(Duration.ofDays(1));
            List<SseClient.Message> got = connection.messages();
            if (!got.isEmpty()) {
                cursor = got.getLast().lastEventId();
            }
            List<String> retries = connection.retries();
            if (!retries.isEmpty()) {
                retryMillis = Long.parseLong(retries.getLast());
            }
            if (!closed) {
                LockSupport.parkNanos(Duration.ofMillis(retryMillis).toNanos());
            }
        }
    }

    /** Every event dispatched, over every connection in order, without the {@code ready} frames. */
    List<JsonNode> events() {
        return connections.stream().flatMap(c -> c.messages().stream()).map(SseClient.Message::json)
                .filter(e -> !"ready".equals(e.path("type").asText())).toList();
    }

    /** The values of field {@code n} of the events of this type, in the order received. */
    List<Integer> numbers(String type) {
        return events().stream().filter(e -> type.equals(e.path("type").asText())).map(e -> e.get("n").asInt()).toList();
    }

    /** How many connections got a 200 so far. */
    int connections() {
        return connections.size();
    }

    /** Whether the current connection has sent its ready frame (its replay is done and it is live). */
    boolean live() {
        return !connections.isEmpty() && !connections.getLast().ended()
               && connections.getLast().messages().stream().anyMatch(m -> m.data().contains("\"type\":\"ready\""));
    }

    /** The connects refused (their status and body), in order. */
    List<String> refusals() {
        return refusals;
    }

    @Override
    public void close() {
        closed = true;
        // ending the connection ends its reader, which ends the wait of the loop
        connections.forEach(SseClient::close);
    }
}
