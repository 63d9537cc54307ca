package dev.herald.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Renders a Helm chart written in a small subset of Helm's templating, as {@code helm template} would, for tests on
 * a machine without helm. Known: text; {@code {{- }}} and {@code {{ -}}} trimming; comments; {@code define} and
 * {@code end} in {@code _*.tpl}; {@code if}/{@code else}/{@code end}; values {@code .Values.a.b}, {@code .Release.Name},
 * {@code .Release.Namespace}, {@code .Release.Service}, {@code .Chart.Name}, {@code .Chart.Version},
 * {@code .Chart.AppVersion}, string and integer literals; functions {@code include "name" .}, {@code quote},
 * {@code toYaml}, {@code nindent N}, chained with {@code |}. Anything else throws {@link Unsupported}, naming it,
 * so a chart cannot use more of Helm than this renders. Numbers print as Helm prints the float64 it reads them as:
 * an integer under a million as is; anything else throws (Helm would write {@code 1e+06}).
 */
final class HelmSubset {
    private static final Pattern ACTION = Pattern.compile("\\{\\{(-\\s)?\\s*(.*?)\\s*(\\s-)?}}", Pattern.DOTALL);
    private static final Pattern TOKEN = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|\\||[^\\s|]+");

    /** A construct this subset does not render. */
    static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    private sealed interface Node permits Text, Output, If {
    }

    private record Text(String text) implements Node {
    }

    private record Output(List<String> pipeline) implements Node {
    }

    private record If(List<String> pipeline, List<Node> then, List<Node> otherwise) implements Node {
    }

    /** {@code .}: the root, which only {@code include} takes here. */
    private enum Dot { ROOT }

    private final Map<String, Object> root;
    private final Map<String, List<Node>> defined = new HashMap<>();

    private HelmSubset(Map<String, Object> root) {
        this.root = root;
    }

