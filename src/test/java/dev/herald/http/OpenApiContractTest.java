package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

import dev.herald.HeraldConfig;
import dev.herald.Settings;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.auth.TokenIssuer;
import dev.herald.hub.Hub;
import dev.herald.hub.LocalBroker;
import dev.herald.hub.Publishing;
import dev.herald.jobs.Jobs;
import dev.herald.jobs.LocalJobStore;
import dev.herald.metrics.HeraldMetrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.uri.UriPath;
import io.helidon.http.PathMatchers;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.yaml against the server: every route {@link Routes} registers is documented and every documented one
 * exists; every status and error code documented has an example request here that a real pod answers with it (and
 * every example's outcome is documented, and its JSON body has the documented shape); the events a stream sends
 * have the shapes of their schemas; {@code GET /openapi.yaml} serves the repository's copy.
 */
class OpenApiContractTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    /** Routes Helidon's ObserveFeature adds beside the routing ({@code Listeners}); their examples prove them. */
    private static final Set<String> OBSERVE = Set.of("GET /observe/health", "GET /observe/health/live",
                                                      "GET /observe/health/ready", "GET /observe/metrics");
    /** Documented outcomes produced by another test, too costly to produce here: outcome → that test. */
    private static final Map<String, String> ELSEWHERE = Map.of(
            "GET /observe/health/live 503", "OpenFilesLimitTest: the listener dies at the open-files limit");
    /** The schema in components/schemas of each event type a stream sends; another type is a PublishedEvent. */
    private static final Map<String, String> EVENT_SCHEMAS = Map.ofEntries(
            Map.entry("chat", "ChatEvent"), Map.entry("presence", "PresenceEvent"),
            Map.entry("generation_started", "GenerationStartedEvent"),
            Map.entry("generation_progress", "GenerationProgressEvent"),
            Map.entry("generation_complete", "GenerationCompleteEvent"),
            Map.entry("generation_failed", "GenerationFailedEvent"), Map.entry("job_state", "JobStateEvent"),
            Map.entry("resync", "ResyncEvent"), Map.entry("ready", "ReadyEvent"),
            Map.entry("token_expired", "TokenExpiredEvent"), Map.entry("disconnect", "DisconnectEvent"));

    @Test
    void everyRegisteredRoute_isDocumented_andEveryDocumentedRouteExists() {
        OpenApiDocument document = OpenApiDocument.read();
        assertEquals("3.1.0", document.version());
        // the management port's routes too (AdminRoutes); /observe is there or here, by the observe feature
        List<RouteRecorder.Route> routes = new ArrayList<>(RouteRecorder.routes(parts()));
        RouteRecorder.managementRoutes(parts()).stream().filter(r -> !routes.contains(r)).forEach(routes::add);
        Set<String> documented = new TreeSet<>();
        document.operations().forEach(op -> documented.add(op.toString()));
        List<String> problems = new ArrayList<>();
        for (RouteRecorder.Route route : routes) {
            if (route.method().equals("HEAD") && routes.contains(new RouteRecorder.Route("GET", route.path()))) {
                continue; // HEAD beside GET is the GET without its body
            }
            boolean wildcard = route.path().contains("*") || route.path().contains("{+");
            boolean found = wildcard
                    ? document.operations().stream().anyMatch(op -> op.method().equals(route.method())
                                                                     && !op.path().startsWith("/api/")
                                                                     && matches(route.path(), op.path()))
                    : documented.contains(route.toString());
            if (!found) {
                problems.add("the server registers " + route + "; the document lacks it");
            }
        }
        for (OpenApiDocument.Operation op : document.operations()) {
            boolean exact = routes.stream().anyMatch(r -> r.toString().equals(op.toString()));
            // a static file is served by the wildcard route; its 200 example proves the file is there
            boolean file = !op.path().startsWith("/api/") && !op.path().contains("{") && routes.stream().anyMatch(
                    r -> r.method().equals(op.method()) && r.path().contains("*") && matches(r.path(), op.path()));
            if (!exact && !file && !OBSERVE.contains(op.toString())) {
                problems.add("the document lists " + op + "; the server registers no such route");
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems) + "\nregistered: " + routes);
    }

    @Test
    void openApiYaml_isServedAsYaml_byteForByteTheRepositorysCopy() {
        try (TestPod pod = TestPod.start(Map.of())) {
            HttpResponse<String> res = pod.get(H1, "/openapi.yaml", null);
            assertEquals(200, res.statusCode());
            assertEquals("application/yaml", res.headers().firstValue("content-type").orElse(""));
            assertArrayEquals(OpenApiDocument.read().bytes(), res.body().getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyDocumentedStatus_isWhatItsExampleGets_andEveryExamplesStatusIsDocumented() throws Exception {
        OpenApiDocument document = OpenApiDocument.read();
        ContractExamples examples = new ContractExamples();
        StatusExamples.sendAll(examples, document);
        List<String> problems = examples.problems(document, ELSEWHERE);
        assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
    }

    /**
     * A stream opened with {@code ?jobs} while a job runs, that sees the job's state, its own presence, a chat, an
     * export's start, progress and completion, a published event, the running job's failure and its end by a
     * disconnect: each event has the shape its schema in the document gives.
     */
    @Test
    void streamEvents_haveTheShapesOfTheirSchemas() {
        OpenApiDocument document = OpenApiDocument.read();
        try (TestPod pod = TestPod.start(Map.of())) {
            String alice = pod.token("alice");
            HttpResponse<String> created = pod.post(H1, "/api/jobs", pod.serviceToken(),
                                                    "{\"userId\":\"alice\",\"kind\":\"render\",\"meta\":{\"file\":\"a.pdf\"}}");
            assertEquals(201, created.statusCode(), created.body());
            JsonNode job = TestPod.json(created.body());
            try (SseClient stream = SseClient.open(pod.client(H1), pod.uri(
                    "/api/events?channel=channel:shapes&channel=user:alice&ready&jobs=1"), Map.of("Authorization", "Bearer " + alice))) {
                stream.awaitEvents("job_state", 1, WAIT);
                pod.chat(alice, "channel:shapes", "hello");
                pod.publish("channel:shapes", "poll.opened", "\"pollId\":\"p7\",\"options\":[1,2]");
                HttpResponse<String> export = pod.post(H1, "/api/jobs/export", alice, "{\"channel\":\"channel:shapes\"}");
                assertEquals(202, export.statusCode(), export.body());
                stream.awaitEvents("generation_complete", 1, WAIT);
                HttpResponse<String> failed = pod.post(H1, "/api/jobs/" + job.path("jobId").asText() + "/fail",
                                                       job.path("workerToken").asText(), "{\"error\":\"quota_exceeded\"}");
                assertEquals(200, failed.statusCode(), failed.body());
                stream.awaitEvents("generation_failed", 1, WAIT);
                pod.post(H1, "/api/users/alice/disconnect", pod.serviceToken(), "{\"reason\":\"banned\"}");
                stream.awaitEnd(WAIT);
                List<String> problems = new ArrayList<>();
                Set<String> types = new TreeSet<>();
                for (SseClient.Message message : stream.messages()) {
                    JsonNode event = message.json();
                    String type = event.path("type").asText();
                    types.add(type);
                    JsonNode schema = document.schema(EVENT_SCHEMAS.getOrDefault(type, "PublishedEvent"));
                    document.departures(schema, event).forEach(d -> problems.add(type + " " + d + ": " + event));
                }
                assertEquals(Set.of("ready", "job_state", "presence", "chat", "poll.opened", "generation_started",
                                    "generation_progress", "generation_complete", "generation_failed", "disconnect"),
                             types);
                assertTrue(problems.isEmpty(), String.join("\n", problems));
            }
        }
    }

    private static boolean matches(String pattern, String path) {
        return PathMatchers.create(pattern).match(UriPath.create(path)).accepted();
    }

    /**
     * What {@link Routes#register} needs to register every route (dev mode on); nothing is started. Built through the
     * record's constructor by type, the parts no service reads while registering left null, so that a new part does
     * not break this test.
     */
    private static Routes.Parts parts() {
        Settings settings = Settings.from(HeraldConfig.withOverrides(Map.of("herald.auth.dev-mode", "true",
                                                                            "herald.auth.jwt.secret", TestPod.SECRET))
                                                  .get("herald"));
        HeraldMetrics metrics = new HeraldMetrics(null, "contract");
        Hub hub = new Hub(new LocalBroker(10, Duration.ofMinutes(1)), metrics, settings.sse().heartbeat());
        BooleanSupplier draining = () -> false;
        // the job routes read the store while registering; nothing here starts (no sweeper, no results directory)
        Jobs jobs = new Jobs(new LocalJobStore(new Publishing(hub.broker(), metrics), null, 0, 0, Duration.ofHours(1)),
                             metrics, 3, Path.of(System.getProperty("java.io.tmpdir")), 1024, () -> { }, () -> { }, lost -> { });
        List<Object> known = List.of(hub, metrics, settings, draining, jobs,
                                     new TokenIssuer(TestPod.SECRET.getBytes(StandardCharsets.UTF_8)));
        RecordComponent[] components = Routes.Parts.class.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            Class<?> type = types[i];
            values[i] = known.stream().filter(type::isInstance).findFirst().orElse(null);
        }
        try {
            return Routes.Parts.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new LinkageError(e.getMessage(), e);
        }
    }
}
