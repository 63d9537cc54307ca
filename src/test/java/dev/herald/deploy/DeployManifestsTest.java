package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes/ and the Helm chart deploy/helm/herald (rendered by {@link HelmSubset}, there being no helm and
 * no cluster here) keep {@link DeployRules}, and the chart with its default values renders the plain manifests:
 * equal as parsed YAML, but for the labels only Helm adds.
 */
@Tag("unit")
class DeployManifestsTest {
    private static final Path PLAIN = Path.of("deploy/kubernetes");
    private static final Path CHART = Path.of("deploy/helm/herald");
    private static final Set<String> HELM_LABELS = Set.of("helm.sh/chart", "app.kubernetes.io/managed-by");

    @Test
    void plainManifests_keepTheRules() throws IOException {
        assertEquals(List.of(), rules().check(plain()));
    }

    @Test
    void chart_rendersManifestsThatKeepTheRules() throws IOException {
        assertEquals(List.of(), rules().check(rendered("herald")));
        assertEquals(List.of(), rules().check(rendered("other")), "names and selectors follow the release");
    }

    @Test
    void chart_withDefaultValues_rendersThePlainManifests() throws IOException {
        List<JsonNode> plain = plain();
        List<JsonNode> rendered = rendered("herald");
        assertEquals(plain.size(), rendered.size());
        for (JsonNode manifest : plain) {
            String kind = manifest.path("kind").asText();
            JsonNode twin = rendered.stream().filter(r -> r.path("kind").asText().equals(kind)).findFirst()
                    .orElseThrow(() -> new AssertionError("the chart renders no " + kind));
            assertEquals(manifest, withoutHelmLabels(twin.deepCopy()), kind + " of the chart and of " + PLAIN);
        }
    }

    @Test
    void kustomization_listsEveryPlainManifest() throws IOException {
        JsonNode kustomization = HelmSubset.yaml().readTree(PLAIN.resolve("kustomization.yaml").toFile());
        Set<String> listed = new TreeSet<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        assertEquals(manifestFiles().stream().map(p -> p.getFileName().toString())
                             .collect(java.util.stream.Collectors.toCollection(TreeSet::new)), listed);
    }

    @Test
    void rules_catchWhatTheyAreAbout() throws IOException {
        assertBreaks("the root filesystem is read-only",
                     d -> ((ObjectNode) container(d).path("securityContext")).remove("readOnlyRootFilesystem"));
        assertBreaks("terminationGracePeriodSeconds is above",
                     d -> ((ObjectNode) d.at("/spec/template/spec")).put("terminationGracePeriodSeconds", 25));
        assertBreaks("does not change the GC or memory options", d -> addEnv(d, "JAVA_TOOL_OPTIONS",
                     "-Dherald.config=config/production.yaml -XX:+UseG1GC"));
        assertBreaks("JAVA_TOOL_OPTIONS keeps the image's", d -> addEnv(d, "JAVA_TOOL_OPTIONS", "-Xss512k"));
        assertBreaks("no command", d -> container(d).putArray("command").add("java"));
        assertBreaks("names a setting of docs/api.md", d -> addEnv(d, "HERALD_SSE_MAX_CONNECTIONS", "10"));
        assertBreaks("the memory limit holds", d -> addEnv(d, "HERALD_SSE_MAX_DASH_CONNECTIONS", "20000"));
        assertBreaks("an emptyDir holds herald.jobs.result-dir", d -> addEnv(d, "HERALD_JOBS_RESULT_DASH_DIR", "/app"));
        assertBreaks("HERALD_REDIS_URL comes from a Secret", d -> addEnv(d, "HERALD_REDIS_URL", "redis://r:6379"));
        assertBreaks("readinessProbe asks /observe/health/ready",
                     d -> ((ObjectNode) container(d).at("/readinessProbe/httpGet")).put("path", "/"));
        assertBreaks("the PodDisruptionBudget lets a pod go",
                     d -> ((ObjectNode) d.path("spec")).put("replicas", 1), "pdb.yaml-minAvailable");
    }

