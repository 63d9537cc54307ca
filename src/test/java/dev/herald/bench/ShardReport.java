package dev.herald.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.ClusterShardInfo;
import redis.clients.jedis.resps.ClusterShardNodeInfo;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Where a Redis Cluster's pub/sub work sits, for the capacity report: each master's pub/sub connections by pod
 * ({@code CLIENT LIST TYPE pubsub}, a connection's source port matched to the pod process that owns the socket) and
 * the {@code PUBSUB SHARDNUMSUB} of channels at their own master and at the others. Read between windows only.
 */
final class ShardReport {
    private ShardReport() {
    }

    /**
     * A Markdown table: per master, the slots it serves among the channels, its pub/sub connections per pod with
     * their shard subscriptions, and the channels' SHARDNUMSUB summed at this master.
     */
    static List<String> table(List<Integer> masters, Map<Long, String> pods, List<String> channels) throws IOException {
        Map<Integer, String> podOfPort = podOfLocalPort(pods);
        List<String> rows = new ArrayList<>();
        rows.add("| master | channels whose slot it serves | pub/sub connections (pod: shard subscriptions) "
                 + "| SHARDNUMSUB at it, its channels | SHARDNUMSUB at it, other masters' channels |");
        rows.add("|---|---|---|---|---|");
        for (int master : masters) {
            try (Jedis jedis = new Jedis("127.0.0.1", master)) {
                List<String> connections = new ArrayList<>();
                for (String line : jedis.clientList().split("\n")) {
                    if (!line.contains("flags=P")) {
                        continue;
                    }
                    Map<String, String> f = fields(line);
                    String addr = f.getOrDefault("addr", "?:0");
                    int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
                    connections.add(podOfPort.getOrDefault(port, "other " + addr) + ": ssub=" + f.get("ssub")
                                    + " sub=" + f.get("sub"));
                }
                connections.sort(null);
                List<String> own = new ArrayList<>();
                List<String> others = new ArrayList<>();
                for (String channel : channels) {
                    (owner(jedis, channel) == master ? own : others).add(channel);
                }
                rows.add("| " + master + " | " + own.size() + " | " + String.join("; ", connections) + " | "
                         + shardNumSub(jedis, own) + " | " + shardNumSub(jedis, others) + " |");
            }
        }
        return rows;
    }

    private static int owner(Jedis jedis, String channel) {
        int slot = JedisClusterCRC16.getSlot(channel);
        for (ClusterShardInfo shard : jedis.clusterShards()) {
            for (List<Long> range : shard.getSlots()) {
                if (range.get(0) <= slot && slot <= range.get(1)) {
                    for (ClusterShardNodeInfo node : shard.getNodes()) {
                        if ("master".equals(node.getRole())) {
                            return node.getPort().intValue();
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    private static long shardNumSub(Jedis jedis, List<String> channels) {
        if (channels.isEmpty()) {
            return 0;
        }
        // Herald's pub/sub channel is realtime:{<channel>}, in the channel's slot
        String[] names = channels.stream().map(c -> "realtime:{" + c + "}").toArray(String[]::new);
        return jedis.pubsubShardNumSub(names).values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String field : line.trim().split(" ")) {
            int eq = field.indexOf('=');
            if (eq > 0) {
                fields.put(field.substring(0, eq), field.substring(eq + 1));
            }
        }
        return fields;
    }

    /** Local TCP port → the name of the pod whose process holds that socket (via /proc/PID/fd and /proc/net/tcp). */
    private static Map<Integer, String> podOfLocalPort(Map<Long, String> pods) throws IOException {
        Map<Long, String> podOfInode = new HashMap<>();
        for (Map.Entry<Long, String> pod : pods.entrySet()) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pod.getKey() + "/fd"))) {
                for (Path fd : fds) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            podOfInode.put(Long.parseLong(target.substring(8, target.length() - 1)), pod.getValue());
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            }
        }
        Map<Integer, String> podOfPort = new TreeMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String local = f[1];
                int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
                String pod = podOfInode.get(Long.parseLong(f[9]));
                if (pod != null) {
                    podOfPort.put(port, pod);
                }
            }
        }
        return podOfPort;
    }
}
