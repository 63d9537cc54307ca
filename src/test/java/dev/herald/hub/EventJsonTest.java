package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Event JSON: the id spliced in front of a body, and the timestamp format (docs/channels.md). */
@Tag("unit")
class EventJsonTest {
    /** RFC 3339, UTC, exactly three fractional digits, as documented. */
    private static final Pattern RFC3339_MILLIS = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void withId_splicesIdAsFirstField() throws Exception {
        byte[] out = EventJson.withId(42, utf8("{\"type\":\"chat\",\"n\":1}"));
        assertEquals("{\"id\":42,\"type\":\"chat\",\"n\":1}", utf8(out));
        Iterator<String> fields = EventJson.MAPPER.readTree(out).fieldNames();
        assertEquals("id", fields.next());
    }

    @Test
    void withId_ofEmptyObject_givesOnlyTheId() throws Exception {
        byte[] out = EventJson.withId(7, utf8("{}"));
        assertEquals("{\"id\":7}", utf8(out));
        assertEquals(7, EventJson.MAPPER.readTree(out).get("id").longValue());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 9, 10, 123456789, Long.MAX_VALUE})
    void withId_anyNonNegativeId_isParsedBackExactly(long id) throws Exception {
        JsonNode node = EventJson.MAPPER.readTree(EventJson.withId(id, utf8("{\"a\":\"b\"}")));
        assertEquals(id, node.get("id").longValue());
        assertEquals("b", node.get("a").textValue());
        assertEquals(2, node.size());
    }

    @Test
    void withId_keepsMultiByteUtf8AndLeavesTheBodyUntouched() throws Exception {
        byte[] body = utf8("{\"content\":\"héllo 中文 \uD83D\uDE00\"}");
        byte[] copy = Arrays.copyOf(body, body.length);
        byte[] out = EventJson.withId(3, body);
        assertArrayEquals(copy, body, "the body is shared: withId must not write into it");
        assertEquals("héllo 中文 \uD83D\uDE00", EventJson.MAPPER.readTree(out).get("content").textValue());
    }

    @Test
    void withId_ofBuiltBody_isOneLineOfValidJsonWithAllFields() throws Exception {
        ObjectNode body = EventJson.body("chat", "channel:general");
        body.put("content", "line1\nline2\r\n");
        byte[] out = EventJson.withId(5, EventJson.bytes(body));
        String text = utf8(out);
        assertFalse(text.contains("\n") || text.contains("\r"), "an SSE data line must not break: " + text);
        JsonNode node = EventJson.MAPPER.readTree(out);
        assertEquals(5, node.get("id").longValue());
        assertEquals("chat", node.get("type").textValue());
        assertEquals("channel:general", node.get("channel").textValue());
        assertEquals("line1\nline2\r\n", node.get("content").textValue());
        String timestamp = node.get("timestamp").textValue();
        assertTrue(timestamp.endsWith("Z"), "UTC: " + timestamp);
        Instant.parse(timestamp);
    }

    @Test
    void body_hasTypeChannelTimestamp_andNoId() {
        ObjectNode body = EventJson.body("presence", "user:alice");
        assertEquals("presence", body.get("type").textValue());
        assertEquals("user:alice", body.get("channel").textValue());
        assertTrue(body.has("timestamp"));
        assertFalse(body.has("id"), "the broker assigns the id");
    }

    @Test
    void timestamp_truncatesToMillisecondsInUtc() {
        assertEquals("2026-11-27T02:27:32.345Z", EventJson.timestamp(Instant.parse("2026-11-27T02:27:32.345999999Z")));
        assertEquals("2026-11-27T02:27:32.001Z", EventJson.timestamp(Instant.parse("2026-11-27T02:27:32.001Z")));
        assertEquals("2026-11-27T02:27:32.010Z", EventJson.timestamp(Instant.parse("2026-11-27T02:27:32.010Z")));
        assertEquals("2026-11-27T02:27:32.100Z", EventJson.timestamp(Instant.parse("2026-11-27T02:27:32.100Z")));
    }

    @Test
    void timestamp_roundTripsThroughInstantParse() {
        Instant at = Instant.ofEpochMilli(1_795_000_000_123L).plusNanos(456_789);
        assertEquals(Instant.ofEpochMilli(1_795_000_000_123L), Instant.parse(EventJson.timestamp(at)));
    }

    /** docs/channels.md: "RFC 3339 UTC with milliseconds", e.g. "2026-11-27T03:10:00.000Z". */
    @Test
    void timestamp_onAWholeSecond_stillHasThreeFractionDigits() {
        assertEquals("2026-11-27T03:10:00.000Z", EventJson.timestamp(Instant.parse("2026-11-27T03:10:00Z")));
        assertTrue(RFC3339_MILLIS.matcher(EventJson.timestamp(Instant.parse("2026-11-27T03:10:00.000400Z"))).matches());
    }
}
