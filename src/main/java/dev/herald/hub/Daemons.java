package dev.herald.hub;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The pod's few background timers: each one daemon platform thread with a name that says what it does. */
public final class Daemons {
    private static final Logger LOG = Logger.getLogger(Daemons.class.getName());

    private Daemons() {
    }

    /**
     * Runs {@code task} every {@code period} on its own daemon thread named {@code name}. A failure is logged and
     * the task runs again next period (a bare scheduled executor would silently stop after the first exception).
     * Shut the returned executor down to stop it.
     */
    public static ScheduledExecutorService every(String name, Duration period, Runnable task) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1, period.toMillis());
        // the future is not needed: the task catches its own failures, and shutting the executor down stops it
        ScheduledFuture<?> unused = executor.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, name + " failed; retrying in " + millis + " ms", e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
        return executor;
    }

    /**
     * A one-thread timer for many one-shot tasks that are mostly cancelled before they run (for example a stream's
     * end at its token's expiry): a cancelled task leaves the queue at once instead of at its time, so the queue
     * holds only live tasks. The tasks must catch their own failures.
     */
    public static ScheduledExecutorService timer(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
