package dev.herald.jobs;

import java.util.Map;

import dev.herald.TestPod;
import dev.herald.redis.RedisClusterProcess;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link JobsContract} across two pods on a real three-master Redis Cluster: a job's keys, its owner channel's
 * history and its shard channel share one slot, so each transition is still one script ({@code SPUBLISH}), and the
 * lease index lives in a slot of its own.
 */
class JobsRedisClusterTest extends JobsContract {
    private static RedisClusterProcess cluster;
    private static TestPod worker;
    private static TestPod user;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterProcess.start(3, 0);
        Map<String, String> settings = Map.of("herald.redis.url", cluster.url(), "herald.jobs.retention", RETENTION);
        worker = TestPod.start(settings);
        user = TestPod.start(settings);
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
        if (user != null) {
            user.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    TestPod workerPod() {
        return worker;
    }

    @Override
    TestPod userPod() {
        return user;
    }
}
