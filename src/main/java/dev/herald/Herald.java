package dev.herald;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.http.AdminRoutes;
import dev.herald.http.DirectStreams;
import dev.herald.http.Routes;
import dev.herald.http.StreamWarmup;
import dev.herald.hub.Backend;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.LocalBackend;
import dev.herald.hub.PresenceTracker;
import dev.herald.hub.Publishing;
import dev.herald.jobs.Jobs;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.metrics.PodStats;
import dev.herald.tracing.Tracing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.helidon.config.Config;
import io.helidon.health.HealthCheckResponse;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.http.HttpRouting;

/**
 * One Herald pod. {@link #build} wires the parts (no thread started, no port bound, no meter registered), then
 * {@link #start} starts them in order and, if one fails, stops again what it had started; {@link #shutdown} drains
 * and stops. {@link Main} runs one; tests run several in one JVM (each has its own meters).
 * Thread-safe: the lifecycle methods are {@code synchronized}; {@code draining} is read by request threads.
 */
public final class Herald {
    private static final Logger LOG = Logger.getLogger(Herald.class.getName());
    private static final Duration LINGER = Duration.ofMillis(300);
    private static final int MAX_RUNNING_JOBS_PER_USER = 3;
    /** The stream warm-up: writers at once, and wake-ups of each (about 0.2 s of CPU on a cold JVM). */
    private static final int WARMUP_STREAMS = 200;
    private static final int WARMUP_ROUNDS = 90;

    private final Settings settings;
    private final Backend backend;
    /** Off unless {@code herald.tracing.otlp-endpoint} is set. */
    private final Tracing tracing;
    private final HeraldMetrics metrics;
    private final Hub hub;
    private final ConnectionLimits limits;
    private final PresenceTracker presence;
    private final Jobs jobs;
    private final PodStats stats;
    private final Listeners listeners;
    /** How to undo what {@link #start} started, most recent first. */
    @GuardedBy("this")
    private final Deque<Runnable> started = new ArrayDeque<>();
    @GuardedBy("this")
    private boolean stopped;
    private volatile boolean draining;

    private Herald(Config config) {
        this.settings = Settings.from(config.get("herald"));
        Tokens tokens = Tokens.from(settings);
        // one registry per JVM in Helidon: HeraldMetrics tags every meter with this pod's id
        this.metrics = new HeraldMetrics(globalRegistry(), settings.podId());
        this.tracing = Tracing.of(settings.tracing().otlpEndpoint(), settings.tracing().sampleRatio(),
                                  settings.podId());
        this.backend = Backends.create(settings, tracing, metrics::redisReconnect, metrics::replicaAckShortfall);
        this.limits = new ConnectionLimits(settings.sse().maxConnections(), settings.sse().maxConnectionsPerUser(),
                                           backend.leases(), settings.podId());
        this.hub = new Hub(backend.broker(), metrics, settings.sse().heartbeat());
        Publishing publishing = new Publishing(backend.broker(), metrics, backend.rateLimiter(),
                                               settings.rate().channelPerSecond(), settings.rate().channelBurst());
        this.presence = new PresenceTracker(backend.presence(), publishing);
        this.jobs = new Jobs(Backends.jobs(backend, publishing, metrics, settings), metrics, MAX_RUNNING_JOBS_PER_USER,
                             settings.jobs().resultDir(), settings.jobs().maxResultBytes(), metrics::jobResultEvicted,
                             metrics::jobCreated, metrics::jobsLost);

        boolean embedded = backend instanceof LocalBackend;
        this.stats = new PodStats(settings.podId(), metrics, publishing, limits::open, hub::channelCount,
                                  () -> !embedded || hub.subscribers(ChannelName.ADMIN) > 0);

        HttpRouting.Builder routing = HttpRouting.builder();
        Routes.Parts parts = new Routes.Parts(hub, publishing, presence, limits, backend.rateLimiter(), metrics,
                                              settings, tokens.verifier(), tokens.issuer(), () -> draining, jobs,
                                              backend.directory(hub), tracing);
        DirectStreams direct = Routes.register(routing, parts);
        HttpRouting.Builder management = settings.management().port().isPresent()
                                         ? AdminRoutes.management(HttpRouting.builder(), parts) : null;
        this.listeners = new Listeners(config.get("server"), settings, routing, direct, this::readiness,
                                       this::liveness, metrics::connectionCut, management);
    }

