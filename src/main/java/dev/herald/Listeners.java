package dev.herald;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

import dev.herald.http.DirectStreams;
import dev.herald.http.Errors;
import dev.herald.http.RequestGuard;
import dev.herald.redis.RedisConnection;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * The pod's web server and what keeps it accepting: its configuration (turned into a server only by {@link #start},
 * since building one starts a timer thread), the management listener, the open-files budget that bounds the
 * listeners under the process's limit, the check that the addresses are free, and the watch that notices a listener
 * that stopped accepting for good. Used by {@link Herald} under its lock; {@link #port} and {@link #listening} may
 * be read from any thread (volatile fields).
 */
final class Listeners {
    private static final Logger LOG = Logger.getLogger(Listeners.class.getName());
    /** The listener of {@code herald.management.port}. */
    private static final String MANAGEMENT_SOCKET = "management";
    /** Connections the management listener accepts at once (probes and scrapes; more wait in the backlog). */
    private static final int MANAGEMENT_CONNECTIONS = 16;
    /** Longest request line (414 beyond) and header block (431 beyond), in bytes. */
    static final int MAX_REQUEST_LINE = 8192;
    static final int MAX_HEADERS = 16384;

    private final Settings settings;
    private final WebServerConfig.Builder serverConfig;
    /** Where the server is told to listen. */
    private final String host;
    private final int port;
    private final OptionalInt managementPort;
    /** {@code server.max-tcp-connections} when the operator set it; otherwise {@link #budget} sets it from the limit. */
    private final OptionalInt explicitTcp;
    /** Told the reason each time the request guard cuts or refuses a connection. */
    private final Consumer<String> onCut;
    /** HTTP/1.1 streams served outside the routing, or null. */
    private final DirectStreams direct;
    /** Set by {@link #budget}. */
    private volatile RequestGuard guard;
    /** Set by {@link #start}. */
    private volatile WebServer server;
    /** Set by {@link #start}: whether the listeners still accept. */
    private volatile ListenerWatch watch;

    /**
     * @param server    the {@code server} section of the configuration
     * @param readiness  and {@code liveness}: the pod's health checks, served under {@code /observe/health}
     * @param management the management port's routes beside {@code /observe} (the admin dashboard), or null
     * @throws StartupException naming the setting that is wrong
     */
    Listeners(Config server, Settings settings, HttpRouting.Builder routing, DirectStreams direct,
              Supplier<HealthCheckResponse> readiness, Supplier<HealthCheckResponse> liveness, Consumer<String> onCut,
              HttpRouting.Builder management) {
        this.settings = settings;
        this.direct = direct;
        this.onCut = onCut;
        this.host = server.get("host").asString().orElse("0.0.0.0");
        this.port = Settings.integer(server.get("port"), 8080, 0, 65535);
        this.explicitTcp = maxTcpConnections(server.get("max-tcp-connections"));
        this.managementPort = settings.management().port();
        if (managementPort.isPresent() && managementPort.getAsInt() == port) {
            throw new StartupException("herald.management.port must differ from server.port (both are " + port + ")");
        }
        // with a management port, metrics and health details leave the public port (docs/security.md)
        List<String> observeSockets = List.of(managementPort.isPresent() ? MANAGEMENT_SOCKET
                                                                         : WebServer.DEFAULT_SOCKET_NAME);
        this.serverConfig = WebServer.builder()
                // per-connection memory: a blocking socket keeps one 8 KB read buffer where the NIO one keeps two,
                // and SSE frames are written in whole batches, so a small write buffer only skips a copy
                .useNio(false)
                .writeBufferSize(512)
                .config(server)
                .featuresDiscoverServices(false)
                .shutdownHook(false)
                .directHandlers(Errors.directHandlers())
                .errorHandling(RequestGuard.errorHandling())
                // RequestGuard (added by budget()) is the only selector: it sees each socket before its first byte
                .protocolsDiscoverServices(false)
                .addFeature(ObserveFeature.builder()
                                    .sockets(observeSockets)
                                    .observersDiscoverServices(false)
                                    .addObserver(MetricsObserver.create())
                                    .addObserver(HealthObserver.builder()
                                                         .details(true)
                                                         .addCheck(readiness, HealthCheckType.READINESS, "herald-ready")
                                                         .addCheck(liveness, HealthCheckType.LIVENESS, "herald-live")
                                                         .build())
                                    .build())
                .routing(routing);
        settings.tls().keystore().ifPresent(path -> serverConfig.tls(tls(settings.tls(), path)));
        // its own accept loop: when the main listener dies, this one still answers probes (liveness DOWN)
        managementPort.ifPresent(p -> serverConfig.putSocket(MANAGEMENT_SOCKET, socket -> socket
                .host(host)
                .port(p)
                .useNio(false)
                .maxTcpConnections(MANAGEMENT_CONNECTIONS)
                .update(b -> {
                    if (management != null) {
                        b.routing(management);
                    }
                })));
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
     * Reads the open-files limit and what is open now, refuses settings that cannot fit, and bounds the listener
     * when the operator did not, so that {@code accept()} never runs out of files (see {@link FileBudget}).
     */
    FileBudget budget() {
        FileBudget.Parts parts = new FileBudget.Parts(
                OpenFiles.open(),
                settings.redis().url().map(RedisConnection::maxSockets).orElse(0),
                settings.management().port().isPresent() ? MANAGEMENT_CONNECTIONS : 0);
        FileBudget budget = FileBudget.plan(OpenFiles.limit(), parts, settings.sse().maxConnections(), explicitTcp);
        if (explicitTcp.isEmpty() && budget.bounded()) {
            serverConfig.maxTcpConnections(budget.maxTcpConnections());
        }
        Settings.Http http = settings.http();
        RequestGuard running = new RequestGuard(new RequestGuard.Limits(
                http.headTimeout(), http.bodyMinRate(),
                FileBudget.connectionCap(budget, http.maxConnections(), settings.sse().maxConnections()),
                MAX_REQUEST_LINE, MAX_HEADERS), onCut, direct);
        guard = running;
        serverConfig.addConnectionSelector(running);
        if (!budget.bounded() && budget.limit() >= 0) {
            LOG.warning("server.max-tcp-connections is -1: the listener accepts without a bound, and when accept() "
                        + "finds no file left under the open-files limit of " + budget.limit() + " it stops for good "
                        + "(liveness then goes DOWN)");
        }
        return budget;
    }

    /** Connections the request guard serves now; 0 before {@link #budget}. */
    int openConnections() {
        RequestGuard running = guard;
        return running == null ? 0 : running.open();
    }

    static String describe(FileBudget budget) {
        if (budget.limit() < 0) {
            return "open-files limit unknown";
        }
        return (budget.bounded() ? "up to " + budget.maxTcpConnections() + " connections" : "no connection bound")
               + " under an open-files limit of " + budget.limit();
    }

    /**
     * Checks that the addresses are free, builds and starts the server, then the watch; pushes how to stop each on
     * {@code started}. The watch is stopped before the server, so that a stop is not taken for a death.
     *
     * @throws StartupException naming the address that cannot be listened on
     */
    void start(Deque<Runnable> started) {
        checkAddressFree(port, "server.host, server.port");
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
        List<ListenerWatch.Address> addresses = new ArrayList<>();
        addresses.add(new ListenerWatch.Address(host, built.port()));
        if (managementPort.isPresent()) {
            addresses.add(new ListenerWatch.Address(host, built.port(MANAGEMENT_SOCKET)));
        }
        ListenerWatch running = new ListenerWatch(addresses);
        watch = running;
        running.start();
        started.push(running::close);
    }

    /** The port the pod listens on; -1 before {@link #start}. */
    int port() {
        WebServer running = server;
        return running == null ? -1 : running.port();
    }

    /** Whether every listener still accepts; true before {@link #start}. */
    boolean listening() {
        ListenerWatch running = watch;
        return running == null || running.listening();
    }

    /** For the start line: where else {@code /observe} is served. */
    String management() {
        return managementPort.isPresent() ? ", /observe and /admin only on port " + managementPort.getAsInt() : "";
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
