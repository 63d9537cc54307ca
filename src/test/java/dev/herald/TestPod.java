package dev.herald;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import dev.herald.auth.TokenIssuer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A Herald pod started in this JVM on a free port, with a known secret, and helpers to talk to it. */
public final class TestPod implements AutoCloseable {
    public static final String SECRET = "test-secret-test-secret-test-secret-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger POD_IDS = new AtomicInteger();

    private final Herald herald;
    private final TokenIssuer issuer = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8));
    private final HttpClient http1;
    private final HttpClient http2;
    private final String base;

    private TestPod(Herald herald, SSLContext tls) {
        this.herald = herald;
        HttpClient.Builder h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        HttpClient.Builder h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            h1.sslContext(tls);
            h2.sslContext(tls);
        }
        this.http1 = h1.build();
        this.http2 = h2.build();
        this.base = (tls == null ? "http://127.0.0.1:" : "https://localhost:") + herald.port();
    }

    /** Dev mode on, the test secret, port 0; {@code overrides} are config keys such as {@code herald.sse.heartbeat}. */
    public static TestPod start(Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>();
        config.put("server.port", "0");
        config.put("server.host", "127.0.0.1");
        config.put("herald.auth.dev-mode", "true");
        config.put("herald.auth.jwt.secret", SECRET);
        config.put("herald.pod-id", "pod-" + POD_IDS.incrementAndGet());
        // load-shaped tests publish fast; the rate-limit tests set the real budgets themselves
        config.put("herald.rate.channel.per-second", "100000");
        config.put("herald.rate.channel.burst", "100000");
        config.put("herald.rate.chat.per-second", "100000");
        config.put("herald.rate.chat.burst", "100000");
        config.putAll(overrides);
        SSLContext tls = null;
        if (config.containsKey("herald.tls.keystore")) {
            try {
                tls = TestTls.trusting(Path.of(config.get("herald.tls.keystore")));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return new TestPod(Herald.build(HeraldConfig.withOverrides(config)).start(), tls);
    }

    public static TestPod start() {
        return start(Map.of());
    }

    public Herald herald() {
        return herald;
    }

    public int port() {
        return herald.port();
    }

    public URI uri(String pathAndQuery) {
        return URI.create(base + pathAndQuery);
    }

    public HttpClient client(HttpClient.Version version) {
        return version == HttpClient.Version.HTTP_2 ? http2 : http1;
    }

    public String token(String userId) {
        return issuer.issue(userId, userId.substring(0, 1).toUpperCase(Locale.ROOT) + userId.substring(1), List.of(),
                            Duration.ofMinutes(10));
    }

    /** A user token with this {@code iat}, valid for ten minutes from then. */
    public String token(String userId, java.time.Instant issuedAt) {
        return issuer.issue(userId, userId, List.of(), issuedAt, Duration.ofMinutes(10));
    }

    public String serviceToken() {
        return issuer.issue("backend", "Backend", List.of("service"), Duration.ofMinutes(10));
    }

    /** Opens a stream for the user on the channels (query already encoded by the caller if needed). */
    public SseClient subscribe(HttpClient.Version version, String token, String... channels) {
        return SseClient.open(client(version), uri(eventsPath(channels)), Map.of("Authorization", "Bearer " + token));
    }

    public static String eventsPath(String... channels) {
        StringBuilder path = new StringBuilder("/api/events?");
        for (int i = 0; i < channels.length; i++) {
            path.append(i == 0 ? "" : "&").append("channel=").append(channels[i]);
        }
        return path.toString();
    }

    public HttpResponse<String> post(HttpClient.Version version, String path, String token, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(version, request.build());
    }

    public HttpResponse<String> get(HttpClient.Version version, String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(version, request.build());
    }

    public HttpResponse<String> send(HttpClient.Version version, HttpRequest request) {
        try {
            return client(version).send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Publishes a chat message as the user and checks the 204. */
    public void chat(String token, String channel, String content) {
        HttpResponse<String> res = post(HttpClient.Version.HTTP_1_1, "/api/chat/messages", token,
                                        "{\"channel\":\"" + channel + "\",\"content\":\"" + content + "\"}");
        if (res.statusCode() != 204) {
            throw new AssertionError("chat failed: " + res.statusCode() + " " + res.body());
        }
    }

    /** Publishes an event as a service and returns its id. */
    public long publish(String channel, String type, String extraJsonFields) {
        String body = "{\"channel\":\"" + channel + "\",\"type\":\"" + type + "\""
                      + (extraJsonFields.isEmpty() ? "" : "," + extraJsonFields) + "}";
        HttpResponse<String> res = post(HttpClient.Version.HTTP_1_1, "/api/publish", serviceToken(), body);
        if (res.statusCode() != 202) {
            throw new AssertionError("publish failed: " + res.statusCode() + " " + res.body());
        }
        return json(res.body()).get("id").asLong();
    }

    /** The value of one sample of this pod's metrics in the Prometheus text, or NaN when absent. */
    public double metric(String name, String labelFragment) {
        String podLabel = "pod=\"" + herald.podId() + "\"";
        String text = get(HttpClient.Version.HTTP_1_1, "/observe/metrics", null).body();
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(text);
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            if (labels.contains(podLabel) && (labelFragment == null || labels.contains(labelFragment))) {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    @Override
    public void close() {
        herald.stop();
    }
}
