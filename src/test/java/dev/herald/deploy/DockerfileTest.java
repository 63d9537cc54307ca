package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The image runs the Java the build, the tests (.ci/run) and the benchmarks (bench/lib.sh) run on, with
 * config/jvm.options (issue 16, item 3).
 */
@Tag("unit")
class DockerfileTest {
    private static final Pattern FROM = Pattern.compile("(?m)^FROM\\s+(\\S+)");
    private static final Pattern TEMURIN = Pattern.compile("temurin[-:](\\d+)");
    private static final Pattern JDK_PATH = Pattern.compile("/usr/lib/jvm/temurin-(\\d+)-jdk");

    @Test
    void everyBaseImage_isTheJavaTheTestsAndBenchmarksRunOn() throws IOException {
        int ci = firstJdk(".ci/run");
        assertEquals(ci, firstJdk("bench/lib.sh"), "bench/lib.sh runs the JDK .ci/run picks");
        List<String> images = new ArrayList<>();
        Matcher from = FROM.matcher(Files.readString(Path.of("Dockerfile")));
        while (from.find()) {
            images.add(from.group(1));
        }
        assertEquals(2, images.size(), "a build stage and a run stage: " + images);
        for (String image : images) {
            Matcher major = TEMURIN.matcher(image);
            assertTrue(major.find(), image + " names its Java version (eclipse-temurin:N…, …-eclipse-temurin-N)");
            assertEquals(ci, Integer.parseInt(major.group(1)), image + ": Java " + major.group(1) + ", while .ci/run "
                                                              + "and the benchmarks run Java " + ci);
        }
    }

    @Test
    void entrypoint_passesTheJvmOptionsFileTheImageHolds() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        Matcher entry = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])\\s*$").matcher(dockerfile);
        assertTrue(entry.find(), "an ENTRYPOINT in exec form");
        List<String> argv = new ArrayList<>();
        for (JsonNode arg : new ObjectMapper().readTree(entry.group(1))) {
            argv.add(arg.asText());
        }
        assertEquals("java", argv.get(0));
        int options = argv.indexOf("@/app/config/jvm.options");
        assertTrue(options > 0 && options < argv.indexOf("-jar"), "java @/app/config/jvm.options … -jar: " + argv);
        assertTrue(dockerfile.contains("\nCOPY config /app/config\n"), "the image holds config/jvm.options");
        assertFalse(dockerfile.contains("_JAVA_OPTIONS"), "nothing overrides the options file after it");
        assertFalse(DeployManifestsTest.imageToolOptions().matches(".*-XX:[+-]Use\\w*GC.*|.*-Xmn.*"),
                    "JAVA_TOOL_OPTIONS leaves the GC and memory options to config/jvm.options");
    }

    @Test
    void jvmOptions_areAcceptedByTheJavaTheTestsRunOn() throws IOException, InterruptedException {
        // on another JDK (21 builds Herald too) the options file need not apply: -XX:+UseCompactObjectHeaders is 25's
        assumeTrue(Runtime.version().feature() == firstJdk(".ci/run"), "the tests run on the image's Java");
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(launcher.toString(), "@config/jvm.options", "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "java -version returned");
        assertEquals(0, p.exitValue(), "java @config/jvm.options -version on Java " + Runtime.version().feature()
                                       + ":\n" + out);
    }

    /** The first {@code /usr/lib/jvm/temurin-N-jdk} a script names. */
    private static int firstJdk(String script) throws IOException {
        Matcher m = JDK_PATH.matcher(Files.readString(Path.of(script)));
        assertTrue(m.find(), script + " names the JDK it prefers");
        return Integer.parseInt(m.group(1));
    }
}
