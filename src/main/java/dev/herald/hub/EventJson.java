package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds event JSON: the body once per event, the id spliced in front once the broker assigned it. */
public final class EventJson {
    /** Thread-safe once configured; shared by every publisher. */
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] ID_PREFIX = "{\"id\":".getBytes(StandardCharsets.US_ASCII);
    /** Always three fraction digits (ISO_INSTANT drops them on a whole second). */
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private EventJson() {
    }

    /** A new event body with the fields every event has, except {@code id}. */
    public static ObjectNode body(String type, String channel) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("type", type);
        node.put("channel", channel);
        node.put("timestamp", timestamp(Instant.now()));
        return node;
    }

    /** RFC 3339 UTC with millisecond precision. */
    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    public static byte[] bytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize an ObjectNode", e);
        }
    }

    /** {@code {"id":<id>,} + the rest of body}: the final event JSON, still on one line. */
    public static byte[] withId(long id, byte[] body) {
        byte[] idBytes = Long.toString(id).getBytes(StandardCharsets.US_ASCII);
        boolean empty = body.length <= 2;
        int restLength = body.length - 1;
        byte[] out = new byte[ID_PREFIX.length + idBytes.length + (empty ? 0 : 1) + restLength];
        int pos = 0;
        System.arraycopy(ID_PREFIX, 0, out, pos, ID_PREFIX.length);
        pos += ID_PREFIX.length;
        System.arraycopy(idBytes, 0, out, pos, idBytes.length);
        pos += idBytes.length;
        if (!empty) {
            out[pos++] = ',';
        }
        System.arraycopy(body, 1, out, pos, restLength);
        return out;
    }
}
