package dev.herald.logging;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.helidon.logging.common.LogConfig;

/**
 * The process's logging, configured once at start by {@code Main}: the format on the root logger's handlers (the
 * console), and
 * the few lines {@code Main} writes itself, around the logging: why a pod cannot start, and the lines of its shutdown
 * hook (java.util.logging closes its handlers in a shutdown hook of its own). Embedded pods (tests) leave the JVM's
 * logging alone. Thread-safe: immutable.
 */
public final class LogOutput {
    /** Plain lines on stderr, and the JDK's text format. */
    public static final LogOutput TEXT = new LogOutput(null);
    private static final String LOGGER = "dev.herald.Main";

    private final Formatter json;

    private LogOutput(Formatter json) {
        this.json = json;
    }

    /**
     * Configures java.util.logging as Helidon does (a {@code logging.properties}, else the JDK's defaults), with the
     * root handlers' formatter for {@code format}; text leaves them as they are.
     */
    public static LogOutput configure(LogFormat format, String pod) {
        if (format == LogFormat.TEXT) {
            LogConfig.configureRuntime();
            return TEXT;
        }
        JsonLogFormatter formatter = new JsonLogFormatter(pod);
        // before: Helidon logs a line about the configuration; after: a logging.properties replaces the handlers
        useFormatter(formatter);
        LogConfig.configureRuntime();
        useFormatter(formatter);
        return new LogOutput(formatter);
    }

    private static void useFormatter(Formatter formatter) {
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            handler.setFormatter(formatter);
            try {
                // the formatter writes ASCII only; this keeps it so whatever the console's encoding
                handler.setEncoding(StandardCharsets.US_ASCII.name());
            } catch (UnsupportedEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Writes {@code message} to stderr at once, as a plain line or a JSON one. */
    public void line(Level level, String message) {
        if (json == null) {
            System.err.println(message);
        } else {
            LogRecord record = new LogRecord(level, message);
            record.setLoggerName(LOGGER);
            System.err.print(json.format(record));
        }
        System.err.flush();
    }
}
