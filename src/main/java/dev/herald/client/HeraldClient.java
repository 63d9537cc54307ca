package dev.herald.client;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Herald's HTTP API for a backend holding a service token: publish, broadcast, disconnect (and revoke) users, channel
 * info, jobs (create, read, and report through a {@link JobWorker}, also with a job's worker token alone). Each
 * publish or broadcast call has one {@code Idempotency-Key} (random unless given) sent on every attempt, so a retry
 * never publishes twice; failures that may pass (503, 429, no answer) are retried with backoff, others
 * throw a {@link HeraldException} at once ({@link #createJob}, which has no key, is retried only when nothing was
 * sent). Thread-safe: share one per server; close it when it made its own
 * {@link HttpClient}. Calls block the calling thread (virtual threads welcome).
 *
 * <pre>{@code
 * try (HeraldClient herald = HeraldClient.builder(URI.create("https://herald.example.com"))
 *         .token(() -> tokens.serviceToken()).build()) {
 *     long id = herald.publish("user:alice", "order_shipped", Map.of("orderId", 1234));
 * }
 * }</pre>
 */
public final class HeraldClient implements AutoCloseable {
    /** An {@code Idempotency-Key} the server takes: 1-255 visible ASCII characters. */
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    /** Body fields the client sets itself; an event's fields may not set them. */
    private static final Set<String> ROUTING_FIELDS = Set.of("channel", "channels", "type");

    private final Calls calls;
    private final HttpClient owned;

    private HeraldClient(Builder builder) {
        // HTTP/2 where TLS negotiates it; plain HTTP/1.1 otherwise (no h2c upgrade dance through proxies)
        this.owned = builder.http == null
                ? HttpClient.newBuilder().connectTimeout(builder.connectTimeout)
                        .version("https".equals(builder.baseUrl.getScheme()) ? HttpClient.Version.HTTP_2
                                                                            : HttpClient.Version.HTTP_1_1)
                        .build()
                : null;
        this.calls = new Calls(builder.baseUrl, builder.http == null ? owned : builder.http, builder.token,
                               builder.requestTimeout, builder.policy, builder.onRetry);
    }

    /** A builder for a client of the server at {@code baseUrl} (e.g. {@code https://herald.example.com}). */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * Publishes an event ({@code POST /api/publish}) and returns its id in the channel.
     *
     * @param fields the event's other fields, written as JSON by Jackson: none named "channel", "channels" or "type"
     *               (the client sets those); the server refuses "id", "timestamp", "userId" and "userName"
     * @throws HeraldException when the server refused it, or it failed after every attempt
     */
    public long publish(String channel, String type, Map<String, ?> fields) {
        return publish(channel, type, fields, newKey());
    }

    /**
     * {@link #publish(String, String, Map)} with your own {@code Idempotency-Key} (1-255 visible ASCII characters),
     * e.g. derived from the business event, so that a retry of your own, later, does not publish it again either.
     */
    public long publish(String channel, String type, Map<String, ?> fields, String idempotencyKey) {
        ObjectNode body = Calls.JSON.createObjectNode();
        body.put("channel", Objects.requireNonNull(channel, "channel"));
        body.put("type", Objects.requireNonNull(type, "type"));
        putFields(body, fields);
        Calls.Answer answer = calls.send("POST", "/api/publish", body, checkKey(idempotencyKey), a -> null);
        return answer.body().path("id").asLong();
    }

    /**
     * Publishes the same event to several channels ({@code POST /api/broadcast}), each a publish of its own. A
     * channel that failed for a passing reason (503, or 429 when retried) is tried again with the same key: the
     * server then publishes only the channels that failed and answers the others' first ids. What still failed after
     * the last attempt is in {@link BroadcastResult#errors()}.
     *
     * @throws HeraldException when the broadcast was refused as a whole (400, 403, 413), or every channel for one
     *                         reason (e.g. 503 after every attempt)
     */
    public BroadcastResult broadcast(Collection<String> channels, String type, Map<String, ?> fields) {
        return broadcast(channels, type, fields, newKey());
    }

    /** {@link #broadcast(Collection, String, Map)} with your own {@code Idempotency-Key}. */
    public BroadcastResult broadcast(Collection<String> channels, String type, Map<String, ?> fields,
                                     String idempotencyKey) {
        ObjectNode body = Calls.JSON.createObjectNode();
        ArrayNode names = body.putArray("channels");
        Objects.requireNonNull(channels, "channels").forEach(names::add);
        body.put("type", Objects.requireNonNull(type, "type"));
        putFields(body, fields);
        Calls.Answer answer = calls.send("POST", "/api/broadcast", body, checkKey(idempotencyKey),
                                         this::retryableChannelError);
        return broadcastResult(answer.body());
    }

    /**
     * Ends every open stream of the user on every pod, each with a last {@code disconnect} event
     * ({@code POST /api/users/{userId}/disconnect}). Idempotent, so retried like a publish.
     *
     * @param reason {@code [a-z0-9_.-]{1,64}}, or null for the server's default ({@code disconnected})
     * @param revokeTokensIssuedBefore when not null, the user's tokens issued before it (whole seconds) are refused
     *                                 from then on, on every pod ({@code 401 revoked}); at most 5 minutes ahead
     * @throws HeraldException 503 {@code broker_unavailable} after the last attempt: this pod's streams are ended and
     *                         its revocation holds, but the other pods were not told; call again
     */
    public DisconnectResult disconnect(String userId, String reason, Instant revokeTokensIssuedBefore) {
        return disconnect(userId, reason, revokeTokensIssuedBefore == null ? null
                                                  : revokeTokensIssuedBefore.toString());
    }

    /** {@link #disconnect(String, String, Instant)} without revoking tokens. */
    public DisconnectResult disconnect(String userId, String reason) {
        return disconnect(userId, reason, (String) null);
    }

    /**
     * {@link #disconnect(String, String, Instant)} revoking every token issued before now, by the server's clock
     * ({@code "now"}); a retry moves the instant only later. Mint the user's next token after this returns.
     */
    public DisconnectResult disconnectAndRevokeNow(String userId, String reason) {
        return disconnect(userId, reason, "now");
    }

    private DisconnectResult disconnect(String userId, String reason, String revokeBefore) {
        ObjectNode body = Calls.JSON.createObjectNode();
        if (reason != null) {
            body.put("reason", reason);
        }
        if (revokeBefore != null) {
            body.put("revokeTokensIssuedBefore", revokeBefore);
        }
        String path = "/api/users/" + pathSegment(Objects.requireNonNull(userId, "userId")) + "/disconnect";
        JsonNode answer = calls.send("POST", path, body, null, a -> null).body();
        JsonNode revoked = answer.path("revokedBefore");
        return new DisconnectResult(answer.path("userId").asText(), answer.path("reason").asText(),
                                    answer.path("endedOnThisPod").asInt(),
                                    revoked.isTextual() ? Optional.of(Instant.parse(revoked.asText()))
                                                        : Optional.empty());
    }

    /** What the server knows of one channel: streams, users, last id, history ({@code GET /api/channels/{channel}}). */
    public ChannelInfo channel(String channel) {
        JsonNode info = calls.send("GET", "/api/channels/" + pathSegment(Objects.requireNonNull(channel, "channel")),
                                   null, null, a -> null).body();
        JsonNode history = info.path("history");
        return new ChannelInfo(info.path("channel").asText(), info.path("subscribers").asInt(),
                               info.path("users").isNumber() ? OptionalInt.of(info.path("users").asInt())
                                                             : OptionalInt.empty(),
                               info.path("lastId").asLong(), history.path("size").asInt(),
                               history.path("oldestId").isNumber() ? OptionalLong.of(history.path("oldestId").asLong())
                                                                   : OptionalLong.empty());
    }

    /**
     * One page of the active channels in name order ({@code GET /api/channels}).
     *
     * @param prefix only names that start with it; null or empty for all
     * @param limit 1 to 1000 channels
     * @param cursor null for the first page, then the previous page's {@link ChannelPage#next()}
     */
    public ChannelPage channels(String prefix, int limit, String cursor) {
        StringBuilder path = new StringBuilder("/api/channels?limit=").append(limit);
        if (prefix != null && !prefix.isEmpty()) {
            path.append("&prefix=").append(URLEncoder.encode(prefix, StandardCharsets.UTF_8));
        }
        if (cursor != null) {
            path.append("&cursor=").append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        }
        JsonNode page = calls.send("GET", path.toString(), null, null, a -> null).body();
        List<ChannelPage.Entry> entries = new ArrayList<>();
        for (JsonNode entry : page.path("channels")) {
            entries.add(new ChannelPage.Entry(entry.path("channel").asText(), entry.path("subscribers").asInt()));
        }
        JsonNode next = page.path("next");
        return new ChannelPage(entries, next.isTextual() ? Optional.of(next.asText()) : Optional.empty());
    }

    /**
     * Creates a running job for the user ({@code POST /api/jobs}): {@code generation_started} goes to
     * {@code user:<userId>}; each later report by its worker goes there too. Not idempotent (the server takes no
     * key, and the worker token is shown only once), so it is retried only when nothing was sent (the connection was
     * refused or timed out): a lost answer, a timeout once sent, or any error answer (503 included) throws at once.
     * Such a failure ({@code timeout}, {@code unreachable}, 502-504) may have created the job all the same: it then
     * has no worker and is failed with {@code worker_lost} when its lease runs out; list the user's running jobs
     * ({@link #jobs}) before creating it again if a duplicate would matter.
     *
     * @param lease how long the job lives without a report (whole seconds, 1 s to 1 h), or null for the server's
     *              60 s
     * @param meta  a JSON object every event of the job carries (at most 2 KiB), written by Jackson; or null
     * @throws HeraldException {@code too_many_jobs} (429: 100 running jobs for the user), {@code bad_request},
     *                         {@code payload_too_large} (meta), {@code forbidden} (not a service token),
     *                         {@code broker_unavailable}
     */
    public CreatedJob createJob(String userId, String kind, Duration lease, Map<String, ?> meta) {
        ObjectNode body = Calls.JSON.createObjectNode();
        body.put("userId", Objects.requireNonNull(userId, "userId"));
        body.put("kind", Objects.requireNonNull(kind, "kind"));
        if (lease != null) {
            if (lease.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("a lease is whole seconds: " + lease);
            }
            body.put("leaseSeconds", lease.toSeconds());
        }
        if (meta != null) {
            body.set("meta", Calls.JSON.valueToTree(meta));
        }
        JsonNode answer = calls.sendOnce("POST", "/api/jobs", body).body();
        return new CreatedJob(Job.fromJson(answer.path("job")), answer.path("workerToken").asText());
    }

    /**
     * A job's state ({@code GET /api/jobs/{jobId}}).
     *
     * @throws HeraldException {@code not_found} (404: unknown, or finished more than the retention ago)
     */
    public Job job(String jobId) {
        String path = "/api/jobs/" + pathSegment(Objects.requireNonNull(jobId, "jobId"));
        return Job.fromJson(calls.send("GET", path, null, null, a -> null).body());
    }

    /**
     * The user's jobs, newest first, at most 100 ({@code GET /api/jobs?userId=…}).
     *
     * @param status only jobs in it, or null for all
     */
    public List<Job> jobs(String userId, Job.Status status) {
        StringBuilder path = new StringBuilder("/api/jobs?userId=")
                .append(URLEncoder.encode(Objects.requireNonNull(userId, "userId"), StandardCharsets.UTF_8));
        if (status != null) {
            path.append("&status=").append(status.wire());
        }
        List<Job> jobs = new ArrayList<>();
        for (JsonNode job : calls.send("GET", path.toString(), null, null, a -> null).body().path("jobs")) {
            jobs.add(Job.fromJson(job));
        }
        return List.copyOf(jobs);
    }

    /**
     * Reports on one job with its worker token (from {@link CreatedJob#workerToken()}), over this client's
     * {@link HttpClient} and retry policy; the client's own token is not sent. A worker process that holds only the
     * worker token builds a client without one: {@code HeraldClient.builder(url).build().worker(jobId, token)}.
     */
    public JobWorker worker(String jobId, String workerToken) {
        return new JobWorker(calls.withToken(Objects.requireNonNull(workerToken, "workerToken")), jobId);
    }

    /** Reports on one job with this client's service token (e.g. a backend failing the job of a worker it lost). */
    public JobWorker worker(String jobId) {
        return new JobWorker(calls, jobId);
    }

    /** Closes the {@link HttpClient} this client made; one given to the builder is left open. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    /** A 207's first per-channel error worth a retry, or null when none is (the answer is final). */
    private String retryableChannelError(Calls.Answer answer) {
        for (JsonNode error : answer.body().path("errors")) {
            String code = error.path("error").asText();
            if (calls.policy().retryable(code)) {
                return code;
            }
        }
        return null;
    }

    private static BroadcastResult broadcastResult(JsonNode body) {
        Map<String, Long> ids = new LinkedHashMap<>();
        body.path("ids").properties().forEach(e -> ids.put(e.getKey(), e.getValue().asLong()));
        Map<String, BroadcastResult.ChannelError> errors = new LinkedHashMap<>();
        body.path("errors").properties().forEach(e -> errors.put(e.getKey(), new BroadcastResult.ChannelError(
                e.getValue().path("error").asText(), e.getValue().path("message").asText())));
        return new BroadcastResult(ids, errors);
    }

    private static void putFields(ObjectNode body, Map<String, ?> fields) {
        for (Map.Entry<String, ?> field : Objects.requireNonNull(fields, "fields").entrySet()) {
            if (ROUTING_FIELDS.contains(field.getKey())) {
                throw new IllegalArgumentException("'" + field.getKey() + "' is set by the client, not a field");
            }
            body.set(field.getKey(), Calls.JSON.valueToTree(field.getValue()));
        }
    }

    private static String checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("an Idempotency-Key is 1-255 visible ASCII characters: " + key);
        }
        return key;
    }

    private static String newKey() {
        return UUID.randomUUID().toString();
    }

    /** A path segment, percent-encoded but for the characters a channel name or user id commonly holds. */
    static String pathSegment(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (plain || "-._~:@".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** Settings of a {@link HeraldClient}; not thread-safe, build once. */
    public static final class Builder {
        private final URI baseUrl;
        private Supplier<String> token = () -> null;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private RetryPolicy policy = RetryPolicy.DEFAULT;
        private Consumer<RetryEvent> onRetry = e -> { };
        private HttpClient http;

        private Builder(URI baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme())) {
                throw new IllegalArgumentException("the base URL must be http or https: " + baseUrl);
            }
            this.baseUrl = baseUrl;
        }

        /** A fixed service token (a JWT with the {@code service} role). */
        public Builder token(String token) {
            Objects.requireNonNull(token, "token");
            this.token = () -> token;
            return this;
        }

        /** Where each attempt takes its service token from (called per attempt, so a renewed token is picked up). */
        public Builder token(Supplier<String> token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /** How long one attempt may wait for its answer (default 10 s); past it, it fails as {@code timeout}. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** How long opening a connection may take (default 5 s); only for the HttpClient the client makes itself. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Attempts in all (default 3; 1 never retries) and the wait before the first retry (default 200 ms), doubled
         * each time up to {@code maxBackoff} (default 2 s), a random half taken off; a {@code Retry-After} is
         * waited for, up to {@code maxBackoff}.
         */
        public Builder retries(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
            this.policy = new RetryPolicy(maxAttempts, firstBackoff, maxBackoff, policy.retryRateLimited());
            return this;
        }

        /** Whether 429 {@code rate_limited} is retried after its {@code Retry-After} (default true). */
        public Builder retryRateLimited(boolean retry) {
            this.policy = new RetryPolicy(policy.maxAttempts(), policy.firstBackoff(), policy.maxBackoff(), retry);
            return this;
        }

        /** Told before each retry's wait, on the calling thread (for logs and metrics; must not block). */
        public Builder onRetry(Consumer<RetryEvent> listener) {
            this.onRetry = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Uses this HttpClient (TLS, proxy, executor of your own); {@link HeraldClient#close()} leaves it open. */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The client. */
        public HeraldClient build() {
            return new HeraldClient(this);
        }
    }
}
