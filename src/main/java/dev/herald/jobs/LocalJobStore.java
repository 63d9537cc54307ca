package dev.herald.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

import dev.herald.hub.ChannelName;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimiter;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Embedded mode's jobs, in this process: each transition is checked, published through {@link Publishing} and stored
 * under one lock, so the state and the owner channel's events change in the same order and a refused or unpublished
 * transition changes nothing. Finished jobs are kept for the retention; each user's newest {@link #MAX_INDEXED} are
 * kept at most. Thread-safe: every map is guarded by {@code lock}.
 */
public final class LocalJobStore implements JobStore {
    private final Publishing publishing;
    /** The owner channels' budgets (progress only), or null for none. */
    private final RateLimiter limiter;
    private final double channelPerSecond;
    private final int channelBurst;
    private final long retentionMillis;
    private final ReentrantLock lock = new ReentrantLock();
    /** User → their jobs by id, oldest first. */
    @GuardedBy("lock")
    private final Map<String, LinkedHashMap<String, Job>> users = new HashMap<>();

    /**
     * @param limiter the channels' budgets for progress events (the publish API's buckets), or null for none
     */
    public LocalJobStore(Publishing publishing, RateLimiter limiter, double channelPerSecond, int channelBurst,
                         Duration retention) {
        this.publishing = publishing;
        this.limiter = limiter;
        this.channelPerSecond = channelPerSecond;
        this.channelBurst = channelBurst;
        this.retentionMillis = retention.toMillis();
    }

    @Override
    public Created create(String userId, String kind, Duration lease, String meta) {
        String token = JobStore.newWorkerToken();
        long now = System.currentTimeMillis();
        Job job = new Job(JobStore.newId(userId), userId, kind, Job.RUNNING, "0", "", "", "", meta, 1, now, now,
                          lease.toMillis(), now + lease.toMillis(), JobStore.hash(token));
        lock.lock();
        try {
            LinkedHashMap<String, Job> jobs = users.computeIfAbsent(userId, u -> new LinkedHashMap<>());
            if (jobs.values().stream().filter(Job::running).count() >= MAX_RUNNING_PER_USER) {
                throw new Refused("too_many_jobs", null);
            }
            publishing.publish(ChannelName.user(userId), job.event("generation_started", ChannelName.user(userId)));
            jobs.put(job.jobId(), job);
            trim(jobs);
        } finally {
            lock.unlock();
        }
        return new Created(job, token);
    }

    @Override
    public Job progress(String jobId, String tokenHash, String progress, String message) {
        return transition(jobId, tokenHash, "generation_progress", job -> {
            if (new java.math.BigDecimal(progress).compareTo(new java.math.BigDecimal(job.progress())) < 0) {
                throw new Refused("progress_regressed", job);
            }
            return next(job, Job.RUNNING, progress, message == null ? job.message() : message, "", "");
        });
    }

    @Override
    public Job complete(String jobId, String tokenHash, String result) {
        return transition(jobId, tokenHash, "generation_complete",
                          job -> next(job, Job.COMPLETE, "100", job.message(), result, ""));
    }

    @Override
    public Job fail(String jobId, String tokenHash, String error, String message) {
        return transition(jobId, tokenHash, "generation_failed",
                          job -> next(job, Job.FAILED, job.progress(), message, "", error));
    }

    @Override
    public Job get(String jobId) {
        String owner = JobStore.owner(jobId);
        if (owner == null) {
            return null;
        }
        lock.lock();
        try {
            LinkedHashMap<String, Job> jobs = users.get(owner);
            return jobs == null ? null : jobs.get(jobId);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Job> list(String userId, String status) {
        List<Job> found = new ArrayList<>();
        lock.lock();
        try {
            LinkedHashMap<String, Job> jobs = users.get(userId);
            if (jobs != null) {
                for (Job job : jobs.values()) {
                    if (status == null || status.equals(job.status())) {
                        found.add(job);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        Collections.reverse(found);
        return found.size() > MAX_LISTED ? List.copyOf(found.subList(0, MAX_LISTED)) : found;
    }

    @Override
    public int failExpired() {
        long now = System.currentTimeMillis();
        int failed = 0;
        lock.lock();
        try {
            for (Iterator<LinkedHashMap<String, Job>> users = this.users.values().iterator(); users.hasNext(); ) {
                LinkedHashMap<String, Job> jobs = users.next();
                for (Map.Entry<String, Job> entry : jobs.entrySet()) {
                    Job job = entry.getValue();
                    if (job.running() && job.leaseUntil() <= now) {
                        Job lost = next(job, Job.FAILED, job.progress(), WORKER_LOST_MESSAGE, "", WORKER_LOST);
                        publishing.publish(ChannelName.user(job.userId()),
                                           lost.event("generation_failed", ChannelName.user(job.userId())));
                        entry.setValue(lost);
                        failed++;
                    }
                }
                jobs.values().removeIf(job -> !job.running() && job.updatedAt() + retentionMillis <= now);
                if (jobs.isEmpty()) {
                    users.remove();
                }
            }
        } finally {
            lock.unlock();
        }
        return failed;
    }

    /** Checks the caller and the job, then publishes and stores the step's state; all under the lock. */
    private Job transition(String jobId, String tokenHash, String type, UnaryOperator<Job> step) {
        String owner = JobStore.owner(jobId);
        if (owner == null) {
            throw new Refused("not_found", null);
        }
        String channel = ChannelName.user(owner);
        lock.lock();
        try {
            LinkedHashMap<String, Job> jobs = users.get(owner);
            Job job = jobs == null ? null : jobs.get(jobId);
            if (job == null) {
                throw new Refused("not_found", null);
            }
            if (tokenHash != null && !tokenHash.equals(job.tokenHash())) {
                throw new Refused("forbidden", job);
            }
            if (!job.running()) {
                throw new Refused("job_finished", job);
            }
            Job next = step.apply(job);
            byte[] event = next.event(type, channel);
            if (next.running() && limiter != null) {
                // over the channel's budget: refused, nothing stored (RateLimitedException)
                publishing.publish(channel, event, limiter, null,
                                   new RateLimiter.Budget("channel", channel, channelPerSecond, channelBurst), null);
            } else {
                publishing.publish(channel, event);
            }
            jobs.put(jobId, next);
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** The job's next state: one version more, updated now, its lease renewed. */
    private static Job next(Job job, String status, String progress, String message, String result, String error) {
        long now = Math.max(System.currentTimeMillis(), job.updatedAt());
        return new Job(job.jobId(), job.userId(), job.kind(), status, progress, message, result, error, job.meta(),
                       job.version() + 1, job.createdAt(), now, job.leaseMillis(), now + job.leaseMillis(),
                       job.tokenHash());
    }

    /** Keeps the user's newest jobs (a map of theirs, under the lock): the oldest finished ones go first. */
    private static void trim(Map<String, Job> jobs) {
        Iterator<Job> oldest = jobs.values().iterator();
        while (jobs.size() > MAX_INDEXED && oldest.hasNext()) {
            if (!oldest.next().running()) {
                oldest.remove();
            }
        }
    }
}
