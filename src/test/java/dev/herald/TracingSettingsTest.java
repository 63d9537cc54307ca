package dev.herald;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@code herald.tracing.*}: off unless an endpoint is set; the endpoint an http(s) URL, the ratio within 0–1. */
class TracingSettingsTest {
    @Test
    void tracing_isOffByDefault_withAFullSampleRatio() {
        Settings.Tracing tracing = read(Map.of()).tracing();
        assertEquals(Optional.empty(), tracing.otlpEndpoint());
        assertEquals(1.0, tracing.sampleRatio());
        assertEquals(Optional.empty(), read(Map.of("herald.tracing.otlp-endpoint", " ")).tracing().otlpEndpoint());
    }

    @Test
    void endpointAndRatio_areRead_andCheckedNamingTheKey() {
        Settings.Tracing tracing = read(Map.of("herald.tracing.otlp-endpoint", "http://collector:4318",
                                               "herald.tracing.sample-ratio", "0.25")).tracing();
        assertEquals(Optional.of(URI.create("http://collector:4318")), tracing.otlpEndpoint());
        assertEquals(0.25, tracing.sampleRatio());
        assertEquals(0.0, read(Map.of("herald.tracing.sample-ratio", "0")).tracing().sampleRatio());
        assertTrue(message(Map.of("herald.tracing.otlp-endpoint", "collector:4318"))
                           .startsWith("herald.tracing.otlp-endpoint must be an http:// or https:// URL"));
        assertTrue(message(Map.of("herald.tracing.otlp-endpoint", "http://bad host"))
                           .startsWith("herald.tracing.otlp-endpoint must be"));
        assertTrue(message(Map.of("herald.tracing.sample-ratio", "1.5"))
                           .startsWith("herald.tracing.sample-ratio must be between 0 and 1"));
        assertTrue(message(Map.of("herald.tracing.sample-ratio", "half")).contains("a number between 0 and 1"));
    }

    private static Settings read(Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>(overrides);
        config.putIfAbsent("herald.pod-id", "test");
        return Settings.from(HeraldConfig.withOverrides(config).get("herald"));
    }

    private static String message(Map<String, String> overrides) {
        return assertThrows(StartupException.class, () -> read(overrides)).getMessage();
    }
}
