package dev.herald.redis;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import dev.herald.SseClient;
import dev.herald.StartupException;
import dev.herald.TestPod;
import dev.herald.TestTls;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Logging in to Redis: an ACL user with a password (percent-encoded in the URL), a wrong password refusing start
 * without showing it (not in the error, not in any log line), and {@code rediss://} checked against a trust store.
 */
class RedisLoginTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Needs encoding in a URL: {@code @ : /}. */
    private static final String PASSWORD = "p@ss:w/rd-7x";
    private static final String ENCODED = "p%40ss%3Aw%2Frd-7x";

    @Test
    void aclUser_logsIn_andEveryConnectionIsThatUser_aWrongPasswordRefusesStart_neverShowingIt() throws Exception {
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        Handler capture = capture(lines);
        Logger root = Logger.getLogger("");
        Logger jedis = Logger.getLogger("redis.clients");
        Level jedisLevel = jedis.getLevel();
        root.addHandler(capture);
        jedis.setLevel(Level.ALL);
        try (RedisProcess redis = RedisProcess.start(false)) {
            assertEquals("OK", redis.command("ACL", "SETUSER", "herald", "on", ">" + PASSWORD, "~*", "&*", "+@all"));
            try (TestPod pod = TestPod.start(Map.of("herald.redis.url",
                                                    "redis://herald:" + ENCODED + "@127.0.0.1:" + redis.port()))) {
                String room = "channel:acl";
                try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                    sse.awaitCursor(WAIT);
                    pod.publish(room, "seq", "\"n\":1");
                    assertEquals(1, sse.awaitEvents("seq", 1, WAIT).size());
                }
                List<String> users = List.of(redis.command("CLIENT", "LIST").split("\n")).stream()
                        .filter(line -> !line.contains("cmd=client")).map(line -> field(line, "user")).toList();
                assertFalse(users.isEmpty());
                assertEquals(List.of("herald"), users.stream().distinct().toList(), "the pod logs in as herald");
            }

            StartupException wrong = assertThrows(StartupException.class, () -> TestPod.start(Map.of(
                    "herald.redis.url", "redis://herald:wr0ng%40pass@127.0.0.1:" + redis.port())));
            assertTrue(wrong.getMessage().contains("herald.redis.url"), wrong.getMessage());
            assertTrue(wrong.getMessage().contains("WRONGPASS"), "the reason: " + wrong.getMessage());
            assertFalse(wrong.getMessage().contains("wr0ng"), "never the password: " + wrong.getMessage());
        } finally {
            root.removeHandler(capture);
            jedis.setLevel(jedisLevel);
        }
        assertFalse(lines.isEmpty(), "logs were captured");
        for (String line : lines) {
            assertFalse(line.contains("wr0ng") || line.contains(PASSWORD) || line.contains(ENCODED),
                        "a log line shows a password: " + line);
        }
    }

    @Test
    void rediss_withTheTrustStore_works_withoutIt_startIsRefused_namingTheUrl() throws Exception {
        Path dir = Files.createTempDirectory("herald-redis-tls");
        try {
            Path keystore = TestTls.keystore(dir);
            Path cert = pem(keystore, dir.resolve("cert.pem"), "-nokeys");
            Path key = pem(keystore, dir.resolve("key.pem"), "-nocerts");
            int tlsPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                tlsPort = socket.getLocalPort();
            }
            try (RedisProcess redis = RedisProcess.start(false, List.of(
                    "--tls-port", String.valueOf(tlsPort), "--tls-cert-file", cert.toString(),
                    "--tls-key-file", key.toString(), "--tls-ca-cert-file", cert.toString(),
                    "--tls-auth-clients", "no"))) {
                String url = "rediss://127.0.0.1:" + tlsPort;
                try (TestPod pod = TestPod.start(Map.of("herald.redis.url", url,
                                                        "herald.redis.tls.trust-store", keystore.toString(),
                                                        "herald.redis.tls.trust-store-password", TestTls.PASSWORD))) {
                    String room = "channel:tls";
                    try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                        sse.awaitCursor(WAIT);
                        pod.publish(room, "seq", "\"n\":1");
                        assertEquals(1, sse.awaitEvents("seq", 1, WAIT).size());
                    }
                    assertTrue(redis.clientCount() > 0, "the pod's connections are on the TLS port");
                }

                StartupException untrusted = assertThrows(StartupException.class, () -> TestPod.start(Map.of(
                        "herald.redis.url", url, "herald.redis.timeout", "PT1S")));
                assertTrue(untrusted.getMessage().contains("127.0.0.1:" + tlsPort)
                           && untrusted.getMessage().contains("herald.redis.url"), untrusted.getMessage());

                StartupException missing = assertThrows(StartupException.class, () -> TestPod.start(Map.of(
                        "herald.redis.url", url, "herald.redis.tls.trust-store", dir.resolve("none.p12").toString())));
                assertTrue(missing.getMessage().startsWith("herald.redis.tls.trust-store: no readable store"),
                           missing.getMessage());
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The certificate or the key of a PKCS12 store as PEM, for redis-server. */
    private static Path pem(Path keystore, Path out, String part) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "pkcs12", "-in", keystore.toString(), "-passin",
                                             "pass:" + TestTls.PASSWORD, part, "-nodes", "-out", out.toString())
                .redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!openssl.waitFor(30, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
            throw new IllegalStateException("openssl failed: " + output);
        }
        return out;
    }

    private static String field(String clientLine, String name) {
        for (String part : clientLine.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return "";
    }

    private static Handler capture(ConcurrentLinkedQueue<String> lines) {
        Handler handler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                lines.add(formatter.format(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        return handler;
    }
}
