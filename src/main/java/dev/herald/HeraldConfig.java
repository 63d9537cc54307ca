package dev.herald;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.spi.ConfigSource;

/**
 * Where settings come from, strongest first: {@code -D} system properties, the environment (with the short
 * names {@code SERVER_PORT}, {@code HERALD_JWT_SECRET}, {@code HERALD_DEV_MODE}, {@code HERALD_REDIS_URL}), the
 * file named by {@code herald.config} or {@code config/application.yaml}, and the defaults packaged in the jar.
 */
public final class HeraldConfig {
    private static final Map<String, String> ENV_ALIASES = Map.of(
            "SERVER_PORT", "server.port",
            "HERALD_JWT_SECRET", "herald.auth.jwt.secret",
            "HERALD_DEV_MODE", "herald.auth.dev-mode",
            "HERALD_REDIS_URL", "herald.redis.url",
            "HERALD_JOBS_EXPORT_PACE", "herald.jobs.export-pace");

    private HeraldConfig() {
    }

    /** The configuration of a process started from the command line. */
    public static Config load() {
        List<Supplier<? extends ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.systemProperties());
        Map<String, String> aliases = new HashMap<>();
        ENV_ALIASES.forEach((env, key) -> {
            String value = System.getenv(env);
            if (value != null && !value.isBlank()) {
                aliases.put(key, value);
            }
        });
        sources.add(ConfigSources.create(aliases));
        sources.add(ConfigSources.environmentVariables());
        Path file = Path.of(System.getProperty("herald.config", "config/application.yaml"));
        if (Files.isRegularFile(file)) {
            sources.add(ConfigSources.file(file));
        }
        sources.add(ConfigSources.classpath("application.yaml"));
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(sources)
                .build();
    }

    /** The packaged defaults under {@code overrides}, ignoring the environment: for tests and embedding. */
    public static Config withOverrides(Map<String, String> overrides) {
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(List.of(ConfigSources.create(overrides), ConfigSources.classpath("application.yaml")))
                .build();
    }
}
