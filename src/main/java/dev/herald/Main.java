package dev.herald;

import io.helidon.config.ConfigException;
import io.helidon.logging.common.LogConfig;

/**
 * Runs Herald from the command line: configuration → {@link Herald#build} → {@link Herald#start} → graceful stop on
 * SIGTERM. A pod that cannot start prints one line naming the cause and exits with status 2.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Herald herald;
        try {
            herald = Herald.build(HeraldConfig.load()).start();
        } catch (StartupException e) {
            System.err.println("herald: cannot start: " + e.getMessage());
            System.exit(2);
            return;
        } catch (ConfigException e) {
            System.err.println("herald: cannot start: the configuration cannot be read: " + e.getMessage());
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
