package dev.herald.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * {@code docs/openapi.yaml} as the contract test reads it: its operations and, for each, the statuses and error codes
 * it lists (an error code is the {@code enum} of the {@code error} property of the response's schema, through
 * {@code $ref}, {@code allOf}, {@code oneOf} and {@code anyOf}).
 */
final class OpenApiDocument {
    /** The repository's copy; the build puts it in the jar, and {@code GET /openapi.yaml} serves it. */
    static final Path FILE = Path.of("docs/openapi.yaml");
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch",
                                                        "trace");

    /** One documented method and path (a template such as {@code /api/users/{userId}/disconnect}). */
    record Operation(String method, String path) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** One status of one operation, with one of its error codes; {@code error} is null for an answer without one. */
    record Outcome(Operation operation, int status, String error) implements Comparable<Outcome> {
        @Override
        public int compareTo(Outcome o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return operation + " " + status + (error == null ? "" : " " + error);
        }
    }

    private final byte[] bytes;
    private final JsonNode root;

    private OpenApiDocument(byte[] bytes, JsonNode root) {
        this.bytes = bytes;
        this.root = root;
    }

    static OpenApiDocument read() {
        try {
            byte[] bytes = Files.readAllBytes(FILE);
            return new OpenApiDocument(bytes, new ObjectMapper(new YAMLFactory()).readTree(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] bytes() {
        return bytes.clone();
    }

    String version() {
        return root.path("openapi").asText();
    }

    Set<Operation> operations() {
        Set<Operation> operations = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> path : root.path("paths").properties()) {
            for (String method : METHODS) {
                if (path.getValue().has(method)) {
                    operations.add(new Operation(method.toUpperCase(Locale.ROOT), path.getKey()));
                }
            }
        }
        return operations;
    }

    /** Every (operation, status, error code) the document lists. */
    Set<Outcome> outcomes() {
        Set<Outcome> outcomes = new TreeSet<>();
        for (Operation operation : operations()) {
            for (Map.Entry<String, JsonNode> response : responses(operation).properties()) {
                if (response.getKey().equals("default")) {
                    continue;
                }
                int status = Integer.parseInt(response.getKey());
                for (String error : errors(resolve(response.getValue()))) {
                    outcomes.add(new Outcome(operation, status, error));
                }
            }
        }
        return outcomes;
    }

    /** The media types the document gives for this answer (empty: no body documented). */
    Set<String> mediaTypes(Operation operation, int status) {
        JsonNode response = resolve(responses(operation).path(Integer.toString(status)));
        Set<String> types = new HashSet<>();
        response.path("content").fieldNames().forEachRemaining(types::add);
        return types;
    }

    /** The schema of one answer's body in one media type (a missing node when none is documented). */
    JsonNode schema(Operation operation, int status, String mediaType) {
        return resolve(responses(operation).path(Integer.toString(status))).path("content").path(mediaType)
                .path("schema");
    }

    /** A schema of {@code components/schemas}. */
    JsonNode schema(String name) {
        JsonNode schema = root.path("components").path("schemas").path(name);
        if (schema.isMissingNode()) {
            throw new AssertionError("the document has no schema " + name);
        }
        return schema;
    }

    /**
     * Where a JSON value departs from a schema, at its top level (through {@code $ref} and {@code allOf}; the
     * alternatives of {@code oneOf} and {@code anyOf} are not followed): a wrong type, a required property missing, a
     * property of the wrong type or outside its {@code const} or {@code enum}, a property the schema forbids.
     */
    List<String> departures(JsonNode schema, JsonNode value) {
        List<String> departures = new ArrayList<>();
        JsonNode s = resolve(schema);
        for (JsonNode part : s.path("allOf")) {
            departures.addAll(departures(part, value));
        }
        if (s.has("type") && !hasType(s.get("type"), value)) {
            departures.add("is " + value.getNodeType() + ", not " + s.get("type"));
            return departures;
        }
        if (!value.isObject()) {
            return departures;
        }
        s.path("required").forEach(name -> {
            if (!value.has(name.asText())) {
                departures.add("lacks '" + name.asText() + "'");
            }
        });
        for (Map.Entry<String, JsonNode> property : s.path("properties").properties()) {
            JsonNode v = value.get(property.getKey());
            JsonNode p = resolve(property.getValue());
            String name = "'" + property.getKey() + "' ";
            if (v == null) {
                continue;
            }
            if (p.isBoolean() && !p.booleanValue()) {
                departures.add("has " + name + "which the schema forbids");
            } else if (p.has("const") && !p.get("const").equals(v)) {
                departures.add("has " + name + v + ", not " + p.get("const"));
            } else if (p.has("enum") && !contains(p.get("enum"), v)) {
                departures.add("has " + name + v + ", not one of " + p.get("enum"));
            } else if (p.has("type") && !hasType(p.get("type"), v)) {
                departures.add("has " + name + "of type " + v.getNodeType() + ", not " + p.get("type"));
            }
        }
        if (s.path("additionalProperties").isBoolean() && !s.get("additionalProperties").booleanValue()) {
            value.fieldNames().forEachRemaining(name -> {
                if (!s.path("properties").has(name)) {
                    departures.add("has '" + name + "', which the schema does not allow");
                }
            });
        }
        return departures;
    }

    private static boolean contains(JsonNode values, JsonNode value) {
        for (JsonNode candidate : values) {
            if (candidate.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasType(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode one : type) {
                if (hasType(one, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> throw new AssertionError("an unknown type in the document: " + type);
        };
    }

    private JsonNode responses(Operation operation) {
        return root.path("paths").path(operation.path()).path(operation.method().toLowerCase(Locale.ROOT))
                .path("responses");
    }

    /** The error codes of a response, null standing for a body without one. */
    private Set<String> errors(JsonNode response) {
        Set<String> errors = new HashSet<>();
        for (JsonNode media : response.path("content")) {
            errors.addAll(schemaErrors(media.path("schema")));
        }
        if (errors.isEmpty()) {
            errors.add(null);
        }
        return errors;
    }

    private Set<String> schemaErrors(JsonNode schema) {
        JsonNode s = resolve(schema);
        Set<String> errors = new HashSet<>();
        for (String alternatives : List.of("oneOf", "anyOf")) {
            for (JsonNode alternative : s.path(alternatives)) {
                errors.addAll(schemaErrors(alternative));
            }
        }
        Set<String> own = new HashSet<>();
        s.path("properties").path("error").path("enum").forEach(code -> own.add(code.asText()));
        for (JsonNode part : s.path("allOf")) {
            schemaErrors(part).stream().filter(code -> code != null).forEach(own::add);
        }
        if (!own.isEmpty()) {
            errors.addAll(own);
        } else if (!s.has("oneOf") && !s.has("anyOf")) {
            errors.add(null);
        }
        return errors;
    }

    /** The node a {@code $ref} (local, {@code #/…}) points at, or the node itself. */
    private JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (current.has("$ref")) {
            String ref = current.get("$ref").asText();
            if (!ref.startsWith("#/")) {
                throw new AssertionError("only local references are read: " + ref);
            }
            current = root.at(ref.substring(1));
            if (current.isMissingNode()) {
                throw new AssertionError("a reference to nothing: " + ref);
            }
        }
        return current;
    }
}
