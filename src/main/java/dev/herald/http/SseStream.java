package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.Broker;
import dev.herald.hub.Cursor;
import dev.herald.hub.Event;
import dev.herald.hub.EventJson;
import dev.herald.hub.EventTrace;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.Resume;
import dev.herald.hub.Subscription;
import dev.herald.jobs.Job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.http2.Http2Exception;
import io.helidon.webserver.ServerConnectionException;

/**
 * Writes one subscription to its client: a {@code retry:} hint and the starting cursor, the replay of what the
 * client missed, then live events, each batch of queued events before one flush, with a {@code : ping} comment
 * when idle. What to write and what to skip is {@link Resume}'s decision; this class frames and flushes.
 * Runs entirely on the connection's own virtual thread; every field is confined to it.
 */
final class SseStream {
    private static final Logger LOG = Logger.getLogger(SseStream.class.getName());
    private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GENERATION_TYPE = ",\"type\":\"generation_".getBytes(StandardCharsets.US_ASCII);

    private final Subscription subscription;
    private final Broker broker;
    private final HubMetrics metrics;
    private final List<String> channels;
    private final Resume resume;
    private final long maxReplayBytes;
    /** {@code id: <epoch>_<fingerprint>_}: the head of every id line (a new epoch changes it). */
    private byte[] idPrefix;
    /** With a broker of per-channel epochs ({@link Broker#epochPerChannel}), each channel's, in channel order. */
    private final String[] epochs;
    /** The replay, framed during {@link #prepare}, written first by {@link #run}. */
    private FrameBuffer replayed = new FrameBuffer(0);
    private int replayedEvents;
    /** The user channel whose jobs' states were written first ({@link #jobStates}), or null. */
    private String jobsChannel;
    /** Job id → the version its {@code job_state} showed, until a later event of the job passes it; null when none. */
    private Map<String, Long> jobVersions;
    /** The running jobs' ids for the {@code ready} event, or null when the stream did not ask for jobs. */
    private List<String> runningJobs;

    /**
     * @param starts where each channel of the subscription starts ({@link Resume#starts})
     */
    SseStream(Subscription subscription, Broker broker, HubMetrics metrics, List<Resume.Start> starts) {
        this(subscription, broker, metrics, starts, Long.MAX_VALUE);
    }

    /**
     * @param maxReplayBytes the most event data the stream replays on opening; a channel beyond it resyncs instead
     *                       ({@code herald.sse.max-replay-bytes})
     */
    SseStream(Subscription subscription, Broker broker, HubMetrics metrics, List<Resume.Start> starts,
              long maxReplayBytes) {
        this.maxReplayBytes = maxReplayBytes;
        this.subscription = subscription;
        this.broker = broker;
        this.metrics = metrics;
        this.channels = subscription.channels();
        this.resume = new Resume(channels, starts);
        this.epochs = broker.epochPerChannel() ? channels.stream().map(broker::epoch).toArray(String[]::new) : null;
        this.idPrefix = idPrefix(epochs == null ? broker.epoch() : Cursor.combine(List.of(epochs)));
    }

    /**
     * Reads what the client missed and settles where each channel starts. Must be called after the subscription
     * was registered with the hub, so that the replay and the live queue overlap rather than leave a gap.
     */
    void prepare() {
        FrameBuffer frames = new FrameBuffer(256);
        for (Resume.Frame frame : resume.plan(broker, maxReplayBytes)) {
            switch (frame) {
                case Resume.Resync resync -> putFrame(frames, resync(resync));
                case Resume.Missed missed -> {
                    if (!resume.accept(missed.event())) {
                        continue;
                    }
                    putFrame(frames, missed.event().data());
                }
            }
            replayedEvents++;
        }
        replayed = frames;
    }

    /**
     * After {@link #prepare}: one {@code job_state} per running job of the user, written after the replay and before
     * live events. The states were read after the subscription was registered, so every later transition's event is
     * in the queue; a queued event of a job no newer than its state is not written (its version is not above).
     */
    void jobStates(String userChannel, List<Job> running) {
        jobsChannel = userChannel;
        runningJobs = new ArrayList<>(running.size());
        jobVersions = new HashMap<>();
        for (Job job : running) {
            runningJobs.add(job.jobId());
            jobVersions.put(job.jobId(), job.version());
            ObjectNode body = EventJson.body("job_state", userChannel);
            putFrame(replayed, EventJson.bytes(job.putFields(body)));
            replayedEvents++;
        }
        if (jobVersions.isEmpty()) {
            jobVersions = null;
        }
    }

