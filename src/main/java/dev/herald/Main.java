package dev.herald;

import io.helidon.logging.common.LogConfig;

/** Starts Herald from the command line: configuration → {@link Herald#start} → graceful stop on SIGTERM. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Herald herald;
        try {
            herald = Herald.start(HeraldConfig.load());
        } catch (StartupException e) {
            System.err.println("herald: cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        // java.util.logging closes its handlers in its own shutdown hook, so these lines go straight to stderr
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("herald: stopping: draining " + herald.hub().subscriptionCount() + " streams");
            herald.shutdown();
            System.err.println("herald: stopped");
        }, "herald-shutdown"));
    }
}
