package dev.herald.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names docs/metrics.md lists, and the ones a PromQL expression reads. */
final class MetricNames {
    private static final Pattern SUMMARY_ROW = Pattern.compile("(?m)^\\| `([a-z_:]+)[^`]*` \\| ([^|]+) \\|");
    /** Label matchers, strings, ranges and label lists: nothing in them is a metric. */
    private static final Pattern NOT_NAMES = Pattern.compile(
            "\\{[^}]*}|\"[^\"]*\"|'[^']*'|\\[[^]]*]|\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
                                                       "bool", "and", "or", "unless", "offset", "inf", "nan");

    private MetricNames() {
    }

    /**
     * Names as exported, from docs/metrics.md's summary table: counters as listed (with {@code _total}); a timer
     * exposed as a histogram as its {@code _bucket}, {@code _count}, {@code _sum} and {@code _max} series.
     */
    static Set<String> documented() throws IOException {
        String markdown = Files.readString(Path.of("docs/metrics.md"));
        String summary = markdown.substring(markdown.indexOf("## Summary"), markdown.indexOf("## The meters"));
        Set<String> names = new TreeSet<>();
        Matcher row = SUMMARY_ROW.matcher(summary);
        while (row.find()) {
            String name = row.group(1);
            if (row.group(2).contains("histogram")) {
                for (String series : new String[] {"_bucket", "_count", "_sum", "_max"}) {
                    names.add(name + series);
                }
            } else {
                names.add(name);
            }
        }
        if (names.size() < 20) {
            throw new IllegalStateException("docs/metrics.md's summary table was not read: " + names);
        }
        return names;
    }

    /** The metric names {@code expr} reads. */
    static Set<String> in(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher id = IDENTIFIER.matcher(NOT_NAMES.matcher(expr).replaceAll(" "));
        while (id.find()) {
            if (!KEYWORDS.contains(id.group(1).toLowerCase(java.util.Locale.ROOT))) {
                names.add(id.group(1));
            }
        }
        return names;
    }
}
