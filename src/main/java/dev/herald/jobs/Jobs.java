package dev.herald.jobs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
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
 * This pod's jobs: each runs on its own virtual thread and reports through a {@link JobReporter}; a finished result is
 * a file of the {@link ResultStore}, kept for {@code RETENTION} for its owner to download unless the store's byte
 * budget evicts it first (oldest first). Thread-safe: a concurrent map of jobs whose fields are volatile; a per-owner
 * count of running jobs; the store guards itself.
 */
public final class Jobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Jobs.class.getName());
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final int MAX_KEPT = 1000;
    private static final int WRITE_BUFFER = 64 * 1024;

    /** A job's state: running, then finished (its result kept or evicted) or failed; the owner is fixed at start. */
    public static final class Job {
        private final String id;
        private final String owner;
        private final long startedAt = System.currentTimeMillis();
        private volatile boolean finished;
        private volatile boolean evicted;
        private volatile long resultBytes;
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

        /** The job completed (its result may since have been evicted). */
        public boolean finished() {
            return finished;
        }

        /** The result was deleted to keep the pod's results within {@code herald.jobs.max-result-bytes}. */
        public boolean evicted() {
            return evicted;
        }

        /** The result's size, once finished. */
        public long resultBytes() {
            return resultBytes;
        }

        /** Null unless the job failed. */
        public Failure failure() {
            return failure;
        }
    }

    /** Why a job failed, as its owner sees it: never an exception's text, which can name hosts and internals. */
    public enum Failure {
        BROKER_UNAVAILABLE("broker_unavailable", "the event broker was unreachable; start the job again later"),
        RESULT_TOO_LARGE("result_too_large", "the export is larger than this server keeps"),
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

    /** The work of one job: writes its result to {@code out} (buffered); throws to fail. */
    @FunctionalInterface
    public interface Work {
        void run(JobReporter reporter, OutputStream out) throws Exception;
    }

    private final Publishing publishing;
    private final int maxRunningPerOwner;
    private final ResultStore store;
    /** Job id → job. */
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    /** Owner → running jobs. */
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param resultDir      where this pod makes its results directory
     * @param maxResultBytes the most bytes of results on disk at once, kept and being written
     * @param evicted        told once per result evicted for the budget (a metric)
     */
    public Jobs(Publishing publishing, int maxRunningPerOwner, Path resultDir, long maxResultBytes,
                Runnable evicted) {
        this.publishing = publishing;
        this.maxRunningPerOwner = maxRunningPerOwner;
        this.store = new ResultStore(resultDir, maxResultBytes, jobId -> {
            Job job = jobs.get(jobId);
            if (job != null) {
                job.evicted = true;
            }
            evicted.run();
        });
    }

    /** Creates the results directory. */
    public void start() {
        store.start();
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
                try (OutputStream out = new BufferedOutputStream(store.create(job.id()), WRITE_BUFFER)) {
                    work.run(reporter, out);
                }
                job.resultBytes = store.keep(job.id());
                job.finished = true;
                reporter.complete(resultPath.replace("{jobId}", job.id()));
            } catch (Exception e) {
                store.forget(job.id());
                // the owner sees a stable code and sentence; what went wrong inside stays in this log
                job.failure = e instanceof BrokerUnavailableException ? Failure.BROKER_UNAVAILABLE
                        : e instanceof ResultStore.TooLargeException ? Failure.RESULT_TOO_LARGE : Failure.INTERNAL;
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

    /**
     * The job's kept result, to be closed by the caller; null when it is not kept (evicted, failed, not finished).
     * The file stays readable to this stream even if it is evicted meanwhile.
     */
    public InputStream open(Job job) throws IOException {
        return store.open(job.id());
    }

    /** Bytes of results on disk, kept and being written. */
    public long resultBytes() {
        return store.bytes();
    }

    /** The results directory of this pod; null before {@link #start()}. */
    public Path resultDirectory() {
        return store.directory();
    }

    @Override
    public void close() {
        executor.shutdownNow();
        store.close();
    }

    private void forgetOld() {
        long cutoff = System.currentTimeMillis() - RETENTION.toMillis();
        jobs.values().removeIf(job -> {
            boolean old = job.startedAt < cutoff && (job.finished || job.failure != null);
            if (old) {
                store.forget(job.id());
            }
            return old;
        });
        if (jobs.size() >= MAX_KEPT) {
            jobs.values().stream().filter(job -> job.finished || job.failure != null)
                    .min(Comparator.comparingLong(job -> job.startedAt))
                    .ifPresent(oldest -> {
                        store.forget(oldest.id());
                        jobs.remove(oldest.id());
                    });
        }
    }
}
