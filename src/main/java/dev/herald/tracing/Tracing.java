package dev.herald.tracing;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

import dev.herald.hub.BrokerListener;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * The pod's tracing ({@code herald.tracing.*}): spans of the publish path exported over OTLP/HTTP, or nothing.
 * {@link #off()} is one shared object whose every call returns {@link Traced#NONE} after one check of a final
 * field; no OpenTelemetry SDK object exists then, and the broker's listener is the hub itself. When on,
 * {@link #start} builds the SDK (its batch exporter thread) and {@link #close} flushes and stops it.
 *
 * <p>Spans: {@code publish} (server, from {@code POST /api/publish}, continuing the caller's {@code traceparent}),
 * {@code redis.publish} (producer, the publish script; its context travels in the Redis message), {@code deliver}
 * (consumer, on every pod that has streams of the channel) and one {@code stream.write} per event and pod. Thread-safe.
 */
public final class Tracing {
    /** The span attribute naming the event's channel. */
    public static final String CHANNEL = "herald.channel";
    /** The span attribute holding the event's id in its channel. */
    public static final String EVENT_ID = "herald.event.id";
    private static final Tracing OFF = new Tracing(null, 0, "");

    /** The collector's base URL ({@code http://collector:4318}); null: off. */
    private final URI endpoint;
    private final double sampleRatio;
    private final String podId;
    private volatile SdkTracerProvider provider;
    private volatile Tracer tracer;

    private Tracing(URI endpoint, double sampleRatio, String podId) {
        this.endpoint = endpoint;
        this.sampleRatio = sampleRatio;
        this.podId = podId;
    }

    /** No tracing: nothing is built, every span is {@link Traced#NONE}. */
    public static Tracing off() {
        return OFF;
    }

    /**
     * The pod's tracing from its settings: {@link #off()} when no endpoint is set.
     *
     * @param endpoint    {@code herald.tracing.otlp-endpoint}, the collector's OTLP/HTTP base URL; empty: off
     * @param sampleRatio {@code herald.tracing.sample-ratio}: the share of new traces kept (a caller's sampled
     *                    {@code traceparent} is always followed)
     * @param podId       the pod's id, a resource attribute of every span
     */
    public static Tracing of(Optional<URI> endpoint, double sampleRatio, String podId) {
        return endpoint.map(uri -> new Tracing(uri, sampleRatio, podId)).orElse(OFF);
    }

    public boolean on() {
        return endpoint != null;
    }

    /** Builds the SDK and its exporter thread; nothing when off. */
    public synchronized void start() {
        if (endpoint == null || provider != null) {
            return;
        }
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "herald",
                AttributeKey.stringKey("service.instance.id"), podId,
                AttributeKey.stringKey("herald.pod.id"), podId)));
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint.resolve("/v1/traces").toString())
                .setTimeout(Duration.ofSeconds(10))
                .build();
        SdkTracerProvider built = SdkTracerProvider.builder()
                .setResource(resource)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio)))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMillis(500)).build())
                .build();
        tracer = built.get("dev.herald");
        provider = built;
    }

    /** Exports what is left (up to 5 s) and stops the exporter; idempotent. */
    public synchronized void close() {
        SdkTracerProvider running = provider;
        if (running != null) {
            provider = null;
            running.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    /**
     * The {@code publish} span of a publishing request, current on the calling thread until closed.
     *
     * @param traceparent the request's {@code traceparent} header, or null: the span continues the caller's trace
     */
    @MustBeClosed
    public Traced publish(String traceparent, String channel, String publisher) {
        Tracer t = tracer;
        if (endpoint == null || t == null) {
            return Traced.NONE;
        }
        Context parent = traceparent == null ? Context.root() : extract(traceparent);
        Span span = t.spanBuilder("publish").setParent(parent).setSpanKind(SpanKind.SERVER)
                     .setAttribute(CHANNEL, channel)
                     .setAttribute("herald.publisher", publisher)
                     .startSpan();
        return span.isRecording() ? Traced.current(span) : Traced.NONE;
    }

    /**
     * The {@code redis.publish} span (the publish script), child of the current span, current until closed; its
     * {@link Traced#traceparent} goes in the Redis message. {@link Traced#NONE} when no traced publish is current.
     */
    @MustBeClosed
    public Traced redisPublish(String channel) {
        Tracer t = tracer;
        if (endpoint == null || t == null || !Span.current().getSpanContext().isSampled()) {
            return Traced.NONE;
        }
        Span span = t.spanBuilder("redis.publish").setSpanKind(SpanKind.PRODUCER)
                     .setAttribute(CHANNEL, channel)
                     .setAttribute("db.system.name", "redis")
                     .setAttribute("messaging.system", "redis")
                     .setAttribute("messaging.destination.name", channel)
                     .startSpan();
        return Traced.current(span);
    }

    /**
     * What the broker delivers to: the hub itself when off; when on, a listener that records each traced event's
     * {@code deliver} and first {@code stream.write}. Call after {@link #start}.
     *
     * @param subscribers this pod's stream count of a channel (an attribute of {@code deliver})
     */
    public BrokerListener listener(BrokerListener hub, ToIntFunction<String> subscribers) {
        Tracer t = tracer;
        return endpoint == null || t == null ? hub : new TracedListener(hub, subscribers, t);
    }

    static Context extract(String traceparent) {
        return Propagation.W3C.extract(Context.root(), traceparent, Propagation.HEADER);
    }

    /** Loaded on the first traced event only: nothing of OpenTelemetry is initialised while tracing is off. */
    private static final class Propagation {
        private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
            private static final TextMapGetter<String> HEADER = new TextMapGetter<>() {
            @Override
            public Iterable<String> keys(String carrier) {
                return java.util.List.of("traceparent");
            }

            @Override
            public String get(String carrier, String key) {
                return "traceparent".equals(key) ? carrier : null;
            }
        };
    }

    /** {@code 00-<trace id>-<span id>-<flags>}. */
    static String traceparent(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }

    @Override
    public String toString() {
        return endpoint == null ? "off" : Map.of("endpoint", endpoint, "ratio", sampleRatio).toString();
    }
}
