package dev.herald.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.herald.deploy.HelmSubset.Unsupported;

/** How {@link HelmSubset} prints, quotes, serializes and tests values from values.yaml, as Helm does. */
final class HelmValues {
    static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                    .build())
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private HelmValues() {
    }

    /** Go template truth: false, 0, "", empty maps and lists and missing values are false. */
    static boolean truthy(Object value) {
        return switch (value) {
            case null -> false;
            case Boolean b -> b;
            case Number n -> n.doubleValue() != 0;
            case String s -> !s.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case List<?> l -> !l.isEmpty();
            default -> throw new Unsupported("the truth of a " + value.getClass().getSimpleName());
        };
    }

    /** What Go's {@code %v} writes for a value from values.yaml (numbers are float64 there). */
    static String print(Object value) {
        return switch (value) {
            case null -> throw new Unsupported("a missing value (Helm writes <no value>)");
            case String s -> s;
            case Boolean b -> b.toString();
            case Number n -> {
                BigDecimal d = new BigDecimal(n.toString());
                if (d.stripTrailingZeros().scale() > 0 || d.abs().compareTo(BigDecimal.valueOf(1_000_000)) >= 0) {
                    throw new Unsupported("the number " + n + ": Helm reads it as a float64 and may print it as "
                                          + "1e+06 or 0.5; quote it in values.yaml");
                }
                yield d.toBigInteger().toString();
            }
            default -> throw new Unsupported("printing a " + value.getClass().getSimpleName() + " (use toYaml)");
        };
    }

    /** Go's {@code %q} for printable ASCII; anything else is not needed and throws. */
    static String quote(String s) {
        if (!s.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new Unsupported("quoting a string with control or non-ASCII characters: " + s);
        }
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static String toYaml(Object value) {
        try {
            String yaml = YAML.writeValueAsString(value);
            return yaml.endsWith("\n") ? yaml.substring(0, yaml.length() - 1) : yaml;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
