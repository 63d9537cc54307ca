package dev.herald.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The rules a Herald Deployment, Service and PodDisruptionBudget must keep (issue 16, item 2; docs/operations.md),
 * as a list of the rules broken. Settings are read the way the pod reads them: {@code -D} options in
 * {@code JAVA_TOOL_OPTIONS} (the pod's, else the image's), the pod's environment, the file named by
 * {@code herald.config}, then the documented defaults.
 */
final class DeployRules {
    /** The lowest hard open-files limit common container runtimes give (systemd's default, inherited by
     * containerd 2 and Docker 25+); containerd 1.x and older Docker give 1,048,576. */
    static final long RUNTIME_OPEN_FILES = 524_288;
    /** What docs/operations.md and the manifests say the pod needs. */
    static final long DOCUMENTED_OPEN_FILES = 10_600;
    /** FileBudget's reserve with Redis and a management port: ~100 open at start, the server socket, Redis' 129,
     * the management listener's 17, 64 spare. */
    static final long RESERVE = 100 + 1 + 129 + 17 + 64;
    private static final Set<String> SECRETS = Set.of("HERALD_REDIS_URL", "HERALD_JWT_SECRET");
    private static final Map<String, String> ALIASES = Map.of("SERVER_PORT", "server.port",
            "HERALD_JWT_SECRET", "herald.auth.jwt.secret", "HERALD_DEV_MODE", "herald.auth.dev-mode",
            "HERALD_REDIS_URL", "herald.redis.url");
    private static final Pattern JVM_OVERRIDES = Pattern.compile(
            "-XX:[+-]Use\\w*GC|-Xmn|-XX:MaxRAMPercentage|-XX:-UseCompactObjectHeaders|-XX:NewSize|-Xmx|-Xms");

    private final String imageToolOptions;
    private final Set<String> documentedKeys;
    private final List<String> broken = new ArrayList<>();

    /**
     * @param imageToolOptions the Dockerfile's {@code JAVA_TOOL_OPTIONS}
     * @param documentedKeys   every setting key in docs/api.md's table
     */
    DeployRules(String imageToolOptions, Set<String> documentedKeys) {
        this.imageToolOptions = imageToolOptions;
        this.documentedKeys = documentedKeys;
    }

    /** The rules {@code manifests} (one object each) break; empty when they keep all. */
    List<String> check(List<JsonNode> manifests) {
        broken.clear();
        JsonNode deployment = only(manifests, "Deployment");
        JsonNode service = only(manifests, "Service");
        JsonNode pdb = only(manifests, "PodDisruptionBudget");
        if (deployment == null || service == null || pdb == null) {
            return List.copyOf(broken);
        }
        JsonNode pod = deployment.at("/spec/template/spec");
        JsonNode labels = deployment.at("/spec/template/metadata/labels");
        JsonNode container = pod.at("/containers/0");
        Map<String, String> env = env(container);
        Function<String, Optional<String>> setting = settings(env);

        probes(container, setting);
        shutdown(pod, container, setting);
        nonRoot(pod, container);
        writablePaths(pod, container, setting);
        resources(container, setting);
        openFiles(env, setting);
        jvmOptions(container, env);
        rule(matches(deployment.at("/spec/selector/matchLabels"), labels), "the Deployment's selector matches its pods");
        rule(matches(service.at("/spec/selector"), labels), "the Service selects the Deployment's pods");
        for (JsonNode port : service.at("/spec/ports")) {
            String target = port.path("targetPort").asText();
            rule(portNumber(container, target).isPresent() && !target.equals("management")
                 && !target.equals(setting.apply("herald.management.port").orElse("-")),
                 "the Service's targetPort " + target + " is a container port, not the management port");
        }
        rule(matches(pdb.at("/spec/selector/matchLabels"), labels), "the PodDisruptionBudget selects the pods");
        int replicas = deployment.at("/spec/replicas").asInt(1);
        rule(pdb.at("/spec/maxUnavailable").asInt(0) >= 1
             || (pdb.at("/spec/minAvailable").isInt() && pdb.at("/spec/minAvailable").asInt() < replicas),
             "the PodDisruptionBudget lets a pod go (maxUnavailable ≥ 1 or minAvailable < replicas)");
        return List.copyOf(broken);
    }

    private void probes(JsonNode container, Function<String, Optional<String>> setting) {
        String port = setting.apply("herald.management.port").orElse(setting.apply("server.port").orElse("8080"));
        for (String[] probe : new String[][] {{"readinessProbe", "/observe/health/ready"},
                                              {"livenessProbe", "/observe/health/live"}}) {
            JsonNode get = container.path(probe[0]).path("httpGet");
            rule(get.path("path").asText().equals(probe[1]), probe[0] + " asks " + probe[1]);
            rule(portNumber(container, get.path("port").asText()).map(String::valueOf).orElse("").equals(port),
                 probe[0] + " asks port " + port + " (herald.management.port, else server.port)");
        }
    }

