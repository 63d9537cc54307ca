package dev.herald;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.logging.Logger;

import dev.herald.auth.Jwks;
import dev.herald.auth.TokenIssuer;
import dev.herald.auth.TokenVerifier;
import dev.herald.http.Routes;
import dev.herald.http.LongLivedStreams;
import dev.herald.http.Errors;
import dev.herald.hub.Broker;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.LocalBroker;
import dev.herald.hub.LocalPresence;
import dev.herald.hub.LocalRateLimiter;
import dev.herald.hub.LocalUserLeases;
import dev.herald.hub.RateLimiter;
import dev.herald.hub.UserLeases;
import dev.herald.hub.Presence;
import dev.herald.hub.PresenceTracker;
import dev.herald.jobs.Jobs;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.redis.RedisBroker;
import dev.herald.redis.RedisPresence;
import dev.herald.redis.RedisRateLimiter;
import dev.herald.redis.RedisUserLeases;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.config.Config;
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
 * One running Herald pod: the parts wired together and the web server. {@link Main} starts one; tests start
 * several in one JVM (each has its own meters). Thread-safe: {@link #shutdown} may come from any thread.
 */
public final class Herald {
    private static final Logger LOG = Logger.getLogger(Herald.class.getName());
    private static final Duration LINGER = Duration.ofMillis(300);

    private final WebServer server;
    private final Hub hub;
    private final Broker broker;
    private final Settings settings;
    private final HeraldMetrics metrics;
    private final PresenceTracker presence;
    private final ConnectionLimits limits;
    private final Jobs jobs;
    private volatile boolean draining;
    private volatile boolean stopped;

    private Herald(Config config) {
        this.settings = Settings.from(config.get("herald"));
        if (settings.production() && settings.auth().devMode()) {
            throw new StartupException("dev mode is on in a production configuration (herald.production=true): "
                                       + "unset HERALD_DEV_MODE / herald.auth.dev-mode");
        }
        JWKSource<SecurityContext> jwks = jwks(settings.auth());
        byte[] secret = secret(settings.auth(), jwks != null);
        // one registry per JVM in Helidon: HeraldMetrics tags every meter with this pod's id
        MeterRegistry registry = Metrics.globalRegistry();
        Hub[] hubRef = new Hub[1];
        ConnectionLimits[] limitsRef = new ConnectionLimits[1];
        this.metrics = new HeraldMetrics(registry, settings.podId(), () -> limitsRef[0].open(),
                                         () -> hubRef[0].channelCount());
        Presence presenceStore;
        UserLeases leases;
        RateLimiter rateLimiter;
        if (settings.redis().url().isPresent()) {
            RedisBroker redis = new RedisBroker(settings.redis().url().get(), settings.redis().prefix(),
                                                settings.redis().timeout(), settings.history().size(),
                                                settings.history().ttl(), metrics::redisReconnect);
            this.broker = redis;
            presenceStore = new RedisPresence(redis, settings.podId(), settings.presence().ttl());
            leases = new RedisUserLeases(redis, settings.presence().ttl(), settings.redis().timeout());
            rateLimiter = new RedisRateLimiter(redis);
        } else {
            this.broker = new LocalBroker(settings.history().size(), settings.history().ttl());
            presenceStore = new LocalPresence();
            leases = new LocalUserLeases();
            rateLimiter = new LocalRateLimiter();
        }
        this.limits = new ConnectionLimits(settings.sse().maxConnections(), settings.sse().maxConnectionsPerUser(),
                                           leases, settings.podId());
        limitsRef[0] = limits;
        this.hub = new Hub(broker, metrics);
        hub.heartbeats(settings.sse().heartbeat());
        hubRef[0] = hub;
        this.presence = new PresenceTracker(presenceStore, broker, metrics);
        this.jobs = new Jobs(broker, 3);

        HttpRouting.Builder routing = HttpRouting.builder();
        Routes.register(routing, new Routes.Parts(hub, this.presence, limits, rateLimiter, metrics, settings,
                                                  new TokenVerifier(secret, jwks, settings.auth().issuer().orElse(null),
                                                                    settings.auth().audience().orElse(null)),
                                                  settings.auth().devMode() ? new TokenIssuer(secret) : null,
                                                  () -> draining, jobs));

        WebServerConfig.Builder builder = WebServer.builder()
                // per-connection memory: a blocking socket keeps one 8 KB read buffer where the NIO one keeps two,
                // and SSE frames are written in whole batches, so a small write buffer only skips a copy
                .useNio(false)
                .writeBufferSize(512)
                .config(config.get("server"))
                .featuresDiscoverServices(false)
                .shutdownHook(false)
                .directHandlers(Errors.directHandlers())
                .addConnectionSelector(LongLivedStreams.selector())
                .addFeature(ObserveFeature.builder()
                                    .observersDiscoverServices(false)
                                    .addObserver(MetricsObserver.create())
                                    .addObserver(HealthObserver.builder()
                                                         .details(true)
                                                         .addCheck(this::readiness, HealthCheckType.READINESS, "herald-ready")
                                                         .addCheck(() -> HealthCheckResponse.builder().status(true).build(),
                                                                   HealthCheckType.LIVENESS, "herald-live")
                                                         .build())
                                    .build())
                .routing(routing);
        settings.tls().keystore().ifPresent(path -> builder.tls(tls(settings.tls(), path)));
        this.server = builder.build().start();
        LOG.info(() -> "Herald listening on port " + server.port() + " (pod " + settings.podId() + ", " + mode() + " mode"
                       + (settings.tls().keystore().isPresent() ? ", TLS" : "") + ")");
    }

    /** Starts a pod with the given configuration (the root, with {@code server} and {@code herald} sections). */
    public static Herald start(Config config) {
        return new Herald(config);
    }

    public int port() {
        return server.port();
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
     * {@code retry:} and end, then the server stops. Returns within {@code herald.sse.shutdown-grace} or so.
     */
    public synchronized void shutdown() {
        if (stopped) {
            return;
        }
        drain();
        long deadline = System.nanoTime() + settings.sse().shutdownGrace().toNanos();
        while (hub.subscriptionCount() > 0 && System.nanoTime() < deadline) {
            hub.awaitNoSubscriptions(Duration.ofMillis(50));
        }
        // the streams' last bytes (the retry hint, the end of the response) are written; give clients a moment to
        // read them before the sockets close, since a close with unread client frames (HTTP/2 window updates)
        // resets the connection and the client may drop what it had not read yet
        java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, Math.min(LINGER.toNanos(),
                                                                              deadline - System.nanoTime())));
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

    /** Stops the server and the broker at once. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        draining = true;
        hub.shutdown();
        server.stop();
        presence.close();
        limits.close();
        jobs.close();
        broker.close();
        metrics.close();
        LOG.info("Herald stopped");
    }

    private HealthCheckResponse readiness() {
        boolean ready = !draining && broker.ready();
        return HealthCheckResponse.builder()
                .status(ready)
                .detail("draining", draining)
                .detail("broker", broker.ready() ? "up" : "down")
                .build();
    }

    private String mode() {
        return settings.redis().url().isPresent() ? "clustered" : "embedded";
    }

    /** The HMAC secret: configured, or random in dev mode; null when only a JWKS is used. */
    private static byte[] secret(Settings.Auth auth, boolean haveJwks) {
        if (auth.secret().isPresent()) {
            byte[] secret = auth.secret().get().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new StartupException("the JWT secret (HERALD_JWT_SECRET / herald.auth.jwt.secret) "
                                           + "must be at least 32 bytes");
            }
            return secret;
        }
        if (!auth.devMode()) {
            if (haveJwks) {
                return null;
            }
            throw new StartupException("no JWT secret or JWKS: set HERALD_JWT_SECRET (or herald.auth.jwt.secret, "
                                       + "herald.auth.jwt.jwks-file, herald.auth.jwt.jwks-url), "
                                       + "or turn on dev mode for a laptop (HERALD_DEV_MODE=true)");
        }
        LOG.warning("DEV MODE: tokens are signed with a random secret and anyone can get one at POST /dev/token. "
                    + "Never run this in production.");
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
    }

    private static JWKSource<SecurityContext> jwks(Settings.Auth auth) {
        try {
            if (auth.jwksFile().isPresent()) {
                return Jwks.file(auth.jwksFile().get());
            }
            return auth.jwksUrl().map(url -> Jwks.url(url, auth.jwksRefetch())).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private static Tls tls(Settings.Tls tls, String path) {
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
    }
}