    /**
     * Renders every {@code templates/*.yaml} of the chart with its default values, as release {@code releaseName}:
     * file name to text, files that render to nothing left out.
     */
    static Map<String, String> render(Path chart, String releaseName) {
        Map<String, Object> chartYaml = readYaml(chart.resolve("Chart.yaml"));
        Map<String, Object> root = Map.of(
                "Values", readYaml(chart.resolve("values.yaml")),
                "Release", Map.of("Name", releaseName, "Namespace", "default", "Service", "Helm"),
                "Chart", Map.of("Name", chartYaml.get("name"), "Version", chartYaml.get("version"),
                                "AppVersion", chartYaml.get("appVersion")));
        HelmSubset renderer = new HelmSubset(root);
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(chart.resolve("templates"))) {
            List<Path> sorted = files.sorted().toList();
            for (Path file : sorted) {
                String name = file.getFileName().toString();
                if (name.startsWith("_")) {
                    List<Node> top = renderer.parse(Files.readString(file), name);
                    if (!renderer.render(top).isBlank()) {
                        throw new Unsupported(name + ": a helper file may only define templates");
                    }
                } else if (!name.endsWith(".yaml") && !name.equals("NOTES.txt")) {
                    throw new Unsupported("templates/" + name + ": not a .yaml template");
                }
            }
            for (Path file : sorted) {
                String name = file.getFileName().toString();
                if (name.endsWith(".yaml")) {
                    String text = renderer.render(renderer.parse(Files.readString(file), name));
                    if (!text.isBlank()) {
                        out.put(name, text);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Renders one template text against {@code values}, for tests of this class. */
    static String renderText(String template, Map<String, Object> values) {
        HelmSubset renderer = new HelmSubset(Map.of("Values", values, "Release", Map.of("Name", "r"),
                                                    "Chart", Map.of("Name", "c")));
        return renderer.render(renderer.parse(template, "inline"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(Path file) {
        try {
            return HelmValues.YAML.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits into text and actions, trims, and builds the tree; {@code define} bodies go to {@link #defined}. */
    private List<Node> parse(String template, String where) {
        List<Object> flat = new ArrayList<>();
        Matcher m = ACTION.matcher(template);
        int at = 0;
        boolean trimNext = false;
        while (m.find()) {
            String text = template.substring(at, m.start());
            if (trimNext) {
                text = text.stripLeading();
            }
            if (m.group(1) != null) {
                text = text.stripTrailing();
            }
            flat.add(new Text(text));
            String body = m.group(2);
            if (!(body.startsWith("/*") && body.endsWith("*/"))) {
                flat.add(tokens(body, where));
            }
            trimNext = m.group(3) != null;
            at = m.end();
        }
        String tail = template.substring(at);
        flat.add(new Text(trimNext ? tail.stripLeading() : tail));
        int[] index = {0};
        List<Node> top = block(flat, index, where, true);
        if (index[0] < flat.size()) {
            throw new Unsupported(where + ": an {{ end }} or {{ else }} without its {{ if }}");
        }
        return top;
    }

    private static List<String> tokens(String action, String where) {
        if (action.contains("{{") || action.contains("(") || action.contains(":=") || action.startsWith("$")) {
            throw new Unsupported(where + ": {{ " + action + " }}");
        }
        List<String> tokens = new ArrayList<>();
        Matcher t = TOKEN.matcher(action);
        while (t.find()) {
            tokens.add(t.group());
        }
        return tokens;
    }

    /** Nodes up to an {@code end} or {@code else} (left unconsumed) or the end of input. */
    @SuppressWarnings("unchecked")
    private List<Node> block(List<Object> flat, int[] index, String where, boolean top) {
        List<Node> nodes = new ArrayList<>();
        while (index[0] < flat.size()) {
            Object item = flat.get(index[0]);
            if (item instanceof Text text) {
                nodes.add(text);
                index[0]++;
                continue;
            }
            List<String> tokens = (List<String>) item;
            String keyword = tokens.get(0);
            if (keyword.equals("end") || keyword.equals("else")) {
                if (tokens.size() != 1) {
                    throw new Unsupported(where + ": {{ " + String.join(" ", tokens) + " }}");
                }
                return nodes;
            }
            index[0]++;
            switch (keyword) {
                case "if" -> {
                    List<Node> then = block(flat, index, where, false);
                    List<Node> otherwise = List.of();
                    if (isKeyword(flat, index[0], "else")) {
                        index[0]++;
                        otherwise = block(flat, index, where, false);
                    }
                    expectEnd(flat, index, where);
                    nodes.add(new If(tokens.subList(1, tokens.size()), then, otherwise));
                }
                case "define" -> {
                    if (!top || tokens.size() != 2) {
                        throw new Unsupported(where + ": define only at the top, with one name");
                    }
                    List<Node> body = block(flat, index, where, false);
                    expectEnd(flat, index, where);
                    defined.put(unquote(tokens.get(1), where), body);
                }
                case "range", "with", "template", "block", "tpl", "required", "default", "printf", "toJson",
                     "indent", "trunc", "trimSuffix", "lookup" ->
                        throw new Unsupported(where + ": {{ " + String.join(" ", tokens) + " }}");
                default -> nodes.add(new Output(tokens));
            }
        }
        if (!top) {
            throw new Unsupported(where + ": an {{ if }} or {{ define }} without {{ end }}");
        }
        return nodes;
    }

    @SuppressWarnings("unchecked")
    private static boolean isKeyword(List<Object> flat, int index, String keyword) {
        return index < flat.size() && flat.get(index) instanceof List<?> tokens
               && ((List<String>) tokens).get(0).equals(keyword);
    }

    private static void expectEnd(List<Object> flat, int[] index, String where) {
        if (!isKeyword(flat, index[0], "end")) {
            throw new Unsupported(where + ": an {{ if }} or {{ define }} without {{ end }}");
        }
        index[0]++;
    }

    private String render(List<Node> nodes) {
        StringBuilder out = new StringBuilder();
        for (Node node : nodes) {
            switch (node) {
                case Text text -> out.append(text.text());
                case Output output -> out.append(HelmValues.print(pipeline(output.pipeline())));
                case If branch -> out.append(render(HelmValues.truthy(pipeline(branch.pipeline())) ? branch.then()
                                                                                        : branch.otherwise()));
            }
        }
        return out.toString();
    }

    /** Runs {@code a | b c | d}: each stage gets the previous stage's value as its last argument. */
    private Object pipeline(List<String> tokens) {
        Object value = null;
        boolean first = true;
        List<String> stage = new ArrayList<>();
        for (int i = 0; i <= tokens.size(); i++) {
            if (i < tokens.size() && !tokens.get(i).equals("|")) {
                stage.add(tokens.get(i));
                continue;
            }
            if (stage.isEmpty()) {
                throw new Unsupported("an empty pipeline stage in {{ " + String.join(" ", tokens) + " }}");
            }
            List<Object> args = new ArrayList<>();
            for (String arg : stage.subList(1, stage.size())) {
                args.add(operand(arg));
            }
            if (!first) {
                args.add(value);
            }
            value = stage.size() == 1 && first ? operand(stage.get(0)) : call(stage.get(0), args);
            first = false;
            stage.clear();
        }
        return value;
    }

    private Object call(String function, List<Object> args) {
        return switch (function) {
            case "quote" -> {
                one(function, args);
                yield HelmValues.quote(HelmValues.print(args.get(0)));
            }
            case "toYaml" -> {
                one(function, args);
                yield HelmValues.toYaml(args.get(0));
            }
            case "nindent" -> {
                if (args.size() != 2 || !(args.get(0) instanceof Integer n)) {
                    throw new Unsupported("nindent takes a count and a value");
                }
                String pad = " ".repeat(n);
                yield "\n" + pad + HelmValues.print(args.get(1)).replace("\n", "\n" + pad);
            }
            case "include" -> {
                if (args.size() != 2 || !(args.get(0) instanceof String name) || args.get(1) != Dot.ROOT) {
                    throw new Unsupported("include takes a template name and . (the root)");
                }
                List<Node> body = defined.get(name);
                if (body == null) {
                    throw new Unsupported("include of an undefined template \"" + name + "\"");
                }
                yield render(body);
            }
            default -> throw new Unsupported("the function " + function);
        };
    }

    private static void one(String function, List<Object> args) {
        if (args.size() != 1) {
            throw new Unsupported(function + " with " + args.size() + " arguments");
        }
    }

    /** A literal, {@code .} or a field path from the root. */
    @SuppressWarnings("unchecked")
    private Object operand(String token) {
        if (token.startsWith("\"")) {
            return unquote(token, "operand");
        }
        if (token.matches("-?\\d+")) {
            return Integer.valueOf(token);
        }
        if (token.equals(".")) {
            return Dot.ROOT;
        }
        if (!token.matches("(\\.[A-Za-z_][A-Za-z0-9_-]*)+") || !token.matches("\\.(Values|Release|Chart)(\\..*)?")) {
            throw new Unsupported("the operand " + token);
        }
        Object value = root;
        String[] path = token.substring(1).split("\\.");
        for (int i = 0; i < path.length; i++) {
            if (!(value instanceof Map<?, ?> map)) {
                throw new Unsupported(token + ": " + path[i - 1] + " is not a map (Helm: nil pointer evaluating)");
            }
            value = ((Map<String, Object>) map).get(path[i]);
        }
        return value;
    }

    private static String unquote(String token, String where) {
        if (!token.matches("\"[^\"\\\\]*\"")) {
            throw new Unsupported(where + ": the string " + token);
        }
        return token.substring(1, token.length() - 1);
    }

    /** Parses rendered or plain manifests with the same YAML reader. */
    static ObjectMapper yaml() {
        return HelmValues.YAML;
    }
}
