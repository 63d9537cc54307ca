package dev.herald.jobs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.Daemons;
import dev.herald.hub.HubMetrics;

/**
 * This pod's in-process jobs and the lease sweeper of every job: each in-process job is a job of the {@link JobStore}
 * (so the API and streams see it like any other), runs on its own virtual thread and reports through a
 * {@link JobReporter}; a finished result is
 * a file of the {@link ResultStore}, kept for {@code RETENTION} for its owner to download unless the store's byte
 * budget evicts it first (oldest first). Thread-safe: a concurrent map of jobs whose fields are volatile; a per-owner
 * count of running jobs; the store guards itself.
 */
public final class Jobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Jobs.class.getName());
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final int MAX_KEPT = 1000;
    private static final int WRITE_BUFFER = 64 * 1024;
    private static final Duration LEASE_SWEEP = Duration.ofSeconds(1);

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

    private final JobStore store;
    private final HubMetrics metrics;
    private final int maxRunningPerOwner;
    private final ResultStore results;
    /** Told of each job created through {@link #create} (a metric). */
    private final Runnable created;
    /** Told how many jobs each lease sweep failed (a metric). */
    private final IntConsumer lost;
    /** Job id → this pod's in-process job (its result file). */
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    /** Owner → running jobs. */
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** Fails the jobs whose lease ran out, every second; set by {@link #start()}. */
    private volatile ScheduledExecutorService sweeper;

    /**
     * @param store          where every job's state lives (this pod's in-process jobs and the API's)
     * @param resultDir      where this pod makes its results directory
     * @param maxResultBytes the most bytes of results on disk at once, kept and being written
     * @param evicted        told once per result evicted for the budget (a metric)
     * @param created        told once per job this pod created, for the API or in-process (a metric)
     * @param lost           told how many jobs each lease sweep of this pod failed (a metric)
     */
    public Jobs(JobStore store, HubMetrics metrics, int maxRunningPerOwner, Path resultDir, long maxResultBytes,
                Runnable evicted, Runnable created, IntConsumer lost) {
        this.store = store;
        this.created = created;
        this.metrics = metrics;
        this.maxRunningPerOwner = maxRunningPerOwner;
        this.lost = lost;
        this.results = new ResultStore(resultDir, maxResultBytes, jobId -> {
            Job job = jobs.get(jobId);
            if (job != null) {
                job.evicted = true;
            }
            evicted.run();
        });
    }

    /** Creates the results directory and starts the lease sweeper. */
    public void start() {
        results.start();
        sweeper = Daemons.every("herald-job-leases", LEASE_SWEEP, () -> {
            int failed = store.failExpired();
            if (failed > 0) {
                lost.accept(failed);
            }
        });
    }

    /** Where every job's state lives. */
    public JobStore store() {
        return store;
    }

    /**
     * Creates a job in the store ({@link JobStore#create}) and counts it: every job this pod creates, for an external
     * worker or its own, comes through here.
     */
    public JobStore.Created create(String userId, String kind, Duration lease, String meta) {
        JobStore.Created job = store.create(userId, kind, lease, meta);
        created.run();
        return job;
    }

    /**
     * Creates a job of the owner in the store ({@code generation_started}) and runs the work on a virtual thread of
     * this pod, which reports through a {@link JobReporter}; null when the owner already runs the most in-process
     * jobs allowed.
     *
     * @param meta the job's meta, a JSON object's text or ""
     * @throws JobStore.Refused                           {@code too_many_jobs} (the store's cap)
     * @throws dev.herald.hub.BrokerUnavailableException when the job could not be stored
     */
    public Job start(String owner, String kind, String meta, String resultPath, Work work) {
        AtomicInteger count = running.computeIfAbsent(owner, o -> new AtomicInteger());
        if (count.incrementAndGet() > maxRunningPerOwner) {
            count.decrementAndGet();
            return null;
        }
        JobStore.Created stored;
        try {
            stored = create(owner, kind, JobStore.DEFAULT_LEASE, meta);
        } catch (RuntimeException e) {
            count.decrementAndGet();
            throw e;
        }
        forgetOld();
        Job job = new Job(stored.job().jobId(), owner);
        jobs.put(job.id(), job);
        JobReporter reporter = new JobReporter(store, job.id(), metrics);
        executor.execute(() -> {
            try {
                try (OutputStream out = new BufferedOutputStream(results.create(job.id()), WRITE_BUFFER)) {
                    work.run(reporter, out);
                }
                job.resultBytes = results.keep(job.id());
                job.finished = true;
                reporter.complete(resultPath.replace("{jobId}", job.id()));
            } catch (Exception e) {
                results.forget(job.id());
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
        return results.open(job.id());
    }

    /** Bytes of results on disk, kept and being written. */
    public long resultBytes() {
        return results.bytes();
    }

    /** The results directory of this pod; null before {@link #start()}. */
    public Path resultDirectory() {
        return results.directory();
    }

    @Override
    public void close() {
        ScheduledExecutorService leases = sweeper;
        if (leases != null) {
            leases.shutdownNow();
        }
        executor.shutdownNow();
        results.close();
    }

    private void forgetOld() {
        long cutoff = System.currentTimeMillis() - RETENTION.toMillis();
        jobs.values().removeIf(job -> {
            boolean old = job.startedAt < cutoff && (job.finished || job.failure != null);
            if (old) {
                results.forget(job.id());
            }
            return old;
        });
        if (jobs.size() >= MAX_KEPT) {
            jobs.values().stream().filter(job -> job.finished || job.failure != null)
                    .min(Comparator.comparingLong(job -> job.startedAt))
                    .ifPresent(oldest -> {
                        results.forget(oldest.id());
                        jobs.remove(oldest.id());
                    });
        }
    }
}
