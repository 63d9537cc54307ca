package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/api.md}'s endpoint table and the OpenAPI document list the same statuses and error codes for every
 * {@code /api/} and {@code /dev/} route ({@link OpenApiContractTest} holds the document to the server). Left out on
 * both sides: what every route answers and the table says once in prose (408, 414, 431 and 503
 * {@code too_many_connections} from the connection guard, 401 {@code revoked}).
 */
@Tag("unit")
class ApiDocsAgreeTest {
    private static final Pattern ROW = Pattern.compile("^\\| `(GET|POST|PUT|DELETE) (/(?:api|dev)/[^`?]*)[^`]*` \\|(.*)$",
                                                       Pattern.MULTILINE);
    private static final Pattern OUTCOME = Pattern.compile("(\\d{3}) `([a-z_]+)`");
    private static final Set<String> EVERYWHERE = Set.of("408 request_timeout", "414 uri_too_long",
                                                         "431 headers_too_large", "503 too_many_connections",
                                                         "401 revoked");

    @Test
    void theEndpointTableAndTheDocumentAgree_onEveryApiRoute() throws IOException {
        String markdown = Files.readString(Path.of("docs/api.md"));
        OpenApiDocument document = OpenApiDocument.read();
        Set<String> table = new TreeSet<>();
        Matcher row = ROW.matcher(markdown);
        while (row.find()) {
            String operation = row.group(1) + " " + row.group(2);
            Matcher outcome = OUTCOME.matcher(row.group(3));
            while (outcome.find()) {
                table.add(operation + " " + outcome.group(1) + " " + outcome.group(2));
            }
        }
        assertTrue(table.size() > 40, "the table was read: " + table);
        Set<String> documented = new TreeSet<>();
        for (OpenApiDocument.Outcome outcome : document.outcomes()) {
            String path = outcome.operation().path();
            if (outcome.error() == null || !(path.startsWith("/api/") || path.startsWith("/dev/"))
                || EVERYWHERE.contains(outcome.status() + " " + outcome.error())) {
                continue;
            }
            documented.add(outcome.operation() + " " + outcome.status() + " " + outcome.error());
        }
        Set<String> onlyInTable = new TreeSet<>(table);
        onlyInTable.removeAll(documented);
        Set<String> onlyInDocument = new TreeSet<>(documented);
        onlyInDocument.removeAll(table);
        assertEquals(Set.of(), onlyInTable, "in docs/api.md's table, not in docs/openapi.yaml");
        assertEquals(Set.of(), onlyInDocument, "in docs/openapi.yaml, not in docs/api.md's table");
    }
}
