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
        Runtime.getRuntime().addShutdownHook(new Thread(herald::shutdown, "herald-shutdown"));
    }
}