    /** {@code herald.sse.warm-up}: the delivery path compiled with wake-ups in its profile before any stream. */
    private static void warmUp() {
        try {
            StreamWarmup.run(WARMUP_STREAMS, WARMUP_ROUNDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while starting");
        }
    }

    /**
     * Wires a pod from the configuration (the root, with {@code server} and {@code herald} sections): reads and
     * checks the settings, builds every part; starts nothing.
     *
     * @throws StartupException naming the setting that is wrong
     */
    public static Herald build(Config config) {
        return new Herald(config);
    }

    /**
     * Starts the parts in order (file budget, meters, backend, hub, limits, presence, jobs, pod stats, web server,
     * listener watch).
     * If one cannot start, those already started are stopped again, in reverse order, before the exception leaves.
     *
     * @return this pod, listening
     * @throws StartupException naming the cause: the port, Redis, a setting
     */
    public synchronized Herald start() {
        if (stopped || !started.isEmpty()) {
            throw new IllegalStateException("a pod starts once");
        }
        try {
            FileBudget budget = listeners.budget();
            metrics.register(limits::open, hub::channelCount, hub.broker()::heldChannels);
            metrics.registerJobResults(jobs::resultBytes);
            started.push(metrics::close);
            tracing.start();
            started.push(tracing::close);
            startBackend();
            hub.start();
            started.push(hub::shutdown);
            limits.start();
            started.push(limits::close);
            presence.start();
            started.push(presence::close);
            jobs.start();
            started.push(jobs::close);
            stats.start();
            started.push(stats::close);
            if (settings.sse().warmUp()) {
                warmUp();
            }
            listeners.start(started);
            LOG.info(() -> "Herald listening on port " + port() + " (pod " + settings.podId() + ", "
                           + backend.mode() + " mode" + (settings.tls().keystore().isPresent() ? ", TLS" : "")
                           + listeners.management() + ", " + Listeners.describe(budget) + ")");
        } catch (RuntimeException e) {
            undo();
            throw e;
        }
        return this;
    }

    @GuardedBy("this")
    private void startBackend() {
        try {
            backend.start(tracing.listener(hub, hub::subscribers));
        } catch (BrokerUnavailableException e) {
            throw new StartupException(e.getMessage() + " (herald.redis.url)");
        }
        started.push(backend::stop);
        try {
            // before the pod listens: a revoked token is never accepted by a pod that just started
            hub.reloadRevocations();
        } catch (BrokerUnavailableException e) {
            LOG.warning("Revocations unreadable at start; read again when the subscriber connects: " + e.getMessage());
        }
    }

    /** The port the pod listens on; -1 before {@link #start}. */
    public int port() {
        return listeners.port();
    }

    public String podId() {
        return settings.podId();
    }

    public Hub hub() {
        return hub;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * Stops gracefully: readiness goes down and new streams are refused, open streams get a jittered
     * {@code retry:} and end, then the pod stops. Returns within {@code herald.sse.shutdown-grace} or so.
     */
    public synchronized void shutdown() {
        if (stopped) {
            return;
        }
        drain();
        long deadline = System.nanoTime() + settings.sse().shutdownGrace().toNanos();
        hub.awaitNoSubscriptions(settings.sse().shutdownGrace());
        // the streams' last bytes (the retry hint, the end of the response) are written; give clients a moment to
        // read them before the sockets close, since a close with unread client frames (HTTP/2 window updates)
        // resets the connection and the client may drop what it had not read yet
        LockSupport.parkNanos(Math.max(0, Math.min(LINGER.toNanos(), deadline - System.nanoTime())));
        stop();
    }

    /** The first half of {@link #shutdown}: readiness down, new streams refused, open streams told to go. */
    public synchronized void drain() {
        if (draining) {
            return;
        }
        draining = true;
        LOG.info("Draining: closing " + hub.subscriptionCount() + " streams");
        hub.shutdown();
    }

    /** Stops at once: open streams end, then everything {@link #start} started stops, in reverse order. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        draining = true;
        hub.shutdown();
        undo();
        LOG.info("Herald stopped");
    }

    /** Stops what was started, most recent first; a part that fails to stop does not keep the others running. */
    @GuardedBy("this")
    private void undo() {
        stopped = true;
        while (!started.isEmpty()) {
            try {
                started.pop().run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A part failed to stop", e);
            }
        }
    }

    private HealthCheckResponse readiness() {
        boolean brokerReady = backend.broker().ready();
        boolean listening = listening();
        return HealthCheckResponse.builder()
                .status(!draining && brokerReady && listening)
                .detail("draining", draining)
                .detail("broker", brokerReady ? "up" : "down")
                .detail("listener", listening ? "accepting" : "gone")
                .build();
    }

    /** DOWN once a listener has stopped accepting for good: only a restart brings it back. */
    private HealthCheckResponse liveness() {
        boolean listening = listening();
        return HealthCheckResponse.builder()
                .status(listening)
                .detail("listener", listening ? "accepting" : "gone")
                .build();
    }

    /** Whether every listener still accepts; true before {@link #start}. */
    public boolean listening() {
        return listeners.listening();
    }

    /**
     * The JVM's one registry, which {@code /observe/metrics} shows. Deprecated for removal in Helidon 4.5 for the
     * service registry's; both are the same registry today, and this stays until Helidon removes it.
     */
    @SuppressWarnings("removal")
    private static MeterRegistry globalRegistry() {
        return Metrics.globalRegistry();
    }
}
