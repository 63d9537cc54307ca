package dev.herald.deploy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import dev.herald.Await;
import dev.herald.client.HeraldClient;
import dev.herald.client.HeraldException;

/**
 * A backend publishing {@code {"type":"load","n":1}}, {@code n:2}, … to one channel from its own thread, about 100
 * a second, each publish retried by the {@link HeraldClient} (one Idempotency-Key per event) until it is stored. It
 * stops at the first publish that fails after every retry. Started by {@link #start}, stopped by {@link #close}.
 */
final class Publisher implements AutoCloseable {
    private final HeraldClient client;
    private final String channel;
    private final List<Long> ids = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    Publisher(HeraldClient client, String channel) {
        this.client = client;
        this.channel = channel;
        this.thread = Thread.ofPlatform().daemon().name("publisher").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        for (int n = 1; !stopped; n++) {
            try {
                ids.add(client.publish(channel, "load", Map.of("n", n)));
            } catch (HeraldException e) {
                failures.add("event " + n + ": " + e.getMessage());
                return;
            }
            // a steady pace, so that the events span the kill or the restart
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    /** How many events were stored so far (events 1 to this). */
    int published() {
        return ids.size();
    }

    /** The ids the stored publishes answered, in order. */
    List<Long> ids() {
        return List.copyOf(ids);
    }

    /** The publish that failed after every retry, if one did. */
    List<String> failures() {
        return failures;
    }

    void awaitPublished(int count, Duration timeout) {
        Await.until(count + " events published (failures: " + failures + ")", timeout,
                    () -> ids.size() >= count || !failures.isEmpty());
    }

    /** Stops after the publish under way, then closes the client. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        if (thread.isAlive() && !thread.join(Duration.ofSeconds(30))) {
            throw new AssertionError("the publisher did not stop");
        }
        client.close();
    }
}