    /**
     * A job's live event that its {@code job_state} already covered (the state read saw it): a {@code generation_*}
     * event of the store (it has a {@code version}) no newer than the state. Any other event naming the job passes.
     */
    private boolean coveredByJobState(Event event) {
        if (jobVersions == null || !event.channel().equals(jobsChannel) || !generationEvent(event.data())) {
            return false;
        }
        JsonNode node;
        try {
            node = EventJson.MAPPER.readTree(event.data());
        } catch (IOException e) {
            return false;
        }
        Long shown = jobVersions.get(node.path("jobId").asText(""));
        JsonNode version = node.path("version");
        if (shown == null || !version.isIntegralNumber()) {
            return false;
        }
        if (version.asLong() <= shown) {
            return true;
        }
        // later events of this job are all newer
        jobVersions.remove(node.path("jobId").asText(""));
        if (jobVersions.isEmpty()) {
            jobVersions = null;
        }
        return false;
    }

    /** Whether the event's type starts with {@code generation_}: its JSON opens with the id, then the type. */
    private static boolean generationEvent(byte[] data) {
        int at = 0;
        while (at < data.length && data[at] != ',') {
            at++;
        }
        return startsWith(data, at, GENERATION_TYPE);
    }

    private static boolean startsWith(byte[] data, int from, byte[] prefix) {
        if (data.length - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where a stream's frames go: a batch is built in a {@link FrameBuffer} from {@link #frames} and written and
     * flushed at once by {@link #send}. Confined to the stream's thread.
     */
    interface Out {
        FrameBuffer frames(int capacity);

        void send(FrameBuffer frames) throws IOException;

        /** A response's output stream (Helidon frames it: chunked on HTTP/1.1, DATA frames on HTTP/2). */
        static Out of(OutputStream out) {
            return new Out() {
                @Override
                public FrameBuffer frames(int capacity) {
                    return new FrameBuffer(capacity);
                }

                @Override
                public void send(FrameBuffer frames) throws IOException {
                    frames.writeTo(out);
                    out.flush();
                }
            };
        }
    }

    /** Streams until the client goes away or the subscription ends; {@link #prepare} first. */
    void run(Out out, BooleanSupplier clientGone, boolean ready, long retryMillis, long shutdownRetryMillis) {
        try {
            // after the replay: the client's last event id now covers every channel, even those without events;
            // clients that cannot see an id without data (herald.js reconnecting by itself) ask for a ready event
            FrameBuffer first = out.frames(replayed.size() + idPrefix.length + 16 * channels.size() + 128);
            first.put(("retry: " + retryMillis + "\n\n").getBytes(StandardCharsets.US_ASCII));
            first.put(replayed);
            replayed = null;
            if (ready) {
                putFrame(first, readyEvent());
            } else {
                first.put(idPrefix);
                putPositions(first);
                first.put(END);
            }
            out.send(first);
            metrics.eventsSent(replayedEvents);
            loop(out, clientGone);
            if (subscription.end() == Subscription.End.TOKEN_EXPIRED) {
                FrameBuffer last = out.frames(idPrefix.length + 16 * channels.size() + 128);
                putFrame(last, tokenExpiredEvent());
                out.send(last);
                metrics.eventsSent(1);
            } else if (subscription.end() == Subscription.End.DISCONNECTED) {
                FrameBuffer last = out.frames(idPrefix.length + 16 * channels.size() + 160);
                putFrame(last, disconnectEvent());
                out.send(last);
                metrics.eventsSent(1);
            } else if (subscription.end() == Subscription.End.SHUTDOWN) {
                long jittered = shutdownRetryMillis / 2 + ThreadLocalRandom.current().nextLong(shutdownRetryMillis + 1);
                FrameBuffer last = out.frames(32);
                last.put(("retry: " + jittered + "\n\n").getBytes(StandardCharsets.US_ASCII));
                out.send(last);
            }
        } catch (IOException | UncheckedIOException | ServerConnectionException e) {
            // the client went away (or, on HTTP/1.1, a slow consumer's socket was closed under its writer)
            LOG.finest(() -> "Client of " + subscription + " gone: " + e);
        } catch (Http2Exception e) {
            // the client stopped reading this HTTP/2 stream (its flow-control window stayed shut) or broke the
            // protocol: the stream is unusable; the client resumes with its cursor
            LOG.fine(() -> "HTTP/2 stream of " + subscription + " ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Stream of " + subscription + " failed", e);
        }
    }

    private void loop(Out out, BooleanSupplier clientGone) throws IOException, InterruptedException {
        List<Event> batch = new ArrayList<>();
        while (true) {
            batch.clear();
            boolean open = subscription.queue().drainTo(batch);
            if (subscription.end() == Subscription.End.SLOW_CONSUMER || !open || clientGone.getAsBoolean()) {
                return;
            }
            if (batch.isEmpty()) {
                FrameBuffer ping = out.frames(PING.length);
                ping.put(PING);
                out.send(ping);
                subscription.wrote();
                continue;
            }
            int written = 0;
            long oldest = Long.MAX_VALUE;
            List<EventTrace.Write> traced = null;
            FrameBuffer frames = out.frames(estimate(batch));
            for (Event event : batch) {
                switch (event.kind()) {
                    case EVENT -> {
                        if (resume.accept(event) && !coveredByJobState(event)) {
                            if (event.trace() != null) {
                                traced = EventTrace.begin(traced, event.trace());
                            }
                            putFrame(frames, event.data());
                            written++;
                            oldest = Math.min(oldest, event.publishedAt());
                        }
                    }
                    case RESYNC -> {
                        channelEpochChanged(event.channel());
                        Resume.Resync resync = resume.resync(event.channel(), event.id());
                        if (resync != null) {
                            putFrame(frames, resync(resync));
                            written++;
                        }
                    }
                    case HISTORY_LOST -> written += historyLost(frames);
                }
            }
            if (written > 0) {
                try {
                    out.send(frames);
                } finally {
                    EventTrace.end(traced);
                }
                subscription.wrote();
                metrics.eventsSent(written);
                if (oldest != Long.MAX_VALUE) {
                    metrics.deliveryLatency(Math.max(0, System.currentTimeMillis() - oldest));
                }
            }
        }
    }

    /**
     * With per-channel epochs, a channel's resync may come from its epoch changing (its shard lost its data): later
     * cursors carry the new one. Only that channel's is read again; another channel's new epoch is taken with its
     * own resync, never before it (a cursor must not pair a new epoch with a position of the old).
     */
    private void channelEpochChanged(String channel) {
        if (epochs == null) {
            return;
        }
        int i = channels.indexOf(channel);
        if (i >= 0) {
            epochs[i] = broker.epoch(channel);
            idPrefix = idPrefix(Cursor.combine(List.of(epochs)));
        }
    }

    /** The broker's history started over: every channel resyncs and continues from the new epoch's start. */
    private int historyLost(FrameBuffer frames) {
        idPrefix = idPrefix(broker.epoch());
        List<Resume.Resync> resyncs = resume.historyLost();
        for (Resume.Resync resync : resyncs) {
            putFrame(frames, resync(resync));
        }
        return resyncs.size();
    }

    /** {@code {"type":"ready","channels":[…]}}: the stream is live; its id line is the cursor to resume from. */
    private byte[] readyEvent() {
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("type", "ready");
        body.put("timestamp", EventJson.timestamp(java.time.Instant.now()));
        body.putPOJO("channels", channels);
        if (runningJobs != null) {
            body.putPOJO("jobs", runningJobs);
        }
        return EventJson.bytes(body);
    }

    /**
     * {@code {"type":"token_expired","expiredAt":…}}: the last frame of a stream whose token expired. Its id line is
     * the cursor: the client reconnects with a fresh token from there and misses nothing.
     */
    private byte[] tokenExpiredEvent() {
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("type", "token_expired");
        body.put("timestamp", EventJson.timestamp(java.time.Instant.now()));
        body.put("expiredAt", EventJson.timestamp(java.time.Instant.ofEpochMilli(subscription.validUntil())));
        return EventJson.bytes(body);
    }

    /**
     * {@code {"type":"disconnect","reason":…}}: the last frame of a stream a service ended
     * ({@code POST /api/users/{userId}/disconnect}); clients do not reconnect by themselves after it.
     */
    private byte[] disconnectEvent() {
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("type", "disconnect");
        body.put("timestamp", EventJson.timestamp(java.time.Instant.now()));
        body.put("reason", subscription.disconnectReason());
        return EventJson.bytes(body);
    }

    private static byte[] resync(Resume.Resync resync) {
        ObjectNode body = EventJson.body("resync", resync.channel());
        return EventJson.withId(resync.from(), EventJson.bytes(body));
    }

    private byte[] idPrefix(String epoch) {
        return ("id: " + Cursor.prefix(epoch, channels)).getBytes(StandardCharsets.US_ASCII);
    }

    /** One event: its id line (the cursor as of this event), its data line, the blank line. */
    private void putFrame(FrameBuffer frames, byte[] data) {
        frames.put(idPrefix);
        putPositions(frames);
        frames.put(DATA);
        frames.put(data);
        frames.put(END);
    }

    /** Room for a batch: the events' bytes plus their id lines. */
    private int estimate(List<Event> batch) {
        int total = 0;
        for (Event event : batch) {
            total += event.data().length + idPrefix.length + 16 * channels.size() + 10;
        }
        return total;
    }

    /** The cursor after its prefix: when it was written, then the position of every channel. */
    private void putPositions(FrameBuffer frames) {
        frames.putBase36(System.currentTimeMillis() / 1000);
        frames.put((byte) '_');
        for (int i = 0; i < resume.channelCount(); i++) {
            if (i > 0) {
                frames.put((byte) '.');
            }
            frames.putBase36(resume.position(i));
        }
    }
}
