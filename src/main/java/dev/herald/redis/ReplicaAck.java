package dev.herald.redis;

import java.time.Duration;
import java.util.List;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * {@code herald.redis.min-replicas-ack}: after a publish, Redis {@code WAIT}s until {@code replicas} replicas have
 * the write or {@code timeout} passes, so that a failover is less likely to lose an event already acknowledged. The
 * script and the {@code WAIT} go in one pipeline: {@code WAIT} counts the writes of its own connection. Fewer
 * acknowledgements than asked is counted ({@code onShortfall}) and the publish still succeeds: the event is stored
 * and already published, and a replica outage must not stop publishing (Redis' {@code min-replicas-to-write}
 * refuses writes, if that is wanted). Thread-safe (immutable).
 *
 * @param replicas    0: no {@code WAIT}
 * @param onShortfall called when fewer replicas acknowledged within the timeout (a metric)
 */
public record ReplicaAck(int replicas, Duration timeout, Runnable onShortfall) {
    /** No waiting. */
    public static final ReplicaAck NONE = new ReplicaAck(0, Duration.ZERO, () -> { });

    /** Runs the script, then, when asked for, {@code WAIT}s on the same connection. */
    Object eval(UnifiedJedis client, RedisScript script, List<String> keys, List<String> args) {
        if (replicas == 0) {
            return script.eval(client, keys, args);
        }
        for (int attempt = 0; ; attempt++) {
            try (AbstractPipeline pipeline = client.pipelined()) {
                Response<Object> result = script.eval(pipeline, keys, args);
                Response<Long> acked = pipeline.waitReplicas(keys.get(0), replicas, timeout.toMillis());
                pipeline.sync();
                Object value;
                try {
                    value = result.get();
                } catch (JedisNoScriptException e) {
                    if (attempt > 0) {
                        throw e;
                    }
                    script.loadInto(client, keys.subList(0, 1));
                    continue;
                }
                if (acked.get() < replicas) {
                    onShortfall.run();
                }
                return value;
            }
        }
    }
}
