package dev.herald.redis;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.SseClient;
import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code herald.redis.min-replicas-ack}: a publish answers once the replica has it; when the replica does not
 * acknowledge within {@code min-replicas-timeout}, the publish still answers 202 after that timeout (the event is
 * stored and delivered) and the shortfall is counted.
 */
class ReplicaAckTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void replicaAcknowledges_publishAccepted_noShortfall_thenReplicaCutOff_accepted202AfterTheTimeout_andCounted()
            throws Exception {
        try (RedisProcess master = RedisProcess.start(false, List.of("--repl-diskless-sync-delay", "0"));
             RedisProcess replica = RedisProcess.start(false, List.of("--replicaof", "127.0.0.1",
                                                                      String.valueOf(master.port())));
             TestPod pod = TestPod.start(Map.of("herald.redis.url", master.url(), "herald.redis.min-replicas-ack", "1",
                                                "herald.redis.min-replicas-timeout", "PT0.6S"))) {
            Await.until("the replica to be online", WAIT,
                        () -> replicas(master) == 1);
            String room = "channel:acked";
            try (SseClient sse = pod.subscribe(HttpClient.Version.HTTP_1_1, pod.serviceToken(), room)) {
                sse.awaitCursor(WAIT);
                assertEquals(1, pod.publish(room, "seq", "\"n\":1"));
                assertEquals(0.0, pod.metric("herald_redis_replica_ack_shortfalls_total", null));
                assertEquals("1", replica.command("GET", "realtime:seq:{" + room + "}"), "the replica has it");

                assertEquals("OK", master.command("ACL", "SETUSER", "default", "-psync", "-sync"));
                master.command("CLIENT", "KILL", "TYPE", "replica");
                Await.until("the replica cut off", WAIT,
                            () -> replicas(master) == 0);
                long start = System.nanoTime();
                assertEquals(2, pod.publish(room, "seq", "\"n\":2"));
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis >= 550, "the publish waited for the replica: " + millis + " ms");
                assertEquals(1.0, pod.metric("herald_redis_replica_ack_shortfalls_total", null));
                assertEquals(List.of(1, 2), sse.awaitEvents("seq", 2, WAIT).stream().map(e -> e.get("n").asInt())
                        .toList(), "the event was delivered all the same");
            }
        }
    }

    private static int replicas(RedisProcess master) {
        try {
            // online: past the initial sync, so it acknowledges what it receives
            return master.command("INFO", "replication").contains("state=online") ? 1 : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
