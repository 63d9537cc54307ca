package dev.herald.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herald.hub.Event;

import org.junit.jupiter.api.Test;

/** The live message's event: {@code <epoch> <id> <ms> <json>}, with the publisher's trace context when it traces. */
class RedisMessageTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void untracedMessage_isTheJsonAlone() {
        String message = "k3x 7 1700000000000 {\"id\":7,\"text\":\"a b\\nc\"}";
        Event event = RedisDelivery.event("channel:a", 7, 1700000000000L, message, message.indexOf('{'));
        assertEquals("{\"id\":7,\"text\":\"a b\\nc\"}", new String(event.data(), UTF_8));
        assertNull(event.trace());
        assertEquals(7, event.id());
        assertEquals(1700000000000L, event.publishedAt());
    }

    @Test
    void tracedMessage_splitsTheTraceparentFromTheJson() {
        String message = "k3x 8 1700000000001 {\"id\":8,\"text\":\"}\"}\n" + TRACEPARENT;
        Event event = RedisDelivery.event("channel:a", 8, 1700000000001L, message, message.indexOf('{'));
        assertEquals("{\"id\":8,\"text\":\"}\"}", new String(event.data(), UTF_8));
        assertEquals(TRACEPARENT, event.trace().traceparent());
    }
}
