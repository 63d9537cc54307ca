package dev.herald.metrics;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.herald.hub.HubMetrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionStatisticsConfig;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;

/**
 * Every Herald meter, by the names in {@code docs/metrics.md}, in one pod's registry.
 * Meters are thread-safe; this class only holds them.
 */
public final class HeraldMetrics implements HubMetrics {
    public static final String CONNECTIONS = "sse_connections_total";
    public static final String CHANNELS = "sse_channels_total";
    public static final String EVENTS_SENT = "sse_events_sent";
    public static final String EVENTS_DROPPED = "sse_events_dropped";
    public static final String SLOW_CONSUMERS = "sse_slow_consumer_disconnects";
    public static final String CONNECTIONS_REJECTED = "sse_connections_rejected";
    public static final String DELIVERY_LATENCY = "herald_delivery_latency_seconds";
    public static final String EVENTS_PUBLISHED = "herald_events_published";
    public static final String REDIS_PUBLISH_ERRORS = "redis_publish_errors";
    public static final String AUTH_FAILURES = "herald_auth_failures";

    private final MeterRegistry registry;
    private final Counter eventsSent;
    private final Counter slowConsumers;
    private final Counter published;
    private final Counter redisPublishErrors;
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
    private final DistributionSummary latency;

    public HeraldMetrics(MeterRegistry registry, Supplier<Integer> connections, Supplier<Integer> channels) {
        this.registry = registry;
        registry.getOrCreate(Gauge.builder(CONNECTIONS, connections).description("Open SSE connections"));
        registry.getOrCreate(Gauge.builder(CHANNELS, channels).description("Channels with a local subscriber"));
        eventsSent = registry.getOrCreate(Counter.builder(EVENTS_SENT).description("Events written to SSE clients"));
        slowConsumers = registry.getOrCreate(Counter.builder(SLOW_CONSUMERS)
                .description("SSE connections closed because their queue was full"));
        published = registry.getOrCreate(Counter.builder(EVENTS_PUBLISHED).description("Events accepted by the broker"));
        redisPublishErrors = registry.getOrCreate(Counter.builder(REDIS_PUBLISH_ERRORS)
                .description("Publishes the broker could not store"));
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason, registry.getOrCreate(Counter.builder(EVENTS_DROPPED)
                    .description("Events not written to a subscriber, by reason")
                    .tags(List.of(Tag.create("reason", reason.name().toLowerCase())))));
        }
        latency = registry.getOrCreate(DistributionSummary.builder(DELIVERY_LATENCY)
                .description("Seconds from the broker accepting an event to its write to a client")
                .scale(0.001)
                .distributionStatisticsConfig(DistributionStatisticsConfig.builder()
                        .buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)));
    }

    @Override
    public void eventsSent(int count) {
        eventsSent.increment(count);
    }

    @Override
    public void eventsDropped(DropReason reason, int count) {
        dropped.get(reason).increment(count);
    }

    @Override
    public void slowConsumerDisconnected() {
        slowConsumers.increment();
    }

    @Override
    public void deliveryLatency(long millis) {
        latency.record(millis);
    }

    public void published() {
        published.increment();
    }

    public void redisPublishError() {
        redisPublishErrors.increment();
    }

    public void connectionRejected(String reason) {
        registry.getOrCreate(Counter.builder(CONNECTIONS_REJECTED).description("SSE connections refused, by reason")
                .tags(List.of(Tag.create("reason", reason)))).increment();
    }

    public void authFailure(String reason) {
        registry.getOrCreate(Counter.builder(AUTH_FAILURES).description("Requests refused for their token, by reason")
                .tags(List.of(Tag.create("reason", reason)))).increment();
    }
}
