package dev.herald.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.HubMetrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Every Herald meter, by the names in {@code docs/metrics.md}. Each carries a {@code pod} tag: Helidon's
 * registries all share one underlying Micrometer registry per JVM, so pods started in one JVM (tests, embedding)
 * would otherwise share, and overwrite, each other's meters. Meters are thread-safe; this class only holds them.
 */
public final class HeraldMetrics implements HubMetrics {
    public static final String CONNECTIONS = "sse_connections_total";
    public static final String CHANNELS = "sse_channels_total";
    public static final String HELD_CHANNELS = "herald_channels_held";
    public static final String EVENTS_SENT = "sse_events_sent";
    public static final String EVENTS_DROPPED = "sse_events_dropped";
    public static final String SLOW_CONSUMERS = "sse_slow_consumer_disconnects";
    public static final String TOKEN_EXPIRIES = "sse_token_expiries";
    public static final String CONNECTIONS_REJECTED = "sse_connections_rejected";
    public static final String DELIVERY_LATENCY = "herald_delivery_latency";
    public static final String EVENTS_PUBLISHED = "herald_events_published";
    public static final String REDIS_PUBLISH_ERRORS = "redis_publish_errors";
    public static final String AUTH_FAILURES = "herald_auth_failures";
    public static final String REDIS_RECONNECTS = "herald_redis_subscriber_reconnects";
    public static final String REPLICA_ACK_SHORTFALLS = "herald_redis_replica_ack_shortfalls";
    public static final String RATE_LIMITED = "herald_rate_limited";
    public static final String HISTORY_BREAKS = "herald_history_breaks";
    public static final String IDEMPOTENT_REPLAYS = "herald_idempotent_replays";
    public static final String SERVER_EVENTS_DROPPED = "herald_server_events_dropped";
    public static final String JOB_RESULT_BYTES = "herald_job_result_bytes";
    public static final String JOB_RESULTS_EVICTED = "herald_job_results_evicted";
    public static final String CONNECTIONS_CUT = "herald_http_connections_cut";
    public static final String JOBS_CREATED = "herald_jobs_created";
    public static final String JOBS_LOST = "herald_jobs_lost";

    private static final String HISTORY_BREAKS_HELP =
            "Times the broker found history broken under open streams (they resync), by reason";
    private static final List<Long> LATENCY_BUCKETS_MILLIS = List.of(1L, 2L, 5L, 10L, 25L, 50L, 100L, 250L, 500L,
                                                                     1000L, 2500L, 5000L, 10000L);

    private final MeterRegistry registry;
    private final Tag pod;
    /** Every meter registered by this pod, removed on {@link #close}. */
    @GuardedBy("this")
    private final List<Meter> meters = new ArrayList<>();
    /** Labelled counters created on first use, by "name/label". */
    private final Map<String, Counter> labelled = new ConcurrentHashMap<>();
    // set once by register(), before any thread of the pod starts (Thread.start publishes them)
    private Counter eventsSent;
    private Counter slowConsumers;
    private Counter tokenExpiries;
    private Counter published;
    private Counter publishErrors;
    private Counter replays;
    private Counter redisReconnects;
    private Counter replicaAckShortfalls;
    private Counter resultsEvicted;
    private Counter jobsCreated;
    private Counter jobsLost;
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
    private Timer latency;

    /** Names the pod's meters; registers nothing until {@link #register}. */
    public HeraldMetrics(MeterRegistry registry, String podId) {
        this.registry = registry;
        this.pod = Tag.create("pod", podId);
    }

