package dev.herald.bench;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

/**
 * What {@code herald.redis.min-replicas-ack 1} costs a publisher: a master and a replica, two pods on the master (one
 * with the setting, one without), N sequential {@code POST /api/publish} each, in alternating blocks so both see the
 * same machine, after a warm-up. Prints the latency of each and their ratio. See docs/redis.md.
 *
 * <pre>java -cp target/test-classes:target/classes:$(cat target/bench.classpath) dev.herald.bench.ReplicaAckCost 5000</pre>
 */
public final class ReplicaAckCost {
    private ReplicaAckCost() {
    }

    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int block = 500;
        try (RedisProcess master = RedisProcess.start(false, List.of("--repl-diskless-sync-delay", "0"));
             RedisProcess replica = RedisProcess.start(false, List.of("--replicaof", "127.0.0.1",
                                                                      String.valueOf(master.port())));
             TestPod plain = TestPod.start(Map.of("herald.redis.url", master.url(),
                                                  "herald.rate.channel.per-second", "1000000",
                                                  "herald.rate.channel.burst", "1000000"));
             TestPod acked = TestPod.start(Map.of("herald.redis.url", master.url(),
                                                  "herald.rate.channel.per-second", "1000000",
                                                  "herald.rate.channel.burst", "1000000",
                                                  "herald.redis.min-replicas-ack", "1"))) {
            while (!master.command("INFO", "replication").contains("state=online")) {
                Thread.onSpinWait();
            }
            Latency plainLatency = new Latency();
            Latency ackedLatency = new Latency();
            run(plain, block * 2, new Latency());
            run(acked, block * 2, new Latency());
            long plainMicros = 0;
            long ackedMicros = 0;
            for (int done = 0; done < total; done += block) {
                plainMicros += run(plain, block, plainLatency);
                ackedMicros += run(acked, block, ackedLatency);
            }
            System.out.printf("publishes each: %d, replica: %s%n", total, replica.url());
            print("without min-replicas-ack", plainLatency, plainMicros);
            print("min-replicas-ack 1      ", ackedLatency, ackedMicros);
            System.out.printf("ratio p50 %.2f, p99 %.2f, mean %.2f%n",
                              (double) ackedLatency.quantile(0.5) / plainLatency.quantile(0.5),
                              (double) ackedLatency.quantile(0.99) / plainLatency.quantile(0.99),
                              (double) ackedMicros / plainMicros);
            System.out.printf("shortfalls: %.0f%n", acked.metric("herald_redis_replica_ack_shortfalls_total", null));
        }
    }

    /** Publishes {@code count} events one after the other; returns the microseconds they took. */
    private static long run(TestPod pod, int count, Latency latency) {
        String token = pod.serviceToken();
        long sum = 0;
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            HttpResponse<String> res = pod.post(HttpClient.Version.HTTP_1_1, "/api/publish", token,
                                                "{\"channel\":\"channel:cost\",\"type\":\"bench\",\"n\":" + i + "}");
            long micros = (System.nanoTime() - start) / 1000;
            latency.record(micros);
            sum += micros;
            if (res.statusCode() != 202) {
                throw new IllegalStateException("publish answered " + res.statusCode() + " " + res.body());
            }
        }
        return sum;
    }

    private static void print(String what, Latency latency, long micros) {
        System.out.printf("%s: p50 %d µs, p99 %d µs, mean %d µs, max %d µs%n", what, latency.quantile(0.5),
                          latency.quantile(0.99), micros / latency.count(), latency.max());
    }
}
