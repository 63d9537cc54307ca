package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

import dev.herald.hub.Event;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.LocalBroker;
import dev.herald.hub.Resume;
import dev.herald.hub.Subscription;

/**
 * Runs a stream's delivery path through all its branches before the pod takes traffic: writers parked and woken
 * with events, with heartbeats and with both, then ended. Without it the JIT compiles the writer's loop during the
 * first connect storm, when every writer has only ever parked, and leaves the wake-up path out of the compiled code;
 * the first event then deoptimizes every parked writer, one by one (docs/benchmarks.md, "One event to all").
 * In memory only: a broker of its own, no socket, no metrics. Confined to the calling thread and the writers it
 * starts and joins.
 */
public final class StreamWarmup {
    private static final Logger LOG = Logger.getLogger(StreamWarmup.class.getName());
    private static final String CHANNEL = "channel:herald-warmup";
    private static final byte[] DATA = "{\"type\":\"warmup\",\"n\":0}".getBytes(StandardCharsets.US_ASCII);

    /**
     * Metrics that count nothing, of three classes: the writer's calls to its metrics are then compiled as calls
     * (more than two classes seen), not as a guess at the warm-up's class that the pod's own meters would trap.
     */
    private static final HubMetrics[] QUIET = {
        new HubMetrics.None(), new HubMetrics.None() { }, new HubMetrics.None() { },
    };

    private StreamWarmup() {
    }

    /**
     * Runs the warm-up and waits for its writers to end.
     *
     * @param streams writers run at once
     * @param rounds  wake-ups of each: events, heartbeats, both
     * @return how many frames the writers built
     */
    public static long run(int streams, int rounds) throws InterruptedException {
        long start = System.nanoTime();
        LocalBroker broker = new LocalBroker(16, Duration.ofMinutes(1));
        Counted out = new Counted();
        List<Subscription> subscriptions = new ArrayList<>(streams);
        List<Thread> writers = new ArrayList<>(streams);
        List<Resume.Start> starts = Resume.starts(null, "", List.of(CHANNEL), 0);
        int opening = 0;
        for (int i = 0; i < streams; i++) {
            Subscription subscription = new Subscription(List.of(CHANNEL), "herald-warmup", 64);
            SseStream stream = new SseStream(subscription, broker, QUIET[i % QUIET.length], starts);
            stream.prepare();
            boolean ready = i % 2 == 0;
            // both kinds of output a pod has (direct HTTP/1.1, Helidon's response), so that the writer's calls to it
            // are compiled for both; half of each end as a client that went away
            if (i % 4 < 2) {
                DirectStreams.Direct direct = new DirectStreams.Direct(null, out.stream(i % 2 == 1), Optional.empty());
                opening += 2;
                subscriptions.add(subscription);
                writers.add(Thread.ofVirtual().name("herald-warmup").start(
                        () -> writeDirect(stream, direct, ready)));
            } else {
                SseStream.Out output = SseStream.Out.of(out.stream(i % 2 == 1));
                opening += 1;
                subscriptions.add(subscription);
                writers.add(Thread.ofVirtual().name("herald-warmup").start(
                        () -> stream.run(output, () -> false, ready, 3000, 3000)));
            }
        }
        out.await(opening);
        long id = 0;
        for (int round = 0; round < rounds; round++) {
            id++;
            for (Subscription subscription : subscriptions) {
                switch (round % 3) {
                    case 0 -> subscription.queue().offer(event(id));
                    case 1 -> subscription.queue().ping();
                    default -> {
                        subscription.queue().offer(event(id));
                        subscription.queue().ping();
                    }
                }
            }
            // each writer wrote this round before the next: every round is a real park and wake-up of each
            out.await(streams);
        }
        // the clients of half the writers go away: their next write fails; the others end with their queues
        out.leave();
        for (Subscription subscription : subscriptions) {
            subscription.queue().ping();
        }
        for (Subscription subscription : subscriptions) {
            subscription.queue().close();
        }
        for (Thread writer : writers) {
            writer.join();
        }
        long frames = out.frames.sum();
        LOG.fine(() -> "Stream warm-up: " + streams + " writers, " + frames + " writes in "
                       + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
        return frames;
    }

    private static void writeDirect(SseStream stream, DirectStreams.Direct direct, boolean ready) {
        try {
            stream.run(direct.start(), direct.clientGone(), ready, 3000, 3000);
            direct.end();
        } catch (IOException e) {
            // the head was written before the client left: nothing more to do, as for a real stream
        }
    }

    private static Event event(long id) {
        return new Event(CHANNEL, id, DATA, System.currentTimeMillis(), Event.Kind.EVENT);
    }

    /**
     * The writers' sockets: count each write and drop it; after {@link #leave}, the streams of clients that go away
     * fail. Thread-safe: an adder, a semaphore and a volatile flag.
     */
    private static final class Counted {
        private static final long PATIENCE_SECONDS = 10;
        private final LongAdder frames = new LongAdder();
        private final Semaphore sent = new Semaphore(0);
        private volatile boolean left;

        OutputStream stream(boolean goesAway) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    if (goesAway && left) {
                        throw new IOException("the warm-up's client went away");
                    }
                    frames.increment();
                    sent.release();
                }
            };
        }

        void leave() {
            left = true;
        }

        /** Waits until this many more writes were made (a writer that wrote twice in a round counts for the next). */
        void await(int count) throws InterruptedException {
            if (!sent.tryAcquire(count, PATIENCE_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the stream warm-up's writers did not write in time");
            }
        }
    }
}
