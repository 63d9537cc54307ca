package dev.herald;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

import dev.herald.logging.LogFormat;
import dev.herald.redis.RedisTls;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;

/**
 * Every {@code herald.*} setting, read once at start into records with named defaults and checked against its
 * range: a value out of range or of the wrong type stops the pod with a {@link StartupException} naming the key.
 * The keys are documented in {@code config/application.yaml}.
 */
public record Settings(String podId, boolean production, Sse sse, History history, Events events, Publish publish,
                       Auth auth, Tls tls, Redis redis, Presence presence, Rate rate, Cors cors, Management management,
                       boolean accessLog, Jobs jobs, Http http, Log log, Tracing tracing) {
    private static final Pattern POD_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration DAY = Duration.ofDays(1);

    /** {@code herald.sse.*}: the SSE streams. */
    public record Sse(Duration heartbeat, int queueCapacity, int maxConnections, int maxConnectionsPerUser,
                      int maxChannels, Duration retry, Duration shutdownGrace, int maxReplayBytes,
                      boolean directHttp1, boolean warmUp) {
        static Sse from(Config c) {
            return new Sse(duration(c.get("heartbeat"), Duration.ofSeconds(15), Duration.ofMillis(50), HOUR),
                           integer(c.get("queue-capacity"), 1024, 1, 1_000_000),
                           integer(c.get("max-connections"), 10_000, 1, 10_000_000),
                           integer(c.get("max-connections-per-user"), 20, 1, 1_000_000),
                           integer(c.get("max-channels"), 16, 1, 1000),
                           duration(c.get("retry"), Duration.ofSeconds(3), Duration.ZERO, HOUR),
                           duration(c.get("shutdown-grace"), Duration.ofSeconds(10), Duration.ZERO, HOUR),
                           integer(c.get("max-replay-bytes"), 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
                           bool(c.get("direct-http1"), true),
                           bool(c.get("warm-up"), true));
        }
    }

    /**
     * {@code herald.history.*}: events kept per channel for resume, and how long a cursor is honoured (a channel
     * nobody publishes to or reads is forgotten after that long, so a cursor older than it resyncs).
     */
    public record History(int size, Duration ttl, Duration cursorTtl) {
        static History from(Config c) {
            Duration ttl = duration(c.get("ttl"), HOUR, Duration.ofSeconds(1), Duration.ofDays(365));
            Duration cursorTtl = duration(c.get("cursor-ttl"), dev.herald.hub.Broker.defaultCursorTtl(ttl),
                                          Duration.ofSeconds(1), Duration.ofDays(365));
            if (cursorTtl.compareTo(ttl) < 0) {
                throw new StartupException("herald.history.cursor-ttl must be at least herald.history.ttl ("
                                                   + cursorTtl + " < " + ttl + ")");
            }
            return new History(integer(c.get("size"), 1000, 0, 10_000_000), ttl, cursorTtl);
        }
    }

    /** {@code herald.events.*}: limits on one event. */
    public record Events(int maxBytes) {
        static Events from(Config c) {
            return new Events(integer(c.get("max-bytes"), 16 * 1024, 256, 16 * 1024 * 1024));
        }
    }

    /** {@code herald.publish.*}: the publish routes. */
    public record Publish(Duration idempotencyTtl, int maxBroadcast) {
        static Publish from(Config c) {
            return new Publish(duration(c.get("idempotency-ttl"), Duration.ofHours(24), Duration.ofSeconds(1),
                                        Duration.ofDays(7)),
                               integer(c.get("max-broadcast"), 1000, 1, 100_000));
        }
    }

    /** {@code herald.auth.*}: tokens. */
    public record Auth(boolean devMode, Optional<String> secret, Optional<String> jwksFile, Optional<String> jwksUrl,
                       Duration jwksRefetch, Optional<String> issuer, Optional<String> audience,
                       Optional<String> cookie, Duration clockSkew, Optional<String> serviceScope,
                       Duration revocationTtl) {
        static Auth from(Config c) {
            return new Auth(bool(c.get("dev-mode"), false),
                            nonBlank(c.get("jwt.secret")),
                            nonBlank(c.get("jwt.jwks-file")),
                            nonBlank(c.get("jwt.jwks-url")),
                            duration(c.get("jwt.jwks-refetch"), Duration.ofMinutes(1), Duration.ZERO, DAY),
                            nonBlank(c.get("jwt.issuer")),
                            nonBlank(c.get("jwt.audience")),
                            nonBlank(c.get("cookie")),
                            duration(c.get("jwt.clock-skew"), Duration.ofSeconds(30), Duration.ZERO,
                                     Duration.ofSeconds(60)),
                            nonBlank(c.get("jwt.service-scope")),
                            duration(c.get("revocation-ttl"), Duration.ofDays(7), Duration.ofMinutes(1),
                                     Duration.ofDays(366)));
        }
    }

    /** {@code herald.rate.*}: token buckets (per second, burst). */
    public record Rate(double chatPerSecond, int chatBurst, double channelPerSecond, int channelBurst) {
        static Rate from(Config c) {
            return new Rate(rate(c.get("chat.per-second"), 5.0),
                            integer(c.get("chat.burst"), 20, 1, 1_000_000_000),
                            rate(c.get("channel.per-second"), 200.0),
                            integer(c.get("channel.burst"), 200, 1, 1_000_000_000));
        }
    }

    /** {@code herald.cors.*}: browser apps on other origins; nothing is allowed unless listed. */
    public record Cors(List<String> allowedOrigins, boolean allowCredentials, Duration maxAge) {
        static Cors from(Config c) {
            List<String> origins;
            try {
                origins = c.get("allowed-origins").asList(String.class).orElse(List.of());
            } catch (ConfigException e) {
                throw invalid(c.get("allowed-origins"), "a list of origins");
            }
            return new Cors(origins.stream().map(String::trim).filter(s -> !s.isEmpty()).toList(),
                            bool(c.get("allow-credentials"), true),
                            duration(c.get("max-age"), Duration.ofMinutes(10), Duration.ZERO, DAY));
        }
    }

    /** {@code herald.tls.*}: HTTPS (and so HTTP/2 for browsers) when a keystore is configured. */
    public record Tls(Optional<String> keystore, String password, String type, String alias) {
        static Tls from(Config c) {
            Optional<String> keystore = nonBlank(c.get("keystore"));
            if (keystore.isPresent() && !Files.isReadable(Path.of(keystore.get()))) {
                throw new StartupException(c.get("keystore").key() + ": no readable keystore at " + keystore.get());
            }
            return new Tls(keystore,
                           c.get("password").asString().orElse(""),
                           c.get("type").asString().orElse("PKCS12"),
                           c.get("alias").asString().orElse("1"));
        }
    }

    /**
     * {@code herald.redis.*}: clustered mode when a URL is set; {@code tls.*} for {@code rediss://}; after each
     * publish, wait for {@code minReplicasAck} replicas (0: do not wait) up to {@code minReplicasTimeout}.
     */
    public record Redis(Optional<String> url, String prefix, Duration timeout, RedisTls tls, int minReplicasAck,
                        Duration minReplicasTimeout) {
        static Redis from(Config c) {
            Duration timeout = duration(c.get("timeout"), Duration.ofSeconds(2), Duration.ofMillis(10),
                                        Duration.ofMinutes(1));
            // WAIT blocks the command connection: past the socket timeout the publish would fail instead
            Duration waitMax = timeout.dividedBy(2);
            return new Redis(nonBlank(c.get("url")),
                             c.get("prefix").asString().filter(s -> !s.isBlank()).orElse("realtime"),
                             timeout,
                             tls(c.get("tls")),
                             integer(c.get("min-replicas-ack"), 0, 0, 100),
                             duration(c.get("min-replicas-timeout"), Duration.ofMillis(100).compareTo(waitMax) < 0
                                                                     ? Duration.ofMillis(100) : waitMax,
                                      Duration.ofMillis(1), waitMax));
        }

        private static RedisTls tls(Config c) {
            return new RedisTls(store(c.get("trust-store")), c.get("trust-store-password").asString().orElse(""),
                                c.get("trust-store-type").asString().orElse("PKCS12"), store(c.get("key-store")),
                                c.get("key-store-password").asString().orElse(""),
                                c.get("key-store-type").asString().orElse("PKCS12"));
        }

        private static Optional<Path> store(Config c) {
            Optional<String> file = nonBlank(c);
            if (file.isPresent() && !Files.isReadable(Path.of(file.get()))) {
                throw new StartupException(c.key() + ": no readable store at " + file.get());
            }
            return file.map(Path::of);
        }
    }

    /** {@code herald.presence.*}. */
    public record Presence(Duration ttl) {
        static Presence from(Config c) {
            return new Presence(duration(c.get("ttl"), Duration.ofSeconds(30), Duration.ofMillis(300), DAY));
        }
    }

    /**
     * {@code herald.management.*}: a second port that serves only {@code /observe} (health, metrics), with its own
     * accept loop, so that probes still get an answer (liveness DOWN) when the main listener has died.
     */
    public record Management(OptionalInt port) {
        static Management from(Config c) {
            Config port = c.get("port");
            if (nonBlank(port).isEmpty()) {
                return new Management(OptionalInt.empty());
            }
            return new Management(OptionalInt.of(integer(port, 0, 1, 65535)));
        }
    }

    /**
     * {@code herald.jobs.*}: jobs and exports. A finished job is kept for {@code retention}. Each user may start
     * {@code exportsPerMinute} exports (a token bucket, shared by the pods in clustered mode); finished results are
     * files under a directory of {@code resultDir} that this pod creates at start and deletes at stop, at most
     * {@code maxResultBytes} in all (the oldest evicted first). {@code exportPace}: a pause after each progress report
     * of an export, so that a short one shows its progress (demos, tests; 0 by default).
     */
    public record Jobs(int exportsPerMinute, long maxResultBytes, Path resultDir, Duration retention,
                       Duration exportPace) {
        static Jobs from(Config c) {
            Optional<String> dir = nonBlank(c.get("result-dir"));
            return new Jobs(integer(c.get("exports-per-minute"), 10, 1, 1_000_000),
                            bytes(c.get("max-result-bytes"), 256L << 20, 1024, 1L << 40),
                            Path.of(dir.orElseGet(() -> System.getProperty("java.io.tmpdir"))),
                            duration(c.get("retention"), HOUR, Duration.ofSeconds(1), Duration.ofDays(30)),
                            duration(c.get("export-pace"), Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10)));
        }
    }

    /**
     * {@code herald.http.*}: what one TCP connection may hold. The request head (line and headers) must arrive within
     * {@code head-timeout}; a body must keep up {@code body-min-rate} bytes per second after that grace;
     * {@code max-connections} open connections per pod (0: derived from the open-files budget at start).
     */
    public record Http(Duration headTimeout, int bodyMinRate, int maxConnections) {
        static Http from(Config c) {
            return new Http(duration(c.get("head-timeout"), Duration.ofSeconds(10), Duration.ofMillis(100),
                                     Duration.ofMinutes(10)),
                            integer(c.get("body-min-rate"), 1024, 1, 1_000_000_000),
                            integer(c.get("max-connections"), 0, 0, 10_000_000));
        }
    }

    /** {@code herald.log.*}: {@code format} {@code text} (the default) or {@code json}, one object per line. */
    public record Log(LogFormat format) {
        /** Read by {@link Main} before the other settings, so that even their errors are logged in this format. */
        static Log from(Config c) {
            Config format = c.get("format");
            Optional<String> text = nonBlank(format);
            if (text.isEmpty()) {
                return new Log(LogFormat.TEXT);
            }
            return switch (text.get().trim().toLowerCase(java.util.Locale.ROOT)) {
                case "text" -> new Log(LogFormat.TEXT);
                case "json" -> new Log(LogFormat.JSON);
                default -> throw invalid(format, "text or json");
            };
        }
    }

    /**
     * {@code herald.tracing.*}: spans of the publish path exported over OTLP/HTTP to {@code otlpEndpoint} (a
     * collector's base URL, {@code /v1/traces} is added); none when it is not set. {@code sampleRatio}: the share of
     * new traces kept (a caller's sampled {@code traceparent} is always followed).
     */
    public record Tracing(Optional<URI> otlpEndpoint, double sampleRatio) {
        static Tracing from(Config c) {
            Optional<URI> endpoint = nonBlank(c.get("otlp-endpoint")).map(text -> {
                try {
                    URI uri = new URI(text.trim());
                    if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                        return uri;
                    }
                } catch (URISyntaxException e) {
                    // refused below
                }
                throw invalid(c.get("otlp-endpoint"), "an http:// or https:// URL such as http://collector:4318");
            });
            double ratio;
            try {
                ratio = c.get("sample-ratio").asDouble().orElse(1.0);
            } catch (ConfigException e) {
                throw invalid(c.get("sample-ratio"), "a number between 0 and 1");
            }
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new StartupException(c.get("sample-ratio").key() + " must be between 0 and 1 (is " + ratio + ")");
            }
            return new Tracing(endpoint, ratio);
        }
    }

    /**
     * Reads and checks every setting.
     *
     * @throws StartupException naming the first key whose value is of the wrong type or out of range
     */
    public static Settings from(Config herald) {
        return new Settings(podId(herald),
                            bool(herald.get("production"), false),
                            Sse.from(herald.get("sse")),
                            History.from(herald.get("history")),
                            Events.from(herald.get("events")),
                            Publish.from(herald.get("publish")),
                            Auth.from(herald.get("auth")),
                            Tls.from(herald.get("tls")),
                            Redis.from(herald.get("redis")),
                            Presence.from(herald.get("presence")),
                            Rate.from(herald.get("rate")),
                            Cors.from(herald.get("cors")),
                            Management.from(herald.get("management")),
                            bool(herald.get("access-log"), true),
                            Jobs.from(herald.get("jobs")),
                            Http.from(herald.get("http")),
                            Log.from(herald.get("log")),
                            Tracing.from(herald.get("tracing")));
    }

    /** {@code herald.pod-id}, checked; by default the host name. */
    static String podId(Config herald) {
        Config pod = herald.get("pod-id");
        String podId = nonBlank(pod).orElseGet(Settings::hostName);
        if (!POD_ID.matcher(podId).matches()) {
            throw new StartupException(pod.key() + " must be 1-128 characters of A-Z a-z 0-9 . _ : - (is '"
                                       + podId + "')");
        }
        return podId;
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

    static int integer(Config c, int fallback, int min, int max) {
        int value;
        try {
            value = c.asInt().orElse(fallback);
        } catch (ConfigException e) {
            throw invalid(c, "a whole number");
        }
        if (value < min || value > max) {
            throw new StartupException(c.key() + " must be between " + min + " and " + max + " (is " + value + ")");
        }
        return value;
    }

    static long bytes(Config c, long fallback, long min, long max) {
        long value;
        try {
            value = c.asLong().orElse(fallback);
        } catch (ConfigException e) {
            throw invalid(c, "a whole number of bytes");
        }
        if (value < min || value > max) {
            throw new StartupException(c.key() + " must be between " + min + " and " + max + " (is " + value + ")");
        }
        return value;
    }

    static Duration duration(Config c, Duration fallback, Duration min, Duration max) {
        Duration value;
        try {
            value = c.as(Duration.class).orElse(fallback);
        } catch (ConfigException e) {
            throw invalid(c, "an ISO-8601 duration such as PT15S");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new StartupException(c.key() + " must be between " + min + " and " + max + " (is " + value + ")");
        }
        return value;
    }

    /** Events or tokens per second: positive and finite. */
    static double rate(Config c, double fallback) {
        double value;
        try {
            value = c.asDouble().orElse(fallback);
        } catch (ConfigException e) {
            throw invalid(c, "a number");
        }
        if (!(value > 0) || value > 1e9) {
            throw new StartupException(c.key() + " must be above 0 and at most 1e9 (is " + value + ")");
        }
        return value;
    }

    static boolean bool(Config c, boolean fallback) {
        Optional<String> text = nonBlank(c);
        if (text.isEmpty()) {
            return fallback;
        }
        return switch (text.get().trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(c, "true or false");
        };
    }

    private static StartupException invalid(Config c, String expected) {
        String raw;
        try {
            raw = c.asString().orElse("?");
        } catch (ConfigException e) {
            raw = "?";
        }
        return new StartupException(c.key() + " must be " + expected + " (is '" + raw + "')");
    }
}
