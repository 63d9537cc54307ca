package dev.herald;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.http.Errors;
import dev.herald.http.LongLivedStreams;
import dev.herald.http.Routes;
import dev.herald.hub.Backend;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.PresenceTracker;
import dev.herald.hub.Publishing;
import dev.herald.jobs.Jobs;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.redis.RedisConnection;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

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
    /** The listener of {@code herald.management.port}. */
    private static final String MANAGEMENT_SOCKET = "management";
    /** Connections the management listener accepts at once (probes and scrapes; more wait in the backlog). */
    private static final int MANAGEMENT_CONNECTIONS = 16;

    private final Settings settings;
    private final Backend backend;
    private final HeraldMetrics metrics;
    private final Hub hub;
    private final ConnectionLimits limits;
    private final PresenceTracker presence;
    private final Jobs jobs;
    /** The server's settings; built into a server only by {@link #start} (building one starts a timer thread). */
    private final WebServerConfig.Builder serverConfig;
    /** Set by {@link #start}. */
    private volatile WebServer server;
    /** Where the server is told to listen. */
    private final String host;
    private final int port;
    /** {@code server.max-tcp-connections} when the operator set it; otherwise {@link #start} sets it from the limit. */
    private final OptionalInt explicitTcp;
    /** Set by {@link #start}: whether the listeners still accept. */
    private volatile ListenerWatch watch;
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
        this.backend = Backends.create(settings, metrics::redisReconnect);
        this.limits = new ConnectionLimits(settings.sse().maxConnections(), settings.sse().maxConnectionsPerUser(),
                                           backend.leases(), settings.podId());
        this.hub = new Hub(backend.broker(), metrics, settings.sse().heartbeat());
        Publishing publishing = new Publishing(backend.broker(), metrics);
        this.presence = new PresenceTracker(backend.presence(), publishing);
        this.jobs = new Jobs(publishing, MAX_RUNNING_JOBS_PER_USER);

        HttpRouting.Builder routing = HttpRouting.builder();
        Routes.register(routing, new Routes.Parts(hub, publishing, presence, limits, backend.rateLimiter(), metrics,
                                                  settings, tokens.verifier(), tokens.issuer(), () -> draining, jobs));
        Config server = config.get("server");
        this.host = server.get("host").asString().orElse("0.0.0.0");
        this.port = Settings.integer(server.get("port"), 8080, 0, 65535);
        this.explicitTcp = maxTcpConnections(server.get("max-tcp-connections"));
        OptionalInt managementPort = settings.management().port();
        if (managementPort.isPresent() && managementPort.getAsInt() == port) {
            throw new StartupException("herald.management.port must differ from server.port (both are " + port + ")");
        }
        List<String> observeSockets = managementPort.isPresent() ? List.of(WebServer.DEFAULT_SOCKET_NAME, MANAGEMENT_SOCKET)
                                                              : List.of(WebServer.DEFAULT_SOCKET_NAME);
        this.serverConfig = WebServer.builder()
                // per-connection memory: a blocking socket keeps one 8 KB read buffer where the NIO one keeps two,
                // and SSE frames are written in whole batches, so a small write buffer only skips a copy
                .useNio(false)
                .writeBufferSize(512)
                .config(server)
                .featuresDiscoverServices(false)
                .shutdownHook(false)
                .directHandlers(Errors.directHandlers())
                .addConnectionSelector(LongLivedStreams.selector())
                .addFeature(ObserveFeature.builder()
                                    .sockets(observeSockets)
                                    .observersDiscoverServices(false)
                                    .addObserver(MetricsObserver.create())
                                    .addObserver(HealthObserver.builder()
                                                         .details(true)
                                                         .addCheck(this::readiness, HealthCheckType.READINESS, "herald-ready")
                                                         .addCheck(this::liveness, HealthCheckType.LIVENESS, "herald-live")
                                                         .build())
                                    .build())
                .routing(routing);
        settings.tls().keystore().ifPresent(path -> serverConfig.tls(tls(settings.tls(), path)));
        // its own accept loop: when the main listener dies, this one still answers probes (liveness DOWN)
        managementPort.ifPresent(p -> serverConfig.putSocket(MANAGEMENT_SOCKET, socket -> socket
                .host(host)
                .port(p)
                .useNio(false)
                .maxTcpConnections(MANAGEMENT_CONNECTIONS)));
    }

    /** {@code server.max-tcp-connections}: -1 (Helidon's "no bound") or a positive number; empty when not set. */
    private static OptionalInt maxTcpConnections(Config c) {
        if (!c.exists()) {
            return OptionalInt.empty();
        }
        int value;
        try {
            value = c.asInt().get();
        } catch (ConfigException e) {
            throw new StartupException(c.key() + " must be a whole number (-1: no bound)");
        }
        if (value == 0 || value < -1) {
            throw new StartupException(c.key() + " must be -1 (no bound) or at least 1 (is " + value + ")");
        }
        return OptionalInt.of(value);
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
     * Starts the parts in order (file budget, meters, backend, hub, limits, presence, web server, listener watch).
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
            FileBudget budget = fileBudget();
            metrics.register(limits::open, hub::channelCount);
            started.push(metrics::close);
            startBackend();
            hub.start();
            started.push(hub::shutdown);
            limits.start();
            started.push(limits::close);
            presence.start();
            started.push(presence::close);
            started.push(jobs::close);
            checkAddressFree(port, "server.host, server.port");
            OptionalInt managementPort = settings.management().port();
            if (managementPort.isPresent()) {
                checkAddressFree(managementPort.getAsInt(), "server.host, herald.management.port");
            }
            WebServer built = serverConfig.build();
            server = built;
            started.push(built::stop);
            built.start();
            if (!built.isRunning() || built.port() < 0) {
                throw new StartupException("cannot listen on " + host + ":" + port + " (server.host, server.port)");
            }
            if (managementPort.isPresent() && built.port(MANAGEMENT_SOCKET) < 0) {
                throw new StartupException("cannot listen on " + host + ":" + managementPort.getAsInt()
                                           + " (server.host, herald.management.port)");
            }
            startWatch(built);
            LOG.info(() -> "Herald listening on port " + port() + " (pod " + settings.podId() + ", "
                           + backend.mode() + " mode" + (settings.tls().keystore().isPresent() ? ", TLS" : "")
                           + (managementPort.isPresent() ? ", /observe also on port " + managementPort.getAsInt() : "")
                           + ", " + describe(budget) + ")");
        } catch (RuntimeException e) {
            undo();
            throw e;
        }
        return this;
    }

    /**
     * Reads the open-files limit and what is open now, refuses settings that cannot fit, and bounds the listener
     * when the operator did not, so that {@code accept()} never runs out of files (see {@link FileBudget}).
     */
    @GuardedBy("this")
    private FileBudget fileBudget() {
        FileBudget.Parts parts = new FileBudget.Parts(
                OpenFiles.open(),
                settings.redis().url().isPresent() ? RedisConnection.MAX_SOCKETS : 0,
                settings.management().port().isPresent() ? MANAGEMENT_CONNECTIONS : 0);
        FileBudget budget = FileBudget.plan(OpenFiles.limit(), parts, settings.sse().maxConnections(), explicitTcp);
        if (explicitTcp.isEmpty() && budget.bounded()) {
            serverConfig.maxTcpConnections(budget.maxTcpConnections());
        }
        if (!budget.bounded() && budget.limit() >= 0) {
            LOG.warning("server.max-tcp-connections is -1: the listener accepts without a bound, and when accept() "
                        + "finds no file left under the open-files limit of " + budget.limit() + " it stops for good "
                        + "(liveness then goes DOWN)");
        }
        return budget;
    }

    private static String describe(FileBudget budget) {
        if (budget.limit() < 0) {
            return "open-files limit unknown";
        }
        return (budget.bounded() ? "up to " + budget.maxTcpConnections() + " connections" : "no connection bound")
               + " under an open-files limit of " + budget.limit();
    }

    /** Starts watching the listeners; stopped before the server, so that a stop is not taken for a death. */
    @GuardedBy("this")
    private void startWatch(WebServer built) {
        List<ListenerWatch.Address> addresses = new java.util.ArrayList<>();
        addresses.add(new ListenerWatch.Address(host, built.port()));
        if (settings.management().port().isPresent()) {
            addresses.add(new ListenerWatch.Address(host, built.port(MANAGEMENT_SOCKET)));
        }
        ListenerWatch started = new ListenerWatch(addresses);
        watch = started;
        started.start();
        this.started.push(started::close);
    }

    /**
     * Binds the address once and lets it go, so that a port in use or not permitted stops the pod with one line
     * naming it (Helidon logs a stack trace and carries on with port -1). Helidon's own check stays for the race.
     */
    private void checkAddressFree(int wanted, String keys) {
        if (wanted == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, wanted));
        } catch (IOException e) {
            throw new StartupException("cannot listen on " + host + ":" + wanted + " (" + keys + "): "
                                       + e.getMessage());
        }
    }

    @GuardedBy("this")
    private void startBackend() {
        try {
            backend.start(hub);
        } catch (BrokerUnavailableException e) {
            throw new StartupException(e.getMessage() + " (herald.redis.url)");
        }
        started.push(backend::stop);
    }

    /** The port the pod listens on; -1 before {@link #start}. */
    public int port() {
        WebServer running = server;
        return running == null ? -1 : running.port();
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
        ListenerWatch running = watch;
        return running == null || running.listening();
    }

    /**
     * The JVM's one registry, which {@code /observe/metrics} shows. Deprecated for removal in Helidon 4.5 for the
     * service registry's; both are the same registry today, and this stays until Helidon removes it.
     */
    @SuppressWarnings("removal")
    private static MeterRegistry globalRegistry() {
        return Metrics.globalRegistry();
    }

    private static Tls tls(Settings.Tls tls, String path) {
        try {
            Keys keys = Keys.builder()
                    .keystore(store -> store.keystore(Resource.create(Path.of(path)))
                            .type(tls.type())
                            .passphrase(tls.password().toCharArray())
                            .keyAlias(tls.alias()))
                    .build();
            return Tls.builder()
                    .privateKey(keys)
                    .privateKeyCertChain(keys)
                    .build();
        } catch (RuntimeException e) {
            throw new StartupException("herald.tls.keystore: cannot use the keystore " + path + " (type " + tls.type()
                                       + ", alias " + tls.alias() + "): " + e.getMessage());
        }
    }
}
