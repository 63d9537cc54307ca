package dev.herald.metrics;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.Daemons;
import dev.herald.hub.EventJson;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.Publishing;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The admin dashboard's data: once a second, this pod's figures as one {@code pod_stats} event on
 * {@link ChannelName#ADMIN}, published through the broker like any event, so that in clustered mode every pod's
 * dashboard sees every pod. About 500 bytes a second per pod, not counted in the meters ({@link
 * Publishing#publishUncounted}). {@link #start} and {@link #close} are called by the pod's lifecycle; the samples are
 * taken on the sampler's own thread, which alone touches the previous sample.
 */
public final class PodStats implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PodStats.class.getName());
    static final Duration PERIOD = Duration.ofSeconds(1);

    private final String podId;
    private final HeraldMetrics metrics;
    private final Publishing publishing;
    private final IntSupplier streams;
    private final IntSupplier channels;
    private final BooleanSupplier watched;
    /** The previous sample and when it was taken: written by {@link #start}, then only by the sampler thread. */
    private HeraldMetrics.Totals last;
    private long lastNanos;
    private volatile ScheduledExecutorService timer;
    /** Whether the last publish failed (the sampler thread's own). */
    private boolean failing;

    /**
     * @param streams  the open streams of this pod (connection slots taken)
     * @param channels the channels with a stream on this pod
     * @param watched  whether a sample may have a reader: in embedded mode only while this pod has a stream of the
     *                 admin channel (so that an unwatched pod holds no channel for it); clustered, always (another
     *                 pod's dashboard cannot be seen from here)
     */
    public PodStats(String podId, HeraldMetrics metrics, Publishing publishing, IntSupplier streams,
                    IntSupplier channels, BooleanSupplier watched) {
        this.podId = podId;
        this.metrics = metrics;
        this.publishing = publishing;
        this.streams = streams;
        this.channels = channels;
        this.watched = watched;
    }

    /** Starts sampling, after the meters are registered and the broker started. */
    public void start() {
        last = metrics.totals();
        lastNanos = System.nanoTime();
        timer = Daemons.every("herald-pod-stats", PERIOD, this::sample);
    }

    private void sample() {
        long now = System.nanoTime();
        HeraldMetrics.Totals totals = metrics.totals();
        HeraldMetrics.Totals before = last;
        long elapsed = now - lastNanos;
        last = totals;
        lastNanos = now;
        if (!watched.getAsBoolean()) {
            return;
        }
        byte[] event = EventJson.bytes(event(podId, System.currentTimeMillis(), elapsed, totals, before,
                                             streams.getAsInt(), channels.getAsInt()));
        try {
            publishing.publishUncounted(ChannelName.ADMIN, event);
            failing = false;
        } catch (BrokerUnavailableException e) {
            // the pod's dashboards miss a second; say so once per outage, not every second
            if (!failing) {
                LOG.warning("Pod stats not published (the admin dashboard misses this pod): " + e.getMessage());
            }
            failing = true;
        }
    }

    /** The {@code pod_stats} event of one sample: figures now, per-second rates since {@code before}. */
    static ObjectNode event(String podId, long atMillis, long elapsedNanos, HeraldMetrics.Totals now,
                            HeraldMetrics.Totals before, int streams, int channels) {
        double seconds = Math.max(elapsedNanos, 1) / 1e9;
        ObjectNode body = EventJson.body("pod_stats", ChannelName.ADMIN);
        body.put("pod", podId);
        body.put("at", atMillis);
        body.put("intervalMs", Math.round(seconds * 1000));
        body.put("streams", streams);
        body.put("channels", channels);
        body.put("eventsInPerSecond", rate(now.published() - before.published(), seconds));
        body.put("eventsOutPerSecond", rate(now.sent() - before.sent(), seconds));
        long drops = 0;
        long dropsBefore = 0;
        ObjectNode dropped = body.putObject("dropped");
        for (HubMetrics.DropReason reason : HubMetrics.DropReason.values()) {
            long count = now.dropped().getOrDefault(reason, 0L);
            dropped.put(reason.name().toLowerCase(java.util.Locale.ROOT), count);
            drops += count;
            dropsBefore += before.dropped().getOrDefault(reason, 0L);
        }
        body.put("droppedPerSecond", rate(drops - dropsBefore, seconds));
        body.put("slowConsumers", now.slowConsumers());
        body.put("slowConsumersPerSecond", rate(now.slowConsumers() - before.slowConsumers(), seconds));
        body.put("published", now.published());
        body.put("sent", now.sent());
        Runtime runtime = Runtime.getRuntime();
        body.put("heapUsedBytes", runtime.totalMemory() - runtime.freeMemory());
        body.put("heapMaxBytes", runtime.maxMemory());
        return body;
    }

    /** Per second, one decimal. */
    private static double rate(long delta, double seconds) {
        return Math.round(Math.max(delta, 0) / seconds * 10) / 10.0;
    }

    @Override
    public void close() {
        ScheduledExecutorService running = timer;
        if (running != null) {
            running.shutdownNow();
        }
    }
}
