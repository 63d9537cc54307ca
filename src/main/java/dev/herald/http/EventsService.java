package dev.herald.http;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import dev.herald.Settings;
import dev.herald.auth.AuthException;
import dev.herald.auth.ChannelPolicy;
import dev.herald.auth.Principal;
import dev.herald.hub.ChannelName;
import dev.herald.hub.ConnectionLimits;
import dev.herald.hub.Hub;
import dev.herald.hub.PresenceTracker;
import dev.herald.hub.Resume;
import dev.herald.hub.Subscription;
import dev.herald.jobs.JobStore;
import dev.herald.metrics.HeraldMetrics;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /api/events}: one SSE stream for up to {@code herald.sse.max-channels} channels. */
public final class EventsService implements HttpService {
    private static final String RETRY_AFTER_SECONDS = "5";
    /** How long a refused connect waits for probed streams to give back a slot before it answers 429 or 503. */
    private static final Duration PATIENCE = Duration.ofMillis(1500);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(50);
    private static final Duration MAX_PAUSE = Duration.ofMillis(400);
    /** The share of the pod's cap from which its idle streams are probed before each connect (at most once a second). */
    private static final double NEARLY_FULL = 0.9;
    static final HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

    private final Hub hub;
    private final PresenceTracker presence;
    private final ConnectionLimits limits;
    private final HeraldMetrics metrics;
    private final Settings.Sse settings;
    private final BooleanSupplier draining;
    private final JobStore jobs;