    private void shutdown(JsonNode pod, JsonNode container, Function<String, Optional<String>> setting) {
        JsonNode preStop = container.at("/lifecycle/preStop");
        long sleep = -1;
        JsonNode command = preStop.at("/exec/command");
        if (command.size() == 2 && command.get(0).asText().equals("sleep") && command.get(1).asText().matches("\\d+")) {
            sleep = Long.parseLong(command.get(1).asText());
        } else if (preStop.at("/sleep/seconds").isInt()) {
            sleep = preStop.at("/sleep/seconds").asLong();
        }
        rule(sleep > 0, "a preStop hook sleeps (exec [sleep, N] or sleep.seconds)");
        long grace = Duration.parse(setting.apply("herald.sse.shutdown-grace").orElse("PT10S")).toSeconds();
        rule(pod.path("terminationGracePeriodSeconds").asLong(30) > grace + Math.max(0, sleep),
             "terminationGracePeriodSeconds is above the preStop sleep (" + sleep + " s) + herald.sse.shutdown-grace ("
             + grace + " s)");
    }

    private void nonRoot(JsonNode pod, JsonNode container) {
        JsonNode podContext = pod.path("securityContext");
        JsonNode context = container.path("securityContext");
        rule(context.path("runAsNonRoot").asBoolean(podContext.path("runAsNonRoot").asBoolean(false)),
             "runAsNonRoot is true");
        rule(context.path("runAsUser").asLong(podContext.path("runAsUser").asLong(1)) != 0, "runAsUser is not 0");
        rule(context.path("allowPrivilegeEscalation").isBoolean()
             && !context.path("allowPrivilegeEscalation").asBoolean(), "allowPrivilegeEscalation is false");
        rule(context.path("readOnlyRootFilesystem").asBoolean(false), "the root filesystem is read-only");
    }

    /** /tmp (java.io.tmpdir) and herald.jobs.result-dir on emptyDirs, the results' one big enough. */
    private void writablePaths(JsonNode pod, JsonNode container, Function<String, Optional<String>> setting) {
        Optional<JsonNode> tmp = emptyDirAt(pod, container, "/tmp");
        rule(tmp.isPresent(), "an emptyDir is mounted at /tmp (java.io.tmpdir)");
        String resultDir = setting.apply("herald.jobs.result-dir").orElse("/tmp");
        Optional<JsonNode> results = emptyDirAt(pod, container, resultDir);
        rule(results.isPresent(), "an emptyDir holds herald.jobs.result-dir (" + resultDir + ")");
        long maxResultBytes = Long.parseLong(setting.apply("herald.jobs.max-result-bytes").orElse("268435456"));
        rule(results.map(dir -> bytes(dir.path("sizeLimit").asText("0")) >= maxResultBytes).orElse(false),
             "the results emptyDir's sizeLimit holds herald.jobs.max-result-bytes (" + maxResultBytes + ")");
    }

    private void resources(JsonNode container, Function<String, Optional<String>> setting) {
        JsonNode resources = container.path("resources");
        rule(resources.at("/requests/cpu").isTextual() || resources.at("/requests/cpu").isNumber(), "a CPU request");
        String request = resources.at("/requests/memory").asText("");
        String limit = resources.at("/limits/memory").asText("");
        rule(!limit.isEmpty() && limit.equals(request), "a memory limit, equal to the request");
        long streams = Long.parseLong(setting.apply("herald.sse.max-connections").orElse("10000"));
        long needed = streams * 20_000 + 250_000_000;
        rule(!limit.isEmpty() && bytes(limit) >= needed,
             "the memory limit holds herald.sse.max-connections × 20 KB + 250 MB (" + needed + " bytes)");
    }

    private void openFiles(Map<String, String> env, Function<String, Optional<String>> setting) {
        rule(env.containsKey("HERALD_SSE_MAX_DASH_CONNECTIONS"), "the pod sets herald.sse.max-connections itself");
        long streams = Long.parseLong(setting.apply("herald.sse.max-connections").orElse("10000"));
        long connections = setting.apply("herald.http.max-connections").map(Long::parseLong).orElse(0L);
        rule(connections == 0 || connections >= streams + 16,
             "herald.http.max-connections is 0 or at least herald.sse.max-connections + 16");
        long files = Math.max(streams + 32, connections + 16) + RESERVE;
        rule(files <= DOCUMENTED_OPEN_FILES && DOCUMENTED_OPEN_FILES <= RUNTIME_OPEN_FILES,
             "the caps need " + files + " open files: at most the documented " + DOCUMENTED_OPEN_FILES
             + ", under the runtimes' " + RUNTIME_OPEN_FILES);
    }

