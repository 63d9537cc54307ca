package dev.herald;

import java.util.Map;

import dev.herald.logging.LogFormat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code herald.log.format}: text unless json is asked for; anything else stops the pod naming the key. */
@Tag("unit")
class LogSettingsTest {

    @Test
    void format_isTextByDefault_jsonWhenAsked_andAnythingElseIsRefused() {
        assertEquals(LogFormat.TEXT, read(Map.of()).log().format());
        assertEquals(LogFormat.TEXT, read(Map.of("herald.log.format", "text")).log().format());
        assertEquals(LogFormat.JSON, read(Map.of("herald.log.format", " JSON ")).log().format());
        StartupException e = assertThrows(StartupException.class, () -> read(Map.of("herald.log.format", "xml")));
        assertEquals("herald.log.format must be text or json (is 'xml')", e.getMessage());
    }

    private static Settings read(Map<String, String> config) {
        Map<String, String> withPod = new java.util.HashMap<>(config);
        withPod.put("herald.pod-id", "p1");
        return Settings.from(HeraldConfig.withOverrides(withPod).get("herald"));
    }
}
