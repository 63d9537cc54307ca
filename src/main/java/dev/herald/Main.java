package dev.herald;

import java.util.logging.Level;

import dev.herald.logging.LogOutput;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;

/**
 * Runs Herald from the command line: configuration → log format ({@code herald.log.format}) → {@link Herald#build}
 * → {@link Herald#start} → graceful stop on SIGTERM. A pod that cannot start prints one line naming the cause and
 * exits with status 2.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LogOutput out = LogOutput.TEXT;
        Herald herald;
        try {
            Config config = HeraldConfig.load();
            // before the other settings: their errors are then written in the chosen format too
            Config settings = config.get("herald");
            out = LogOutput.configure(Settings.Log.from(settings.get("log")).format(), Settings.podId(settings));
            herald = Herald.build(config).start();
        } catch (StartupException e) {
            out.line(Level.SEVERE, "herald: cannot start: " + e.getMessage());
            System.exit(2);
            return;
        } catch (ConfigException e) {
            out.line(Level.SEVERE, "herald: cannot start: the configuration cannot be read: " + e.getMessage());
            System.exit(2);
            return;
        }
        LogOutput log = out;
        // java.util.logging closes its handlers in its own shutdown hook, so these lines go straight to stderr
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.line(Level.INFO, "herald: stopping: draining " + herald.hub().subscriptionCount() + " streams");
            herald.shutdown();
            log.line(Level.INFO, "herald: stopped");
        }, "herald-shutdown"));
    }
}
