package dev.herald.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** What the command-line bench tools share: {@code <mode> [--option value]…} arguments and waiting. Stateless. */
final class BenchOptions {
    private BenchOptions() {
    }

    /** The options after the mode ({@code argv[0]}); prints {@code usage} and exits 2 when there is no mode. */
    static Map<String, String> parse(String[] argv, String usage) {
        if (argv.length == 0) {
            System.err.println("usage: " + usage);
            System.exit(2);
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i + 1 < argv.length; i += 2) {
            options.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        return options;
    }

    static int integer(Map<String, String> options, String name, int fallback) {
        return Integer.parseInt(options.getOrDefault(name, Integer.toString(fallback)));
    }

    static void pause(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** Polls {@code done} every {@code every} ms until it holds; throws after {@code timeout}. */
    static void until(String what, Duration timeout, long every, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            pause(every);
        }
    }
}