    /**
     * Registers every meter with its zero value, so a scrape shows each one before it first moves.
     *
     * @param connections the open SSE connections, read when scraped
     * @param channels    the channels with a local subscriber, read when scraped
     * @param held        the channels whose ids and history the pod holds in memory, read when scraped
     */
    public void register(Supplier<Integer> connections, Supplier<Integer> channels, Supplier<Integer> held) {
        register(Gauge.builder(CONNECTIONS, connections).description("Open SSE connections"));
        register(Gauge.builder(CHANNELS, channels).description("Channels with a local subscriber"));
        register(Gauge.builder(HELD_CHANNELS, held)
                         .description("Channels whose ids and history this pod holds in memory (embedded mode)"));
        eventsSent = register(Counter.builder(EVENTS_SENT).description("Events written to SSE clients"));
        slowConsumers = register(Counter.builder(SLOW_CONSUMERS)
                                         .description("SSE connections closed because their queue was full"));
        tokenExpiries = register(Counter.builder(TOKEN_EXPIRIES)
                                         .description("SSE streams ended because the token they were opened with expired"));
        published = register(Counter.builder(EVENTS_PUBLISHED).description("Events accepted by the broker"));
        publishErrors = register(Counter.builder(REDIS_PUBLISH_ERRORS)
                                         .description("Publishes the broker could not store"));
        replays = register(Counter.builder(IDEMPOTENT_REPLAYS)
                                   .description("Publishes answered from an earlier request with the same idempotency key"));
        redisReconnects = register(Counter.builder(REDIS_RECONNECTS)
                                           .description("Times the Redis subscriber connection was opened again"));
        replicaAckShortfalls = register(Counter.builder(REPLICA_ACK_SHORTFALLS).description(
                "Publishes fewer replicas acknowledged than herald.redis.min-replicas-ack within its timeout"));
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason, register(Counter.builder(EVENTS_DROPPED)
                                                 .description("Events not written to a subscriber, by reason")
                                                 .addTag(Tag.create("reason", reason.name().toLowerCase(java.util.Locale.ROOT)))));
        }
        latency = register(Timer.builder(DELIVERY_LATENCY)
                                   .description("Time from the broker accepting an event to its write to a client")
                                   // buckets only: pod-computed quantiles cannot be aggregated across pods, and
                                   // their time-window ring was the costliest part of every write
                                   .percentiles(new double[0])
                                   .buckets(LATENCY_BUCKETS_MILLIS.stream().map(Duration::ofMillis)
                                                    .toArray(Duration[]::new)));
        for (String reason : List.of("pod_full", "user_full", "shutting_down")) {
            counter(CONNECTIONS_REJECTED, "SSE connections refused, by reason", reason);
        }
        for (String limit : List.of("chat", "channel", "export")) {
            counter(RATE_LIMITED, "Requests refused with 429 for a rate limit, by limit", limit);
        }
        for (String reason : List.of("missing", "malformed", "expired", "signature", "claims", "revoked",
                                     "worker_token")) {
            counter(AUTH_FAILURES, "Requests refused for their token, by reason", reason);
        }
        for (String source : List.of("presence", "job")) {
            serverEventDropped(source, 0);
        }
        for (String reason : List.of("gap", "ids_restarted", "history_lost")) {
            counter(HISTORY_BREAKS, HISTORY_BREAKS_HELP, reason);
        }
    }

    /**
     * Registers the export results' meters.
     *
     * @param bytes the bytes of job results on disk, read when scraped
     */
    public void registerJobResults(Supplier<Long> bytes) {
        register(Gauge.builder(JOB_RESULT_BYTES, bytes).description("Bytes of export results on this pod's disk"));
        resultsEvicted = register(Counter.builder(JOB_RESULTS_EVICTED)
                                          .description("Export results deleted to stay within the byte budget"));
        jobsCreated = register(Counter.builder(JOBS_CREATED)
                                       .description("Jobs created on this pod (the API and in-process exports)"));
        jobsLost = register(Counter.builder(JOBS_LOST)
                                    .description("Jobs this pod failed with worker_lost when their lease ran out"));
    }

    public void jobCreated() {
        jobsCreated.increment();
    }

    public void jobsLost(int count) {
        jobsLost.increment(count);
    }

    public void jobResultEvicted() {
        resultsEvicted.increment();
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
    public void tokenExpired() {
        tokenExpiries.increment();
    }

    @Override
    public void deliveryLatency(long millis) {
        latency.record(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void eventPublished() {
        published.increment();
    }

    @Override
    public void idempotentReplay() {
        replays.increment();
    }

    @Override
    public void publishFailed() {
        publishErrors.increment();
    }

    public void redisReconnect() {
        redisReconnects.increment();
    }

    public void replicaAckShortfall() {
        replicaAckShortfalls.increment();
    }

    @Override
    public void historyBreak(BrokerListener.Break reason) {
        counter(HISTORY_BREAKS, HISTORY_BREAKS_HELP,
                reason == null ? "history_lost" : reason.name().toLowerCase(java.util.Locale.ROOT)).increment();
    }

    @Override
    public void serverEventDropped(String source) {
        serverEventDropped(source, 1);
    }

    private void serverEventDropped(String source, int count) {
        labelled.computeIfAbsent(SERVER_EVENTS_DROPPED + "/" + source, k -> register(
                Counter.builder(SERVER_EVENTS_DROPPED)
                        .description("Presence and job events dropped for their channel's event budget")
                        .addTag(Tag.create("source", source)))).increment(count);
    }

    public void connectionRejected(String reason) {
        counter(CONNECTIONS_REJECTED, "SSE connections refused, by reason", reason).increment();
    }

    /** A TCP connection cut or refused by the request guard: head_timeout, idle_connection, slow_body, ... */
    public void connectionCut(String reason) {
        counter(CONNECTIONS_CUT, "TCP connections cut (slow head or body) or refused (too many), by reason", reason)
                .increment();
    }

    public void rateLimited(String limit) {
        counter(RATE_LIMITED, "Requests refused with 429 for a rate limit, by limit", limit).increment();
    }

    public void authFailure(String reason) {
        counter(AUTH_FAILURES, "Requests refused for their token, by reason", reason).increment();
    }

    /**
     * What the counters of delivery hold now, for the admin dashboard's samples ({@link PodStats}).
     *
     * @param published     {@code herald_events_published_total}
     * @param sent          {@code sse_events_sent_total}
     * @param slowConsumers {@code sse_slow_consumer_disconnects_total}
     * @param dropped       {@code sse_events_dropped_total} by reason
     */
    public record Totals(long published, long sent, long slowConsumers, Map<DropReason, Long> dropped) {
    }

    /** The counters' values now; call after {@link #register}. */
    public Totals totals() {
        Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        dropped.forEach((reason, counter) -> drops.put(reason, counter.count()));
        return new Totals(published.count(), eventsSent.count(), slowConsumers.count(), drops);
    }

    /** Removes this pod's meters from the JVM-wide registry. */
    public synchronized void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    private Counter counter(String name, String description, String reason) {
        return labelled.computeIfAbsent(name + "/" + reason, k -> register(
                Counter.builder(name).description(description).addTag(Tag.create("reason", reason))));
    }

    private synchronized <M extends Meter, B extends Meter.Builder<B, M>> M register(B builder) {
        M meter = registry.getOrCreate(builder.addTag(pod));
        meters.add(meter);
        return meter;
    }
}
