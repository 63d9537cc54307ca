package dev.herald.logging;

import java.io.IOException;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each record is one line of ASCII holding one JSON object, with the request's fields on an access-log record. */
@Tag("unit")
class JsonLogFormatterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonLogFormatter formatter = new JsonLogFormatter("pod-7");

    @Test
    void plainRecord_hasTimeLevelLoggerMessagePod_andNothingElse() throws IOException {
        LogRecord record = new LogRecord(Level.WARNING, "Broker {0} is {1}");
        record.setParameters(new Object[] {"redis", "down"});
        record.setLoggerName("dev.herald.Herald");
        record.setInstant(Instant.parse("2026-11-30T21:05:09.007123Z"));
        String line = formatter.format(record);
        assertEquals("{\"time\":\"2026-11-30T21:05:09.007Z\",\"level\":\"WARNING\",\"logger\":\"dev.herald.Herald\","
                     + "\"message\":\"Broker redis is down\",\"pod\":\"pod-7\"}\n", line);
    }

    @Test
    void accessRecord_hasTheRequestFields_andTheTextLineAsMessage() throws IOException {
        RequestLine request = new RequestLine("10.0.0.9", "GET", "/api/events", "HTTP/1.1", 200, 1234, "ada");
        JsonNode json = parse(formatter.format(access(request)));
        assertEquals("10.0.0.9 GET /api/events HTTP/1.1 200 1234ms", json.path("message").asText(),
                     "the same text as the text format's line");
        assertEquals("GET", json.path("method").asText());
        assertEquals("/api/events", json.path("path").asText());
        assertEquals(200, json.path("status").asInt());
        assertEquals(1234, json.path("duration").asLong());
        assertEquals("HTTP/1.1", json.path("protocol").asText());
        assertEquals("10.0.0.9", json.path("peer").asText());
        assertEquals("ada", json.path("user").asText());
        assertEquals("herald.access", json.path("logger").asText());

        JsonNode anonymous = parse(formatter.format(access(
                new RequestLine("10.0.0.9", "GET", "/nope", "HTTP/2.0", 404, 0, null))));
        assertTrue(anonymous.path("user").isMissingNode(), "no user without a verified token: " + anonymous);
    }

    @Test
    void textFormat_ofAnAccessRecord_isTheLineItAlwaysWas() {
        RequestLine request = new RequestLine("::1", "GET", "/a\r\nINFO: forged {0}", "HTTP/1.1", 401, 3, "ada");
        assertEquals("::1 GET /a\\r\\nINFO: forged {0} HTTP/1.1 401 3ms", new SimpleFormatter().formatMessage(
                access(request)), "escaped, and client text is never a pattern");
    }

    @Test
    void controlAndNonAsciiCharacters_areEscaped_soALineIsOneAsciiLine() throws IOException {
        String nasty = "a\"b\\c\nd\re\tf\u0000g\u0085h\u2028i\u00e9j\ud83d\ude00k\u007f";
        RequestLine request = new RequestLine("p", "GET", nasty, "HTTP/1.1", 400, 0, nasty);
        LogRecord record = access(request);
        String line = formatter.format(record);
        assertEquals(line.length() - 1, line.indexOf('\n'), "one line: " + line);
        assertTrue(line.chars().allMatch(c -> (c >= 0x20 && c < 0x7f) || c == '\n'), "ASCII only: " + line);
        JsonNode json = parse(line);
        assertEquals(nasty, json.path("path").asText(), "read back as sent");
        assertEquals(nasty, json.path("user").asText());
    }

    @Test
    void thrown_isAnErrorObject_withTypeMessageAndStack() throws IOException {
        LogRecord record = new LogRecord(Level.SEVERE, "Unhandled error on GET /api/x");
        record.setThrown(new IllegalStateException("bad\nstate", new IOException("cause")));
        JsonNode json = parse(formatter.format(record));
        JsonNode error = json.path("error");
        assertEquals("java.lang.IllegalStateException", error.path("type").asText());
        assertEquals("bad\nstate", error.path("message").asText());
        assertTrue(error.path("stack").asText().contains("at dev.herald.logging.JsonLogFormatterTest"),
                   error.toString());
        assertTrue(error.path("stack").asText().contains("Caused by: java.io.IOException: cause"), error.toString());
        assertTrue(json.path("logger").isMissingNode(), "a record without a logger name has no logger field");
    }

    private static LogRecord access(RequestLine request) {
        LogRecord record = new LogRecord(Level.INFO, "{0}");
        record.setParameters(new Object[] {request});
        record.setLoggerName("herald.access");
        return record;
    }

    private static JsonNode parse(String line) throws IOException {
        assertTrue(line.endsWith("}\n"), line);
        assertFalse(line.substring(0, line.length() - 1).contains("\n"), line);
        return JSON.readTree(line);
    }
}
