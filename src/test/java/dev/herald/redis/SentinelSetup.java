package dev.herald.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.herald.Await;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A master, one replica and three sentinels (quorum 2) on free ports, for failover tests: the sentinels call the
 * master down after 1 s without an answer, so a killed master is replaced in about 2-3 s. {@link #start} returns once
 * the replica is in sync and every sentinel knows the replica and the other two sentinels (so a failover can be
 * elected at once). Everything is stopped and its files removed on close.
 */
public final class SentinelSetup implements AutoCloseable {
    public static final String MASTER_NAME = "mymaster";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Path dir;
    private final List<Process> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();
    private RedisProcess master;
    private RedisProcess replica;

    private SentinelSetup(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts the five processes and waits until the sentinels can fail over.
     *
     * @param serverOptions redis-server options for the master and the replica (e.g. {@code --requirepass})
     */
    public static SentinelSetup start(List<String> serverOptions) throws Exception {
        SentinelSetup setup = new SentinelSetup(Files.createTempDirectory("herald-sentinel"));
        try {
            List<String> masterOptions = new ArrayList<>(serverOptions);
            masterOptions.addAll(List.of("--repl-diskless-sync-delay", "0"));
            setup.master = RedisProcess.start(false, masterOptions);
            List<String> replicaOptions = new ArrayList<>(masterOptions);
            replicaOptions.addAll(List.of("--replicaof", "127.0.0.1", String.valueOf(setup.master.port())));
            setup.replica = RedisProcess.start(false, replicaOptions);
            for (int i = 0; i < 3; i++) {
                setup.startSentinel(serverOptions);
            }
            setup.awaitReady();
        } catch (Exception | AssertionError e) {
            setup.close();
            throw e;
        }
        return setup;
    }

    public static SentinelSetup start() throws Exception {
        return start(List.of());
    }

    /** {@code redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/mymaster}, with {@code login} before the hosts. */
    public String url(String login) {
        return "redis-sentinel://" + login + String.join(",", sentinelPorts.stream().map(p -> "127.0.0.1:" + p)
                .toList()) + "/" + MASTER_NAME;
    }

    public String url() {
        return url("");
    }

    /** The master at start. */
    public RedisProcess master() {
        return master;
    }

    /** The replica at start (the master after a failover). */
    public RedisProcess replica() {
        return replica;
    }

    /** The port of the master the first sentinel names now. */
    public int masterPort() {
        try (Jedis sentinel = new Jedis("127.0.0.1", sentinelPorts.get(0))) {
            return Integer.parseInt(sentinel.sentinelGetMasterAddrByName(MASTER_NAME).get(1));
        }
    }

    /** Waits until the sentinels name the replica as the master and it answers as one. */
    public void awaitPromotion(Duration timeout) {
        Await.until("the sentinels to promote the replica", timeout, () -> {
            try {
                return masterPort() == replica.port() && replica.command("ROLE").startsWith("master");
            } catch (IOException | JedisException e) {
                return false;
            }
        });
    }

    /** Waits until the replica has everything the master wrote (its replication offset caught up). */
    public void awaitReplicaInSync() {
        Await.until("the replica to catch up", WAIT, () -> {
            String masterOffset = info(master, "master_repl_offset");
            return "up".equals(info(replica, "master_link_status")) && masterOffset != null
                   && masterOffset.equals(info(replica, "master_repl_offset"));
        });
    }

    /**
     * Cuts the replica off: the master refuses its resynchronization (the default user loses PSYNC and SYNC) and
     * drops its link, so writes on the master from now on do not reach it. The sentinels still count it as a
     * candidate for promotion (its link is down for less than ten times down-after-milliseconds).
     */
    public void cutReplication() throws IOException {
        if (!"OK".equals(master.command("ACL", "SETUSER", "default", "-psync", "-sync"))) {
            throw new IOException("ACL SETUSER failed");
        }
        master.command("CLIENT", "KILL", "TYPE", "replica");
        Await.until("the replica's link to go down", WAIT, () -> !"up".equals(info(replica, "master_link_status")));
    }

    @Override
    public void close() throws Exception {
        for (Process sentinel : sentinels) {
            sentinel.destroyForcibly();
            sentinel.waitFor(10, TimeUnit.SECONDS);
        }
        if (replica != null) {
            replica.close();
        }
        if (master != null) {
            master.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void startSentinel(List<String> serverOptions) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        StringBuilder text = new StringBuilder()
                .append("port ").append(port).append('\n')
                .append("bind 127.0.0.1\n")
                .append("dir ").append(dir).append('\n')
                .append("sentinel monitor ").append(MASTER_NAME).append(" 127.0.0.1 ").append(master.port())
                .append(" 2\n")
                .append("sentinel down-after-milliseconds ").append(MASTER_NAME).append(" 1000\n")
                .append("sentinel failover-timeout ").append(MASTER_NAME).append(" 3000\n")
                .append("sentinel parallel-syncs ").append(MASTER_NAME).append(" 1\n");
        int pass = serverOptions.indexOf("--requirepass");
        if (pass >= 0) {
            text.append("sentinel auth-pass ").append(MASTER_NAME).append(' ').append(serverOptions.get(pass + 1))
                    .append('\n');
        }
        Files.writeString(conf, text);
        Process process = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
                .redirectErrorStream(true).redirectOutput(dir.resolve("sentinel-" + port + ".log").toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        sentinels.add(process);
        sentinelPorts.add(port);
    }

    private void awaitReady() {
        awaitReplicaInSync();
        for (int port : sentinelPorts) {
            Await.until("sentinel " + port + " to know the replica and the other sentinels", WAIT, () -> {
                try (Jedis sentinel = new Jedis("127.0.0.1", port)) {
                    return sentinel.sentinelReplicas(MASTER_NAME).size() == 1
                           && sentinel.sentinelSentinels(MASTER_NAME).size() == 2;
                } catch (JedisException e) {
                    return false;
                }
            });
        }
    }

    /** A field of {@code INFO replication}, or null. */
    private static String info(RedisProcess redis, String field) {
        try {
            for (String line : redis.command("INFO", "replication").split("\r\n")) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).trim();
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