    @Test
    void operationsGuide_saysWhatOpenFilesLimitThePodNeeds() throws IOException {
        String guide = Files.readString(Path.of("docs/operations.md"));
        assertTrue(guide.contains(String.format(java.util.Locale.ROOT, "%,d", DeployRules.DOCUMENTED_OPEN_FILES)),
                   "docs/operations.md names the open-files limit the manifests need");
    }

    private static void assertBreaks(String rule, Consumer<ObjectNode> change, String... variant) throws IOException {
        List<JsonNode> manifests = plain();
        for (JsonNode m : manifests) {
            if (m.path("kind").asText().equals("Deployment")) {
                change.accept((ObjectNode) m);
            }
            if (variant.length > 0 && m.path("kind").asText().equals("PodDisruptionBudget")) {
                ((ObjectNode) m.path("spec")).remove("maxUnavailable");
                ((ObjectNode) m.path("spec")).put("minAvailable", 1);
            }
        }
        List<String> broken = rules().check(manifests);
        assertTrue(broken.stream().anyMatch(b -> b.startsWith(rule) || b.contains(rule)),
                   "expected \"" + rule + "\" among " + broken);
    }

    private static ObjectNode container(ObjectNode deployment) {
        return (ObjectNode) deployment.at("/spec/template/spec/containers/0");
    }

    private static void addEnv(ObjectNode deployment, String name, String value) {
        ArrayNode env = (ArrayNode) container(deployment).path("env");
        for (int i = env.size() - 1; i >= 0; i--) {
            if (env.get(i).path("name").asText().equals(name)) {
                env.remove(i);
            }
        }
        env.addObject().put("name", name).put("value", value);
    }

    static DeployRules rules() throws IOException {
        return new DeployRules(imageToolOptions(), documentedSettings());
    }

    /** The Dockerfile's {@code ENV JAVA_TOOL_OPTIONS="…"}. */
    static String imageToolOptions() throws IOException {
        Matcher m = Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\"").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(m.find(), "the Dockerfile sets JAVA_TOOL_OPTIONS");
        return m.group(1);
    }

    /** Every key of docs/api.md's settings table; {@code `a.b.c`, `.d`} is a.b.c and a.b.d. */
    static Set<String> documentedSettings() throws IOException {
        Set<String> keys = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| (`[a-z][^|]*) \\|").matcher(Files.readString(Path.of("docs/api.md")));
        while (row.find()) {
            String first = null;
            Matcher key = Pattern.compile("`([a-z.-]+)`").matcher(row.group(1));
            while (key.find()) {
                String k = key.group(1);
                if (first == null) {
                    first = k;
                    keys.add(k);
                } else if (k.startsWith(".")) {
                    keys.add(first.substring(0, first.lastIndexOf('.')) + k);
                }
            }
        }
        assertTrue(keys.contains("herald.sse.shutdown-grace") && keys.size() > 40, "read docs/api.md: " + keys);
        return keys;
    }

    private static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.list(PLAIN)) {
            return files.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml"))
                    .sorted().toList();
        }
    }

    private static List<JsonNode> plain() throws IOException {
        List<JsonNode> manifests = new ArrayList<>();
        for (Path file : manifestFiles()) {
            manifests.add(HelmSubset.yaml().readTree(file.toFile()));
        }
        return manifests;
    }

    private static List<JsonNode> rendered(String release) throws IOException {
        List<JsonNode> manifests = new ArrayList<>();
        for (Map.Entry<String, String> file : HelmSubset.render(CHART, release).entrySet()) {
            try {
                manifests.add(HelmSubset.yaml().readTree(file.getValue()));
            } catch (IOException e) {
                throw new AssertionError("templates/" + file.getKey() + " renders no YAML:\n" + file.getValue(), e);
            }
        }
        return manifests;
    }

    private static JsonNode withoutHelmLabels(JsonNode manifest) {
        for (String at : List.of("/metadata/labels", "/spec/template/metadata/labels")) {
            if (manifest.at(at) instanceof ObjectNode labels) {
                labels.remove(HELM_LABELS);
            }
        }
        return manifest;
    }
}
