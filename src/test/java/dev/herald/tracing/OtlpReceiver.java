package dev.herald.tracing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * An OTLP/HTTP collector for tests: {@code POST /v1/traces} with a protobuf {@code ExportTraceServiceRequest}, every
 * span kept with its resource's attributes. Any other request is counted too, and answered 404. The OTLP protobuf
 * classes come with Helidon's Micrometer OTLP registry (a runtime dependency already), at a version the BOM's
 * protobuf-java runs.
 */
final class OtlpReceiver implements AutoCloseable {
    /** One received span, ids in lower-case hex (the parent "" for a root). */
    record Received(String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
                    Map<String, String> attributes, Map<String, String> resource) {
        String pod() {
            return resource.get("herald.pod.id");
        }
    }

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    /** What failed to decode (shown by a test that waits for spans in vain). */
    final List<String> errors = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    static OtlpReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        OtlpReceiver receiver = new OtlpReceiver(server);
        server.createContext("/", exchange -> {
            try {
                receiver.handle(exchange);
            } catch (IOException | RuntimeException | LinkageError e) {
                receiver.errors.add(e.toString());
                throw e;
            }
        });
        server.start();
        return receiver;
    }

    /** The base URL, as {@code herald.tracing.otlp-endpoint} takes it. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int requests() {
        return requests.get();
    }

    List<Received> spans() {
        return List.copyOf(spans);
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            if (!"POST".equals(exchange.getRequestMethod()) || !"/v1/traces".equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(body).getResourceSpansList()) {
                Map<String, String> resource = attributes(resourceSpans.getResource().getAttributesList());
                for (ScopeSpans scope : resourceSpans.getScopeSpansList()) {
                    for (Span span : scope.getSpansList()) {
                        spans.add(new Received(hex(span.getTraceId().toByteArray()),
                                               hex(span.getSpanId().toByteArray()),
                                               hex(span.getParentSpanId().toByteArray()), span.getName(),
                                               span.getKind(), attributes(span.getAttributesList()), resource));
                    }
                }
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private static Map<String, String> attributes(List<KeyValue> list) {
        Map<String, String> map = new HashMap<>();
        for (KeyValue kv : list) {
            var value = kv.getValue();
            map.put(kv.getKey(), value.hasIntValue() ? Long.toString(value.getIntValue()) : value.getStringValue());
        }
        return map;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