    private void jvmOptions(JsonNode container, Map<String, String> env) {
        rule(container.path("command").isMissingNode(), "no command: the image's ENTRYPOINT passes config/jvm.options");
        rule(container.path("args").isMissingNode(), "no args");
        rule(!env.containsKey("_JAVA_OPTIONS"), "no _JAVA_OPTIONS (it comes after config/jvm.options)");
        if (env.containsKey("JAVA_TOOL_OPTIONS")) {
            rule(Arrays.asList(env.get("JAVA_TOOL_OPTIONS").split("\\s+"))
                         .containsAll(Arrays.asList(imageToolOptions.split("\\s+"))),
                 "JAVA_TOOL_OPTIONS keeps the image's " + imageToolOptions);
        }
        for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            rule(!JVM_OVERRIDES.matcher(env.getOrDefault(name, "")).find(),
                 name + " does not change the GC or memory options of config/jvm.options");
        }
    }

    private Map<String, String> env(JsonNode container) {
        Map<String, String> env = new HashMap<>();
        for (JsonNode var : container.path("env")) {
            String name = var.path("name").asText();
            JsonNode value = var.path("value");
            rule(value.isMissingNode() || value.isTextual(), "env " + name + " is a string");
            rule(!name.startsWith("HERALD_") || ALIASES.containsKey(name) || documentedKeys.contains(key(name)),
                 "env " + name + " names a setting of docs/api.md (" + key(name) + ")");
            if (SECRETS.contains(name)) {
                rule(value.isMissingNode() && var.at("/valueFrom/secretKeyRef/name").isTextual(),
                     "env " + name + " comes from a Secret");
            }
            env.put(name, value.isMissingNode() ? "<from " + var.path("valueFrom") + ">" : value.asText());
        }
        return env;
    }

    /** A setting as the pod reads it. */
    private Function<String, Optional<String>> settings(Map<String, String> env) {
        Map<String, String> system = new HashMap<>();
        Matcher d = Pattern.compile("-D([^=\\s]+)=(\\S*)").matcher(env.getOrDefault("JAVA_TOOL_OPTIONS", imageToolOptions));
        while (d.find()) {
            system.put(d.group(1), d.group(2));
        }
        JsonNode file = readConfig(system.getOrDefault("herald.config", "config/application.yaml"));
        return key -> {
            if (system.containsKey(key)) {
                return Optional.of(system.get(key));
            }
            for (Map.Entry<String, String> var : env.entrySet()) {
                if (key.equals(ALIASES.get(var.getKey())) || key.equals(key(var.getKey()))) {
                    return Optional.of(var.getValue());
                }
            }
            JsonNode node = file;
            for (String part : key.split("\\.")) {
                node = node.path(part);
            }
            return node.isValueNode() ? Optional.of(node.asText()) : Optional.empty();
        };
    }

    private static JsonNode readConfig(String path) {
        try {
            return HelmSubset.yaml().readTree(Files.readString(Path.of(path)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Helidon's reading of an environment variable's name: {@code HERALD_SSE_MAX_DASH_CONNECTIONS}. */
    static String key(String envName) {
        return envName.replace("_DASH_", "-").replace("_dash_", "-").replace('_', '.').toLowerCase(java.util.Locale.ROOT);
    }

    private static Optional<JsonNode> emptyDirAt(JsonNode pod, JsonNode container, String path) {
        for (JsonNode mount : container.path("volumeMounts")) {
            String at = mount.path("mountPath").asText();
            if (path.equals(at) || path.startsWith(at.endsWith("/") ? at : at + "/")) {
                for (JsonNode volume : pod.path("volumes")) {
                    if (volume.path("name").asText().equals(mount.path("name").asText())
                        && volume.has("emptyDir") && !mount.path("readOnly").asBoolean(false)) {
                        return Optional.of(volume.path("emptyDir"));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Integer> portNumber(JsonNode container, String port) {
        if (port.matches("\\d+")) {
            return Optional.of(Integer.valueOf(port));
        }
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(port)) {
                return Optional.of(p.path("containerPort").asInt());
            }
        }
        return Optional.empty();
    }

    /** A Kubernetes quantity in bytes: 512Mi, 1Gi, 450M, 536870912. */
    static long bytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(quantity);
        if (!m.matches()) {
            return -1;
        }
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).longValue();
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        if (!selector.isObject() || selector.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, JsonNode> entry : selector.properties()) {
            if (!entry.getValue().equals(labels.path(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private JsonNode only(List<JsonNode> manifests, String kind) {
        List<JsonNode> found = manifests.stream().filter(m -> m.path("kind").asText().equals(kind)).toList();
        rule(found.size() == 1, "exactly one " + kind + " (found " + found.size() + ")");
        return found.size() == 1 ? found.get(0) : null;
    }

    private void rule(boolean kept, String rule) {
        if (!kept) {
            broken.add(rule);
        }
    }
}
