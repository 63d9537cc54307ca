package dev.herald.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Publishing;

/**
 * This pod's jobs: each runs on its own virtual thread and reports through a {@link JobReporter}; finished
 * results are kept for {@code RETENTION} for their owner to download. Thread-safe: a concurrent map of jobs whose
 * fields are set once (volatile); a per-owner count of running jobs.
 */
public final class Jobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Jobs.class.getName());
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final int MAX_KEPT = 1000;

    /** A job's result, or why it failed; the owner is fixed at start. */
    public static final class Job {
        private final String id;
        private final String owner;
        private final long startedAt = System.currentTimeMillis();
        private volatile byte[] result;
        private volatile Failure failure;

        Job(String id, String owner) {
            this.id = id;
            this.owner = owner;
        }

        public String id() {
            return id;
        }

        public String owner() {
            return owner;
        }

        /** Null until the job completed. */
        public byte[] result() {
            return result;
        }

        /** Null unless the job failed. */
        public Failure failure() {
            return failure;
        }
    }

    /** Why a job failed, as its owner sees it: never an exception's text, which can name hosts and internals. */
    public enum Failure {
        BROKER_UNAVAILABLE("broker_unavailable", "the event broker was unreachable; start the job again later"),
        INTERNAL("internal", "the job failed; start it again later");

        private final String code;
        private final String message;

        Failure(String code, String message) {
            this.code = code;
            this.message = message;
        }

        public String code() {
            return code;
        }

        public String message() {
            return message;
        }
    }

    /** The work of one job: returns the result bytes; throws to fail. */
    @FunctionalInterface
    public interface Work {
        byte[] run(JobReporter reporter) throws Exception;
    }

    private final Publishing publishing;
    private final int maxRunningPerOwner;
    /** Job id → job. */
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    /** Owner → running jobs. */
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public Jobs(Publishing publishing, int maxRunningPerOwner) {
        this.publishing = publishing;
        this.maxRunningPerOwner = maxRunningPerOwner;
    }

    /** Starts the work for the owner; null when the owner already runs the most jobs allowed. */
    public Job start(String owner, String resultPath, Work work) {
        AtomicInteger count = running.computeIfAbsent(owner, o -> new AtomicInteger());
        if (count.incrementAndGet() > maxRunningPerOwner) {
            count.decrementAndGet();
            return null;
        }
        forgetOld();
        Job job = new Job(UUID.randomUUID().toString(), owner);
        jobs.put(job.id(), job);
        JobReporter reporter = new JobReporter(publishing, job.id(), owner);
        executor.execute(() -> {
            try {
                job.result = work.run(reporter);
                reporter.complete(resultPath.replace("{jobId}", job.id()));
            } catch (Exception e) {
                // the owner sees a stable code and sentence; what went wrong inside stays in this log
                job.failure = e instanceof BrokerUnavailableException ? Failure.BROKER_UNAVAILABLE : Failure.INTERNAL;
                LOG.log(Level.WARNING, "Job " + job.id() + " failed (" + job.failure.code() + ")", e);
                reporter.fail(job.failure);
            } finally {
                count.decrementAndGet();
            }
        });
        return job;
    }

    public Job get(String id) {
        return jobs.get(id);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    private void forgetOld() {
        long cutoff = System.currentTimeMillis() - RETENTION.toMillis();
        jobs.values().removeIf(job -> job.startedAt < cutoff && (job.result != null || job.failure != null));
        if (jobs.size() >= MAX_KEPT) {
            jobs.values().stream().filter(job -> job.result != null || job.failure != null)
                    .min(java.util.Comparator.comparingLong(job -> job.startedAt))
                    .ifPresent(oldest -> jobs.remove(oldest.id()));
        }
    }
}
