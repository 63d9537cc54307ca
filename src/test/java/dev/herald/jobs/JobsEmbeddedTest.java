package dev.herald.jobs;

import dev.herald.TestPod;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link JobsContract} on one embedded pod: the worker and the user's stream meet in one process. */
class JobsEmbeddedTest extends JobsContract {
    private static TestPod pod;

    @BeforeAll
    static void start() {
        pod = TestPod.start(java.util.Map.of("herald.jobs.retention", RETENTION));
    }

    @AfterAll
    static void stop() {
        pod.close();
    }

    @Override
    TestPod workerPod() {
        return pod;
    }

    @Override
    TestPod userPod() {
        return pod;
    }
}
