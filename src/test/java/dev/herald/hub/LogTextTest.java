package dev.herald.hub;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client text in a log line: line ends and controls escaped, nothing else touched. */
@Tag("unit")
class LogTextTest {
    @Test
    void lineBreaksAndControls_becomeVisibleEscapes() {
        assertEquals("a\\r\\nSEVERE: x", LogText.escape("a\r\nSEVERE: x"));
        assertEquals("\\u0000\\u001b[31m\\u007f\\u0085\\u2028\\u2029\\t", LogText.escape("\u0000\u001b[31m\u007f\u0085\u2028\u2029\t"));
        assertEquals("a\\\\nb", LogText.escape("a\\nb"), "a literal backslash-n cannot pass for an escaped line feed");
        assertEquals("café 日本 🎉", LogText.escape("café 日本 🎉"));
        String plain = "/api/events";
        assertSame(plain, LogText.escape(plain));
    }

    @Test
    void longInput_isCut_withItsLength() {
        String escaped = LogText.escape("x".repeat(10_000));
        assertTrue(escaped.length() < 2100 && escaped.endsWith("...(10000 chars)"), escaped);
    }
}
