package dev.herald.jobs;

import java.util.Map;

import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link JobsContract} across two pods on one real redis-server: the worker reports to one pod, the user's stream is
 * on the other, and both pods' lease sweepers race for every lost job.
 */
class JobsClusteredTest extends JobsContract {
    private static RedisProcess redis;
    private static TestPod worker;
    private static TestPod user;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(false);
        worker = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.jobs.retention", RETENTION));
        user = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.jobs.retention", RETENTION));
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        user.close();
        redis.close();
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
