package dev.herald.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * Writes each log record as one JSON object on one line: {@code time} (UTC, milliseconds), {@code level},
 * {@code logger}, {@code message}, {@code pod}; for an access-log record ({@link RequestLine}) also {@code method},
 * {@code path}, {@code status}, {@code duration} (ms), {@code protocol}, {@code peer} and {@code user} (when the
 * request had a verified token); for a record with an exception {@code error} ({@code type}, {@code message},
 * {@code stack}). Everything outside ASCII and every control character is written as a JSON {@code u} escape, so a
 * line is one line and reads the same in any console encoding. Thread-safe: immutable.
 */
public final class JsonLogFormatter extends Formatter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String pod;

    /** A formatter for the records of the pod {@code pod} ({@code herald.pod-id}). */
    public JsonLogFormatter(String pod) {
        this.pod = pod;
    }

    @Override
    public String format(LogRecord record) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"time\":\"");
        TIME.formatTo(record.getInstant(), json);
        json.append('"');
        string(json, "level", record.getLevel().getName());
        string(json, "logger", record.getLoggerName());
        string(json, "message", formatMessage(record));
        string(json, "pod", pod);
        Object[] parameters = record.getParameters();
        if (parameters != null && parameters.length == 1 && parameters[0] instanceof RequestLine request) {
            string(json, "method", request.method());
            string(json, "path", request.path());
            json.append(",\"status\":").append(request.status());
            json.append(",\"duration\":").append(request.millis());
            string(json, "protocol", request.protocol());
            string(json, "peer", request.peer());
            string(json, "user", request.user());
        }
        Throwable thrown = record.getThrown();
        if (thrown != null) {
            StringWriter stack = new StringWriter(1024);
            thrown.printStackTrace(new PrintWriter(stack));
            json.append(",\"error\":{\"type\":");
            quote(json, thrown.getClass().getName());
            string(json, "message", thrown.getMessage());
            string(json, "stack", stack.toString());
            json.append('}');
        }
        return json.append("}\n").toString();
    }

    /** {@code ,"name":"value"}, nothing for a null value. */
    private static void string(StringBuilder json, String name, String value) {
        if (value != null) {
            json.append(",\"").append(name).append("\":");
            quote(json, value);
        }
    }

    /** {@code value} as a JSON string of ASCII characters only. */
    static void quote(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        json.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
                                .append(HEX[c & 0xf]);
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
