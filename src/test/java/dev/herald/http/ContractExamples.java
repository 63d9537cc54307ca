package dev.herald.http;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.herald.RawHttp;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Example requests, each for one (operation, status, error code) of the OpenAPI document, and what the server
 * answered them; {@link #problems} compares both with the document. For one test thread.
 */
final class ContractExamples {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the server answered: the status, the JSON body's {@code error} (null: none), the media type and the JSON
     * body (null when it is not JSON).
     */
    record Answer(int status, String error, String mediaType, JsonNode json) {
        @Override
        public String toString() {
            return status + (error == null ? "" : " " + error) + (mediaType == null ? "" : " (" + mediaType + ")");
        }
    }

    /** One example request. */
    interface Request {
        Answer send() throws Exception;
    }

    /** Expected outcome → the answer (null when the request itself failed: see {@link #failures}). */
    private final Map<OpenApiDocument.Outcome, Answer> answers = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    /** Sends the example for {@code METHOD path status [error]} now and keeps its answer. */
    void expect(String method, String path, int status, String error, Request request) {
        OpenApiDocument.Outcome expected = new OpenApiDocument.Outcome(new OpenApiDocument.Operation(method, path),
                                                                       status, error);
        try {
            answers.put(expected, request.send());
        } catch (Exception | AssertionError e) {
            answers.put(expected, null);
            failures.add(expected + ": the example request failed: " + e);
        }
    }

    /**
     * Where the document and the examples disagree: a documented outcome without an example (unless
     * {@code elsewhere} names the test that produces it), an example of an outcome the document lacks, an answer
     * other than the one expected, or a media type the document does not give for it.
     */
    List<String> problems(OpenApiDocument document, Map<String, String> elsewhere) {
        List<String> problems = new ArrayList<>(failures);
        Set<OpenApiDocument.Outcome> documented = document.outcomes();
        for (OpenApiDocument.Outcome outcome : documented) {
            if (!answers.containsKey(outcome) && !elsewhere.containsKey(outcome.toString())) {
                problems.add(outcome + ": documented, but no example produces it");
            }
        }
        answers.forEach((expected, actual) -> {
            if (!documented.contains(expected)) {
                problems.add(expected + ": an example produces it, but the document lacks it");
            }
            if (actual == null) {
                return;
            }
            if (actual.status() != expected.status() || !Objects.equals(actual.error(), expected.error())) {
                problems.add(expected + ": the example was answered " + actual);
                return;
            }
            Set<String> types = document.mediaTypes(expected.operation(), expected.status());
            if (!types.isEmpty() && actual.mediaType() != null && !types.contains(actual.mediaType())) {
                problems.add(expected + ": answered as " + actual.mediaType() + ", documented as " + types);
                return;
            }
            if (actual.json() != null && types.contains(actual.mediaType())) {
                JsonNode schema = document.schema(expected.operation(), expected.status(), actual.mediaType());
                for (String departure : document.departures(schema, actual.json())) {
                    problems.add(expected + ": the body " + departure + ": " + actual.json());
                }
            }
        });
        return problems;
    }

    /**
     * One request through the pod's HTTP/1.1 client; the body and its content type may be null. A stream's answer is
     * read only up to its head, then closed.
     */
    static Answer http(TestPod pod, String method, String path, String token, String contentType, String body,
                       Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(pod.uri(path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        HttpResponse<InputStream> res = pod.client(HttpClient.Version.HTTP_1_1)
                .send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        String type = mediaType(res.headers().firstValue("content-type").orElse(null));
        try (InputStream in = res.body()) {
            return answer(res.statusCode(), type, "application/json".equals(type)
                    ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : null);
        }
    }

    /** A GET to any address (another port of a pod), without a token. */
    static Answer get(HttpClient client, java.net.URI uri) throws Exception {
        HttpResponse<InputStream> res = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                                                    HttpResponse.BodyHandlers.ofInputStream());
        String type = mediaType(res.headers().firstValue("content-type").orElse(null));
        try (InputStream in = res.body()) {
            return answer(res.statusCode(), type, "application/json".equals(type)
                    ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : null);
        }
    }

    static Answer get(TestPod pod, String path, String token) throws Exception {
        return http(pod, "GET", path, token, null, null, Map.of());
    }

    static Answer post(TestPod pod, String path, String token, String json) throws Exception {
        return http(pod, "POST", path, token, "application/json", json, Map.of());
    }

    /** A request written as raw bytes on a new connection (for what HTTP clients will not send), and its answer. */
    static Answer raw(int port, String request) throws Exception {
        try (RawHttp http = new RawHttp(port)) {
            http.send(request);
            RawHttp.Response res = http.read();
            if (res == null) {
                throw new AssertionError("the connection ended without an answer");
            }
            String type = mediaType(res.header("Content-Type"));
            return answer(res.status(), type, "application/json".equals(type) ? res.body() : null);
        }
    }

    private static String mediaType(String contentType) {
        return contentType == null ? null : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The answer, its error code read from a JSON error body (null: no JSON body, or a success, whose body may have an
     * {@code error} of its own: a failed job's code).
     */
    static Answer answer(int status, String mediaType, String jsonBody) {
        JsonNode json = null;
        if (jsonBody != null) {
            try {
                json = JSON.readTree(jsonBody);
            } catch (java.io.IOException e) {
                json = null;
            }
        }
        String error = status >= 400 && json != null && json.path("error").isTextual() ? json.get("error").asText()
                : null;
        return new Answer(status, error, mediaType, json);
    }
}