    /**
     * @param jobs the jobs whose states a stream opened with {@code ?jobs} starts with
     */
    public EventsService(Hub hub, PresenceTracker presence, ConnectionLimits limits, HeraldMetrics metrics,
                         Settings.Sse settings, BooleanSupplier draining, JobStore jobs) {
        this.jobs = jobs;
        this.hub = hub;
        this.presence = presence;
        this.limits = limits;
        this.metrics = metrics;
        this.settings = settings;
        this.draining = draining;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::stream);
    }

    /**
     * The protocol side of one stream: HTTP/2 or HTTP/1.1 through Helidon's routing, or HTTP/1.1 served directly
     * ({@link DirectStreams}). Confined to the stream's thread.
     */
    interface Exchange {
        /** HTTP/1.x: a slow consumer's blocked write is ended by interrupting the writer. */
        boolean http1();

        /** Sends the 200 head with the event-stream headers; from then on frames go to the returned {@link SseStream.Out}. */
        SseStream.Out start() throws IOException;

        /** Whether the client is known to have left without a failed write (an HTTP/2 stream it reset). */
        BooleanSupplier clientGone();
    }

    private void stream(ServerRequest req, ServerResponse res) throws Exception {
        serve(req, res, AuthFilter.principal(req), req.query().all("channel", List::of));
    }

    /** One stream through Helidon's routing, for these channels (as requested, checked here) and this principal. */
    void serve(ServerRequest req, ServerResponse res, Principal principal, List<String> requested) throws IOException {
        String cursor = req.headers().first(LAST_EVENT_ID)
                .or(() -> req.query().first("lastEventId").asOptional())
                .orElse(null);
        open(principal, requested, cursor, req.query().contains("ready"), req.query().contains("jobs"),
             new Exchange() {
                 @Override
                 public boolean http1() {
                     return req.prologue().protocolVersion().startsWith("1");
                 }

                 @Override
                 public SseStream.Out start() {
                     res.status(Status.OK_200);
                     res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, CONTENT_TYPE));
                     res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                     res.header("X-Accel-Buffering", "no");
                     return SseStream.Out.of(res.outputStream());
                 }

                 @Override
                 public BooleanSupplier clientGone() {
                     return ClosedStreamProbe.of(res);
                 }
             });
    }

    /**
     * Opens and serves one stream until it ends; throws {@link ApiException} (or a broker failure) before anything
     * was sent when the stream cannot open.
     *
     * @param requested the {@code channel} parameters as sent
     * @param cursor    {@code Last-Event-ID} (the browser's own reconnect) or {@code lastEventId}; null for none
     * @param withJobs  {@code ?jobs}: the stream starts with the state of each running job of the user
     */
    void open(Principal principal, List<String> requested, String cursor, boolean ready, boolean withJobs,
              Exchange exchange) throws IOException {
        List<String> channels = channels(requested, principal);
        String jobsChannel = withJobs ? jobsChannel(principal, channels) : null;
        List<Resume.Start> starts = starts(cursor, channels);
        if (draining.getAsBoolean()) {
            metrics.connectionRejected("shutting_down");
            throw unavailable("this pod is shutting down; connect to another");
        }
        ConnectionLimits.Slot slot = slot(principal.userId());
        ConnectionLimits.Outcome outcome = slot.outcome();
        if (outcome == ConnectionLimits.Outcome.POD_FULL) {
            metrics.connectionRejected("pod_full");
            throw unavailable("this pod is at its connection limit");
        }
        if (outcome == ConnectionLimits.Outcome.USER_FULL) {
            metrics.connectionRejected("user_full");
            throw new ApiException(Status.TOO_MANY_REQUESTS_429, "too_many_connections",
                                   "at most " + settings.maxConnectionsPerUser() + " open streams per user, on all pods",
                                   Map.of("Retry-After", RETRY_AFTER_SECONDS));
        }
        try {
            Subscription subscription = new Subscription(channels, principal.userId(), settings.queueCapacity(),
                                                             principal.validUntil());
            hub.register(subscription);
            try {
                // registered first: a revocation applied from now on ends it (Hub#revoke), one applied before is seen
                AuthFilter.checkNotRevoked(hub.revocations(), principal);
            } catch (AuthException e) {
                hub.unregister(subscription);
                throw e;
            }
            try {
                if (exchange.http1()) {
                    subscription.abortWritesOnEnd(Thread.currentThread());
                }
                SseStream stream = new SseStream(subscription, hub.broker(), metrics, starts,
                                                 settings.maxReplayBytes());
                stream.prepare();
                if (jobsChannel != null) {
                    // after the registration and the replay: the states are at least as new as both
                    stream.jobStates(jobsChannel, jobs.running(principal.userId()));
                }
                if (!principal.service()) {
                    presence.joined(channels, principal.userId(), principal.userName());
                }
                stream.run(exchange.start(), exchange.clientGone(), ready, settings.retry().toMillis(),
                           settings.retry().toMillis());
            } finally {
                // a slow-consumer interrupt must not leak into the server's handling of this connection
                subscription.abortWritesOnEnd(null);
                Thread.interrupted();
                hub.unregister(subscription);
                if (!principal.service()) {
                    presence.left(channels, principal.userId(), principal.userName());
                }
            }
        } finally {
            limits.release(slot);
        }
    }

    /**
     * A connection slot for the user. When the pod nears its cap, its idle streams are probed first. When a cap
     * refuses, the streams that could be holding it are made to write (the user's, on every pod, or this pod's idle
     * ones; some may belong to clients that left without a word: in HTTP that is noticed only when a write fails),
     * and the slot is tried again, with growing pauses, for up to {@link #PATIENCE}: a page reloaded many times in
     * a row gets its stream instead of 429.
     */
    private ConnectionLimits.Slot slot(String userId) {
        if (limits.open() >= settings.maxConnections() * NEARLY_FULL) {
            hub.probeIdle();
        }
        ConnectionLimits.Slot slot = limits.acquire(userId);
        if (slot.outcome() == ConnectionLimits.Outcome.USER_FULL) {
            hub.probeUser(userId);
            hub.broker().probeUserElsewhere(userId);
        }
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        long pause = FIRST_PAUSE.toNanos();
        while (slot.outcome() != ConnectionLimits.Outcome.ACQUIRED && System.nanoTime() < deadline
               && !Thread.currentThread().isInterrupted()) {
            if (slot.outcome() == ConnectionLimits.Outcome.POD_FULL) {
                hub.probeIdle();
            }
            LockSupport.parkNanos(Math.min(pause, deadline - System.nanoTime()));
            pause = Math.min(pause * 2, MAX_PAUSE.toNanos());
            slot = limits.acquire(userId);
        }
        return slot;
    }

    /** The requested channels, validated, authorized, distinct and sorted. */
    private List<String> channels(List<String> requested, Principal principal) {
        if (requested.isEmpty()) {
            throw ApiException.badRequest("at least one 'channel' query parameter is required");
        }
        if (requested.size() > settings.maxChannels()) {
            throw ApiException.badRequest("at most " + settings.maxChannels() + " channels per stream");
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String channel : requested) {
            if (!ChannelName.isValid(channel)) {
                throw ApiException.badRequest("invalid channel name; expected user:<id> or channel:<id>, "
                                              + "id of 1-128 characters A-Z a-z 0-9 . _ ~ @ -");
            }
            if (!ChannelPolicy.allows(principal, channel)) {
                throw ApiException.forbidden("not allowed to subscribe to " + channel);
            }
            sorted.add(channel);
        }
        return List.copyOf(sorted);
    }

    /** The user's own channel, which a stream with {@code ?jobs} must hold: job events travel on it. */
    private static String jobsChannel(Principal principal, List<String> channels) {
        String own = ChannelName.user(principal.userId());
        if (principal.service() || !channels.contains(own)) {
            throw ApiException.badRequest("'jobs' needs the stream of a user with their own channel " + own
                                          + " among its channels");
        }
        return own;
    }

    /** Where each channel starts, from the client's cursor (null: none). */
    private List<Resume.Start> starts(String text, List<String> channels) {
        try {
            long honouredSince = System.currentTimeMillis() / 1000 - hub.broker().cursorTtl().toSeconds();
            // a per-channel epoch may cost a read per channel: only a cursor needs it
            String epoch = text == null ? "" : hub.broker().epoch(channels);
            return Resume.starts(text, epoch, channels, honouredSince);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Status.BAD_REQUEST_400, "bad_cursor", e.getMessage()
                    + "; reconnect without a cursor, or with one from a stream of the same channels");
        }
    }

    private static ApiException unavailable(String message) {
        return new ApiException(Status.SERVICE_UNAVAILABLE_503, "unavailable", message,
                                Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }
}
