package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus/herald-alerts.yaml holds every example alert of docs/metrics.md and reads only metrics the
 * document lists; promtool (Debian's prometheus package), when installed, accepts it and passes its unit tests.
 */
@Tag("unit")
class AlertRulesTest {
    private static final Path RULES = Path.of("deploy/prometheus/herald-alerts.yaml");
    private static final Pattern EXAMPLE = Pattern.compile("(?i)example alert:?\\s*`([^`]+)`(\\s+for\\s+(\\d+)\\s+minutes)?");

    @Test
    void everyExpression_readsOnlyDocumentedMetrics() throws IOException {
        Set<String> documented = MetricNames.documented();
        List<String> exprs = expressions();
        assertTrue(exprs.size() >= 9, "rules read: " + exprs);
        for (String expr : exprs) {
            Set<String> unknown = new TreeSet<>(MetricNames.in(expr));
            assertTrue(!unknown.isEmpty(), "a metric in " + expr);
            unknown.removeAll(documented);
            assertEquals(Set.of(), unknown, "metrics of " + expr + " that docs/metrics.md does not list");
        }
    }

    @Test
    void everyExampleAlertOfTheMetricsGuide_isARule_withItsDuration() throws IOException {
        Map<String, String> durations = new HashMap<>();
        for (JsonNode rule : rules()) {
            durations.put(spaces(rule.path("expr").asText()), rule.path("for").asText(""));
        }
        Matcher example = EXAMPLE.matcher(Files.readString(Path.of("docs/metrics.md")));
        int found = 0;
        while (example.find()) {
            found++;
            String expr = spaces(example.group(1));
            assertTrue(durations.containsKey(expr), "docs/metrics.md's example alert " + expr + " is in " + RULES);
            String minutes = example.group(3) == null ? "" : example.group(3) + "m";
            assertEquals(minutes, durations.get(expr), "the rule's for: of " + expr + ", as docs/metrics.md says");
        }
        assertTrue(found >= 9, "examples read: " + found);
    }

    @Test
    void promtool_acceptsTheRulesAndPassesTheirTests() throws IOException, InterruptedException {
        Path promtool = Path.of("/usr/bin/promtool");
        assumeTrue(Files.isExecutable(promtool), "promtool is installed (apt-get install prometheus)");
        run(promtool.toString(), "check", "rules", RULES.toString());
        run(promtool.toString(), "test", "rules", "deploy/prometheus/herald-alerts.test.yaml");
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " returned");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    }

    private static List<String> expressions() throws IOException {
        return rules().stream().map(rule -> rule.path("expr").asText()).toList();
    }

    private static List<JsonNode> rules() throws IOException {
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode group : HelmSubset.yaml().readTree(RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                assertTrue(rule.path("alert").isTextual() && rule.path("expr").isTextual(), "an alert: " + rule);
                rules.add(rule);
            }
        }
        return rules;
    }

    private static String spaces(String expr) {
        return expr.strip().replaceAll("\\s+", " ");
    }
}
