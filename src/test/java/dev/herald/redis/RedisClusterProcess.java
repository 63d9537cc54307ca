package dev.herald.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.herald.Await;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.MigrateParams;
import redis.clients.jedis.resps.ClusterShardInfo;
import redis.clients.jedis.resps.ClusterShardNodeInfo;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A real Redis Cluster on this machine: {@code masters} masters with {@code replicas} replicas each, created with
 * {@code redis-cli --cluster create}, every node a {@code redis-server --cluster-enabled yes} on a free port at most
 * 55535 (the cluster bus listens on port + 10000). Nodes can be killed (SIGKILL); a replica then takes over after
 * {@code --cluster-node-timeout} (1.5 s). Takes a few seconds to start: create one per test class. Close removes
 * every process and file.
 */
public final class RedisClusterProcess implements AutoCloseable {
    private static final int MAX_PORT = 55535;

    private final Path dir;
    private final Map<Integer, Process> nodes = new HashMap<>();

    private RedisClusterProcess(Path dir) {
        this.dir = dir;
    }

    /** Starts the nodes, creates the cluster and waits until every slot is served and every replica in sync. */
    public static RedisClusterProcess start(int masters, int replicas) throws IOException, InterruptedException {
        RedisClusterProcess cluster = new RedisClusterProcess(Files.createTempDirectory("herald-cluster"));
        try {
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < masters * (1 + replicas); i++) {
                int port = freePort();
                cluster.startNode(port);
                addresses.add("127.0.0.1:" + port);
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            create.addAll(addresses);
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
            Process cli = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(cluster.dir.resolve("create.log").toFile()).start();
            if (!cli.waitFor(60, TimeUnit.SECONDS) || cli.exitValue() != 0) {
                cli.destroyForcibly();
                throw new IOException("redis-cli --cluster create failed: "
                                      + Files.readString(cluster.dir.resolve("create.log")));
            }
            cluster.awaitHealthy(masters, replicas);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** {@code redis-cluster://} with two seed nodes. */
    public String url() {
        List<Integer> ports = ports();
        return "redis-cluster://127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1);
    }

    /** The ports of the nodes still running. */
    public List<Integer> ports() {
        return nodes.entrySet().stream().filter(e -> e.getValue().isAlive()).map(Map.Entry::getKey).sorted().toList();
    }

    /** The port of the master serving the channel's slot (its keys are tagged with it), as a live node sees it. */
    public int masterOf(String channel) {
        return masterOfSlot(JedisClusterCRC16.getSlot(channel));
    }

    /** The port of the master serving the slot. */
    public int masterOfSlot(int slot) {
        for (Map.Entry<Integer, List<List<Long>>> master : slotsByMaster().entrySet()) {
            for (List<Long> range : master.getValue()) {
                if (range.get(0) <= slot && slot <= range.get(1)) {
                    return master.getKey();
                }
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    /** The distinct masters serving slots now, as a live node sees them. */
    public List<Integer> masters() {
        return slotsByMaster().keySet().stream().sorted().toList();
    }

    /** Master port → its slot ranges, from {@code CLUSTER SHARDS} on the first live node that answers. */
    private Map<Integer, List<List<Long>>> slotsByMaster() {
        for (int port : ports()) {
            try (Jedis jedis = node(port)) {
                Map<Integer, List<List<Long>>> masters = new HashMap<>();
                for (ClusterShardInfo shard : jedis.clusterShards()) {
                    for (ClusterShardNodeInfo node : shard.getNodes()) {
                        if ("master".equals(node.getRole()) && !shard.getSlots().isEmpty()) {
                            masters.put(node.getPort().intValue(), shard.getSlots());
                        }
                    }
                }
                return masters;
            } catch (JedisException e) {
                // try the next node
            }
        }
        throw new IllegalStateException("no live node answers");
    }

    /** A connection to one node, for a test's own commands. */
    public Jedis node(int port) {
        return new Jedis("127.0.0.1", port);
    }

    /**
     * Moves one hash slot and its keys to another master, as {@code redis-cli --cluster reshard} does: IMPORTING on
     * the target, MIGRATING on the source, MIGRATE every key, then the slot assigned to the target on every master.
     */
    public void moveSlot(int slot, int toPort) {
        int fromPort = masterOfSlot(slot);
        try (Jedis from = node(fromPort); Jedis to = node(toPort)) {
            String fromId = from.clusterMyId();
            String toId = to.clusterMyId();
            to.clusterSetSlotImporting(slot, fromId);
            from.clusterSetSlotMigrating(slot, toId);
            for (List<String> keys = from.clusterGetKeysInSlot(slot, 100); !keys.isEmpty();
                 keys = from.clusterGetKeysInSlot(slot, 100)) {
                from.migrate("127.0.0.1", toPort, 0, 5000, new MigrateParams(), keys.toArray(String[]::new));
            }
            to.clusterSetSlotNode(slot, toId);
            from.clusterSetSlotNode(slot, toId);
            for (int master : masters()) {
                if (master != fromPort && master != toPort) {
                    try (Jedis other = node(master)) {
                        other.clusterSetSlotNode(slot, toId);
                    }
                }
            }
        }
    }

    /** SIGKILL one node: no shutdown, no save. */
    public void kill(int port) throws InterruptedException {
        Process process = nodes.get(port);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits until every slot is served by a live master again (a replica was promoted). */
    public void awaitServed(Duration timeout) {
        Await.until("every slot served by a live master", timeout, () -> {
            try {
                List<Integer> live = ports();
                for (int master : masters()) {
                    if (!live.contains(master)) {
                        return false;
                    }
                }
                try (Jedis jedis = node(live.get(0))) {
                    return jedis.clusterInfo().contains("cluster_state:ok");
                }
            } catch (JedisException | IllegalStateException e) {
                return false;
            }
        });
    }

    @Override
    public void close() {
        for (Process process : nodes.values()) {
            process.destroyForcibly();
        }
        for (Process process : nodes.values()) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind
        }
    }

    private void startNode(int port) throws IOException {
        Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
        Process process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                                             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                             "--cluster-node-timeout", "1500", "--dir", nodeDir.toString(),
                                             "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(nodeDir.resolve("redis.log").toFile()).start();
        nodes.put(port, process);
        Await.until("redis node " + port + " to answer", Duration.ofSeconds(10), () -> {
            try (Jedis jedis = node(port)) {
                return "PONG".equals(jedis.ping());
            } catch (JedisException e) {
                return false;
            }
        });
    }

    private void awaitHealthy(int masters, int replicas) {
        Await.until("the cluster to serve every slot with its replicas in sync", Duration.ofSeconds(30), () -> {
            try {
                int inSync = 0;
                for (int port : ports()) {
                    try (Jedis jedis = node(port)) {
                        if (!jedis.clusterInfo().contains("cluster_state:ok")) {
                            return false;
                        }
                        if (jedis.info("replication").contains("master_link_status:up")) {
                            inSync++;
                        }
                    }
                }
                return masters().size() == masters && inSync == masters * replicas;
            } catch (JedisException | IllegalStateException e) {
                return false;
            }
        });
    }

    /** A port p with p and p + 10000 free, p at most {@value #MAX_PORT}. */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20000, MAX_PORT + 1);
            if (free(port) && free(port + 10000)) {
                return port;
            }
        }
        throw new IOException("no free port pair under " + MAX_PORT);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort() == port;
        } catch (IOException e) {
            return false;
        }
    }
}
