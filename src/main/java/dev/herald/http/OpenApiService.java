package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /openapi.yaml}: the OpenAPI document of this API, {@code docs/openapi.yaml} as the build copied it into
 * the jar. No token needed. Read once when built; immutable and thread-safe after.
 */
public final class OpenApiService implements HttpService {
    /** Where the build puts {@code docs/openapi.yaml} on the class path (the pom's resources). */
    static final String RESOURCE = "/openapi.yaml";

    private final byte[] document;

    OpenApiService() {
        try (InputStream in = OpenApiService.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path; the build copies it from docs/");
            }
            this.document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::send);
    }

    private void send(ServerRequest req, ServerResponse res) {
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/yaml"));
        res.header(HeaderValues.CACHE_NO_CACHE);
        res.send(document);
    }
}
