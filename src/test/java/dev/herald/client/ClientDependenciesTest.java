package dev.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The client package ships in the server's jar but needs none of it: its compiled classes name no Helidon, Jedis or
 * JWT class and no Herald class outside {@code dev.herald.client}, so a backend can use it with the JDK and Jackson.
 */
@Tag("unit")
class ClientDependenciesTest {
    private static final List<String> FORBIDDEN = List.of("io/helidon", "redis/clients", "com/nimbusds");
    private static final Pattern HERALD = Pattern.compile("dev/herald/(?!client/)");

    @Test
    void compiledClientClasses_referNeitherToHelidonNorToTheRestOfHerald() throws IOException, URISyntaxException {
        Path classes = Path.of(HeraldClient.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("dev/herald/client");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertTrue(files.size() >= 10, "the client's classes, nested ones included: " + files);
        List<String> found = new ArrayList<>();
        for (Path file : files) {
            // class names sit in the constant pool as modified UTF-8: ASCII for these
            String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (String forbidden : FORBIDDEN) {
                if (text.contains(forbidden)) {
                    found.add(file.getFileName() + " names " + forbidden);
                }
            }
            Matcher herald = HERALD.matcher(text);
            while (herald.find()) {
                found.add(file.getFileName() + " names " + text.substring(herald.start(),
                                                                           Math.min(text.length(), herald.end() + 30)));
            }
        }
        assertEquals(List.of(), found);
    }
}
