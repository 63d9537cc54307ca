package dev.herald.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.hub.EventJson;
import io.helidon.http.Status;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link JsonBody#text}, the part that needs no request. {@code JsonBody.read} takes a Helidon ServerRequest and
 * is covered by the server tests (LimitsAndBadInputTest, HostileInputTest).
 */
@Tag("unit")
class JsonBodyTest {
    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) EventJson.MAPPER.readTree(text);
    }

    private static ApiException refused(ObjectNode body, String field) {
        return assertThrows(ApiException.class, () -> JsonBody.text(body, field));
    }

    @Test
    void text_ofStringField_returnsItVerbatim() throws Exception {
        assertEquals("channel:general", JsonBody.text(json("{\"channel\":\"channel:general\"}"), "channel"));
        assertEquals("a\nb \u0000", JsonBody.text(json("{\"c\":\"a\\nb \\u0000\"}"), "c"));
    }

    @Test
    void text_ofMissingOrNullField_is400Required() throws Exception {
        for (String body : new String[] {"{}", "{\"other\":\"x\"}", "{\"channel\":null}"}) {
            ApiException e = refused(json(body), "channel");
            assertEquals(Status.BAD_REQUEST_400, e.status(), body);
            assertEquals("bad_request", e.error());
            assertEquals("'channel' is required", e.getMessage());
        }
    }

    @Test
    void text_ofNonStringField_is400MustBeAString() throws Exception {
        for (String value : new String[] {"1", "1.5", "true", "[\"a\"]", "{\"a\":\"b\"}"}) {
            ApiException e = refused(json("{\"channel\":" + value + "}"), "channel");
            assertEquals(Status.BAD_REQUEST_400, e.status(), value);
            assertEquals("'channel' must be a string", e.getMessage(), value);
        }
    }
}
