package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/herald-dashboard.json: a Grafana dashboard over a Prometheus data source chosen by a variable,
 * whose every expression reads metrics docs/metrics.md lists, with a panel for each thing issue 16 asks to see.
 */
@Tag("unit")
class DashboardTest {
    private static final List<String> SHOWN = List.of(
            "sse_connections_total", "herald_events_published_total", "sse_events_sent_total",
            "sse_events_dropped_total", "sse_slow_consumer_disconnects_total",
            "herald_delivery_latency_seconds_bucket", "herald_redis_subscriber_reconnects_total",
            "herald_auth_failures_total", "herald_http_connections_cut_total");

    @Test
    void everyPanel_readsDocumentedMetricsFromTheChosenDataSource() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("deploy/grafana/herald-dashboard.json").toFile());
        assertTrue(dashboard.path("schemaVersion").asInt() >= 36, "a current schema");
        JsonNode datasource = null;
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("type").asText().equals("datasource")) {
                datasource = variable;
            }
        }
        assertTrue(datasource != null && datasource.path("query").asText().equals("prometheus"),
                   "a Prometheus data source variable");
        String chosen = "${" + datasource.path("name").asText() + "}";
        Set<String> documented = MetricNames.documented();
        Set<String> read = new TreeSet<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertTrue(ids.add(panel.path("id").asInt()), "panel ids are unique: " + title);
            assertTrue(panel.path("gridPos").has("w"), title + " has a place");
            assertEquals(chosen, panel.at("/datasource/uid").asText(), title + " reads the chosen data source");
            assertFalse(panel.path("targets").isEmpty(), title + " has queries");
            for (JsonNode target : panel.path("targets")) {
                Set<String> names = MetricNames.in(target.path("expr").asText());
                assertFalse(names.isEmpty(), title + ": a metric in " + target.path("expr"));
                Set<String> unknown = new TreeSet<>(names);
                unknown.removeAll(documented);
                assertEquals(Set.of(), unknown, title + ": metrics docs/metrics.md does not list");
                read.addAll(names);
            }
        }
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("type").asText().equals("query")) {
                String query = variable.at("/query/query").asText(variable.path("query").asText());
                Set<String> names = MetricNames.in(query.replaceAll("label_values\\((\\w+),.*\\)", "$1"));
                assertTrue(documented.containsAll(names), "variable " + variable.path("name") + ": " + names);
            }
        }
        assertTrue(read.containsAll(SHOWN), "panels show " + SHOWN + "; they read " + read);
    }

    @Test
    void metricNames_areFoundInExpressions() {
        assertEquals(Set.of("herald_delivery_latency_seconds_bucket"), MetricNames.in(
                "histogram_quantile(0.99, sum by (le) (rate(herald_delivery_latency_seconds_bucket{pod=~\"$pod\"}"
                + "[$__rate_interval])))"));
        assertEquals(Set.of("a_total", "b"), MetricNames.in("increase(a_total{reason=\"x\"}[5m]) > 0.9 * b offset 5m"));
    }
}
