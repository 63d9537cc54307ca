package dev.herald;

import java.time.Duration;
import java.util.Optional;

import io.helidon.config.Config;

/**
 * Every {@code herald.*} setting, read once at start into records with named defaults.
 * The keys are documented in {@code config/application.yaml}.
 */
public record Settings(String podId, boolean production, Sse sse, History history, Events events, Auth auth,
                       Tls tls, Redis redis, Presence presence, Rate rate, Cors cors, boolean accessLog) {

    /** {@code herald.sse.*}: the SSE streams. */
    public record Sse(Duration heartbeat, int queueCapacity, int maxConnections, int maxConnectionsPerUser,
                      int maxChannels, Duration retry, Duration shutdownGrace) {
        static Sse from(Config c) {
            return new Sse(c.get("heartbeat").as(Duration.class).orElse(Duration.ofSeconds(15)),
                           c.get("queue-capacity").asInt().orElse(1024),
                           c.get("max-connections").asInt().orElse(10_000),
                           c.get("max-connections-per-user").asInt().orElse(20),
                           c.get("max-channels").asInt().orElse(16),
                           c.get("retry").as(Duration.class).orElse(Duration.ofSeconds(3)),
                           c.get("shutdown-grace").as(Duration.class).orElse(Duration.ofSeconds(10)));
        }
    }

    /** {@code herald.history.*}: events kept per channel for resume. */
    public record History(int size, Duration ttl) {
        static History from(Config c) {
            return new History(c.get("size").asInt().orElse(1000),
                               c.get("ttl").as(Duration.class).orElse(Duration.ofHours(1)));
        }
    }

    /** {@code herald.events.*}: limits on one event. */
    public record Events(int maxBytes) {
        static Events from(Config c) {
            return new Events(c.get("max-bytes").asInt().orElse(16 * 1024));
        }
    }

    /** {@code herald.auth.*}: tokens. */
    public record Auth(boolean devMode, Optional<String> secret, Optional<String> jwksFile, Optional<String> jwksUrl,
                       Duration jwksRefetch, Optional<String> issuer, Optional<String> audience,
                       Optional<String> cookie) {
        static Auth from(Config c) {
            return new Auth(c.get("dev-mode").asBoolean().orElse(false),
                            nonBlank(c.get("jwt.secret")),
                            nonBlank(c.get("jwt.jwks-file")),
                            nonBlank(c.get("jwt.jwks-url")),
                            c.get("jwt.jwks-refetch").as(Duration.class).orElse(Duration.ofMinutes(1)),
                            nonBlank(c.get("jwt.issuer")),
                            nonBlank(c.get("jwt.audience")),
                            nonBlank(c.get("cookie")));
        }
    }

    /** {@code herald.rate.*}: token buckets (per second, burst). */
    public record Rate(double chatPerSecond, int chatBurst, double channelPerSecond, int channelBurst) {
        static Rate from(Config c) {
            return new Rate(c.get("chat.per-second").asDouble().orElse(5.0),
                            c.get("chat.burst").asInt().orElse(20),
                            c.get("channel.per-second").asDouble().orElse(200.0),
                            c.get("channel.burst").asInt().orElse(200));
        }
    }

    /** {@code herald.cors.*}: browser apps on other origins; nothing is allowed unless listed. */
    public record Cors(java.util.List<String> allowedOrigins, boolean allowCredentials, Duration maxAge) {
        static Cors from(Config c) {
            return new Cors(c.get("allowed-origins").asList(String.class).orElse(java.util.List.of()).stream()
                                    .map(String::trim).filter(s -> !s.isEmpty()).toList(),
                            c.get("allow-credentials").asBoolean().orElse(true),
                            c.get("max-age").as(Duration.class).orElse(Duration.ofMinutes(10)));
        }
    }

    /** {@code herald.tls.*}: HTTPS (and so HTTP/2 for browsers) when a keystore is configured. */
    public record Tls(Optional<String> keystore, String password, String type, String alias) {
        static Tls from(Config c) {
            return new Tls(nonBlank(c.get("keystore")),
                           c.get("password").asString().orElse(""),
                           c.get("type").asString().orElse("PKCS12"),
                           c.get("alias").asString().orElse("1"));
        }
    }

    /** {@code herald.redis.*}: clustered mode when a URL is set. */
    public record Redis(Optional<String> url, String prefix, Duration timeout) {
        static Redis from(Config c) {
            return new Redis(nonBlank(c.get("url")),
                             c.get("prefix").asString().filter(s -> !s.isBlank()).orElse("realtime"),
                             c.get("timeout").as(Duration.class).orElse(Duration.ofSeconds(2)));
        }
    }

    /** {@code herald.presence.*}. */
    public record Presence(Duration ttl) {
        static Presence from(Config c) {
            return new Presence(c.get("ttl").as(Duration.class).orElse(Duration.ofSeconds(30)));
        }
    }

    public static Settings from(Config herald) {
        return new Settings(herald.get("pod-id").asString().filter(s -> !s.isBlank()).orElseGet(Settings::hostName),
                            herald.get("production").asBoolean().orElse(false),
                            Sse.from(herald.get("sse")),
                            History.from(herald.get("history")),
                            Events.from(herald.get("events")),
                            Auth.from(herald.get("auth")),
                            Tls.from(herald.get("tls")),
                            Redis.from(herald.get("redis")),
                            Presence.from(herald.get("presence")),
                            Rate.from(herald.get("rate")),
                            Cors.from(herald.get("cors")),
                            herald.get("access-log").asBoolean().orElse(true));
    }

    /** The default pod id: the host name (a Kubernetes pod's name), else a random one. */
    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "pod-" + Long.toString(System.nanoTime() & 0xffffff, 36);
        }
    }

    private static Optional<String> nonBlank(Config c) {
        return c.asString().asOptional().filter(s -> !s.isBlank());
    }
}
