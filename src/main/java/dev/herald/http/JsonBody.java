package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;

/** Reads a request body as one JSON object within the size, depth and type limits, or fails with a 4xx. */
final class JsonBody {
    static final int MAX_DEPTH = 16;
    /** Values of every kind, all levels together: an event is small; thousands of fields are an attack. */
    static final int MAX_NODES = 256;
    /** Thread-safe once built; strict: no duplicate keys, no trailing tokens. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        STRICT.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
    }

    private JsonBody() {
    }

    static ObjectNode read(ServerRequest req, int maxBytes) {
        HttpMediaType type = req.headers().contentType().orElse(null);
        if (type == null || !type.mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            throw new ApiException(Status.UNSUPPORTED_MEDIA_TYPE_415, "unsupported_media_type",
                                   "the body must be application/json");
        }
        if (req.headers().contentLength().orElse(0) > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] bytes = readAtMost(req, maxBytes);
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (IOException e) {
            // Jackson refuses these itself (surrogates in keys, raw surrogate bytes, numbers over its length cap):
            // say which problem it is, in our words
            String detail = String.valueOf(e.getMessage());
            throw ApiException.badRequest(detail.contains("surrogate") ? "the body has an unpaired UTF-16 surrogate"
                    : detail.startsWith("Number value length") ? "a number is longer than 1000 characters"
                    : "the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        if (count(node, 0) > MAX_NODES) {
            throw ApiException.badRequest("the body has more than " + MAX_NODES + " values");
        }
        String unreadable = unreadable(node);
        if (unreadable != null) {
            throw ApiException.badRequest(unreadable);
        }
        return (ObjectNode) node;
    }

    /** A required non-blank string field. */
    static String text(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.badRequest("'" + field + "' is required");
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest("'" + field + "' must be a string");
        }
        return value.textValue();
    }

    /** Counts values up to a little past the limit. */
    private static int count(JsonNode node, int sofar) {
        int total = sofar + 1;
        for (JsonNode child : node) {
            if (total > MAX_NODES) {
                return total;
            }
            total = count(child, total);
        }
        return total;
    }

    /**
     * Null when every peer can read the value back as sent, else why not: a number beyond a double's range
     * (Jackson keeps {@code 1e400} as infinity and writes the string {@code "Infinity"}; JavaScript reads
     * infinity too) or a string or key with an unpaired UTF-16 surrogate (an escaped half of a pair alone: no
     * UTF-8 encodes it; raw surrogate bytes are already invalid UTF-8). Numbers that underflow ({@code 1e-400}) become 0, as in every IEEE 754 reader, and are kept.
     */
    private static String unreadable(JsonNode node) {
        if (node.isNumber() && !Double.isFinite(node.doubleValue())) {
            return "a number is beyond the range of a 64-bit float (about 1.8e308)";
        }
        if (node.isTextual() && hasLoneSurrogate(node.textValue())) {
            return "a string has an unpaired UTF-16 surrogate (\\ud800-\\udfff)";
        }
        if (node.isObject()) { // the parser refuses these today; checked again so no parser change lets one through
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (hasLoneSurrogate(field.getKey())) {
                    return "a key has an unpaired UTF-16 surrogate (\\ud800-\\udfff)";
                }
            }
        }
        for (JsonNode child : node) {
            String problem = unreadable(child);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static ApiException tooLarge(int maxBytes) {
        return new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "payload_too_large",
                                "the body or the event is larger than " + maxBytes + " bytes");
    }

    private static byte[] readAtMost(ServerRequest req, int maxBytes) {
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return bytes;
        } catch (IOException | UncheckedIOException e) {
            throw ApiException.badRequest("the body could not be read");
        }
    }
}
