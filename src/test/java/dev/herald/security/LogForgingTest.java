package dev.herald.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import dev.herald.Await;
import dev.herald.RawHttp;
import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client text never starts a log line of its own: the access log writes the full raw path (from the root), and every
 * line terminator or control character a client sends is escaped. The log is read as JUL hands it to a handler.
 */
class LogForgingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void crlfInPathOrHeaders_staysInOneEscapedLogLine() throws Exception {
        List<String> messages = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                messages.add(formatter.formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try (TestPod pod = TestPod.start(Map.of())) {
            String forged = "/api/x%0d%0aSEVERE:%20forged";
            assertEquals(401, raw(pod.port(), "GET " + forged + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            String line = awaitLine(messages, "forged");
            assertTrue(line.contains("GET " + forged + " HTTP/1.1 401"), "the raw path, from the root: " + line);

            // a path under a service's mount point is logged whole, still percent-encoded
            String odd = "/observe/health/x%E2%80%A8y";
            assertEquals(404, raw(pod.port(), "GET " + odd + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            String oddLine = awaitLine(messages, "x%E2%80%A8y");
            assertTrue(oddLine.contains("GET " + odd + " HTTP/1.1 404"), oddLine);

            // raw control bytes in a header value are refused before any handler (and so any log) sees them
            assertEquals(400, raw(pod.port(), "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Note: a\u0085b\u007fc\r\n\r\n"));
            for (String message : messages) {
                assertEquals(-1, firstBreak(message), "a log message with a line break: " + message);
            }
        } finally {
            root.removeHandler(capture);
        }
    }

    private static String awaitLine(List<String> messages, String part) {
        Await.until("a log line with " + part, WAIT, () -> messages.stream().anyMatch(m -> m.contains(part)));
        List<String> lines = messages.stream().filter(m -> m.contains(part)).toList();
        assertEquals(1, lines.size(), "exactly one log line: " + lines);
        return lines.get(0);
    }

    /** Index of the first character a log reader could take for a line end, or -1. */
    private static int firstBreak(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029' || c == '\u000b'
                || c == '\u000c') {
                return i;
            }
        }
        return -1;
    }

    private static int raw(int port, String request) throws Exception {
        try (RawHttp http = new RawHttp(port)) {
            http.send(request);
            RawHttp.Response response = http.read();
            return response == null ? -1 : response.status();
        }
    }
}
