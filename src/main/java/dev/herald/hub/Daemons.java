package dev.herald.hub;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The pod's few background timers: each one daemon platform thread with a name that says what it does. */
public final class Daemons {
    private Daemons() {
    }

    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
