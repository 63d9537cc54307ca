package dev.herald.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.RateLimitedException;
import dev.herald.jobs.Job;
import dev.herald.jobs.JobStore;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.params.ZRangeParams;

/**
 * Clustered mode's jobs: each job is a hash in its owner channel's slot ({@link RedisKeys#job}), and every transition
 * is one run of {@code job.lua}, which checks it, stores the state with its TTL and appends and publishes the event
 * exactly as a publish does. Leases: the deadline lives in the job; {@link RedisKeys#jobLeases} is only an index, written
 * before the job is created and read by every pod's {@link #failExpired}, where the script decides (decision 009).
 * Thread-safe: no state of its own.
 */
final class RedisJobStore implements JobStore {
    private static final Logger LOG = Logger.getLogger(RedisJobStore.class.getName());
    /** Index entries one sweep handles at most; the next sweep, a second later, takes the rest. */
    private static final int SWEEP_BATCH = 200;
    /** Batches one sweep takes at most while they come back full (the rest waits a second). */
    private static final int SWEEP_BATCHES = 10;
    /** Index entries a list reads at a time. */
    private static final int LIST_PAGE = 100;

    private final RedisConnection redis;
    private final RedisKeys keys;
    private final RedisBroker broker;
    private final HubMetrics metrics;
    private final double channelPerSecond;
    private final int channelBurst;
    private final long retentionMillis;

    /**
     * @param channelPerSecond the owner channel's event budget for progress events ({@code herald.rate.channel.*});
     *                         0 for none
     */
    RedisJobStore(RedisConnection redis, RedisBroker broker, HubMetrics metrics, double channelPerSecond,
                  int channelBurst, Duration retention) {
        this.redis = redis;
        this.keys = redis.keys();
        this.broker = broker;
        this.metrics = metrics;
        this.channelPerSecond = channelPerSecond;
        this.channelBurst = channelBurst;
        this.retentionMillis = retention.toMillis();
    }

    @Override
    public Created create(String userId, String kind, Duration lease, String meta) {
        String jobId = JobStore.newId(userId);
        String token = JobStore.newWorkerToken();
        try {
            // indexed first: a pod that dies before the job exists leaves an entry that finds nothing, never a job
            // that no sweeper would find
            redis.client().zadd(keys.jobLeases(), (double) (System.currentTimeMillis() + lease.toMillis()), jobId);
        } catch (JedisException e) {
            metrics.publishFailed();
            throw new BrokerUnavailableException("Redis did not store the job: " + e.getMessage(), e);
        }
        List<String> args = List.of(userId, kind, Long.toString(lease.toMillis()), meta, JobStore.hash(token),
                                    Integer.toString(MAX_RUNNING_PER_USER), Integer.toString(MAX_INDEXED));
        List<?> answer = run("create", jobId, null, args);
        if ("too_many".equals(answer.get(0)) && dropStaleRunning(userId) > 0) {
            answer = run("create", jobId, null, args);
        }
        if ("too_many".equals(answer.get(0))) {
            forgetLease(jobId);
            throw new Refused("too_many_jobs", null);
        }
        Job job = published(answer);
        try {
            // again with the stored deadline: a sweep that ran before the job existed (a create slower than its
            // lease) removed the first entry, and a job without one would never be failed
            redis.client().zadd(keys.jobLeases(), (double) job.leaseUntil(), jobId);
        } catch (JedisException e) {
            LOG.fine(() -> "Could not index the lease of job " + jobId + " again: " + e.getMessage());
        }
        return new Created(job, token);
    }

    /**
     * Drops from the user's running set the ids whose job is gone or finished (a restore, a lost write), so that they
     * do not count against the cap; returns how many. Read and removed here, by name: the script touches only the
     * keys it is given.
     */
    private int dropStaleRunning(String userId) {
        String channel = ChannelName.user(userId);
        try {
            List<String> ids = new ArrayList<>(redis.client().smembers(keys.jobsRunning(channel)));
            List<Response<String>> statuses = new ArrayList<>(ids.size());
            try (AbstractPipeline pipeline = redis.client().pipelined()) {
                for (String id : ids) {
                    statuses.add(pipeline.hget(keys.job(channel, id), "status"));
                }
                pipeline.sync();
            }
            List<String> stale = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (!Job.RUNNING.equals(statuses.get(i).get())) {
                    stale.add(ids.get(i));
                }
            }
            if (!stale.isEmpty()) {
                redis.client().srem(keys.jobsRunning(channel), stale.toArray(String[]::new));
            }
            return stale.size();
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis jobs are unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Job progress(String jobId, String tokenHash, String progress, String message) {
        List<?> answer = run("progress", jobId, tokenHash,
                             List.of(progress, message == null ? "" : message, message == null ? "0" : "1",
                                     channelPerSecond > 0 ? Double.toString(channelPerSecond) : "",
                                     Integer.toString(channelBurst)));
        if ("wait".equals(answer.get(0))) {
            throw new RateLimitedException("channel", (Long) answer.get(1));
        }
        return published(answer);
    }

    /** Completes the job; its lease entry is dropped (best effort: a sweep would drop it at its deadline). */
    @Override
    public Job complete(String jobId, String tokenHash, String result) {
        Job job = published(run("complete", jobId, tokenHash, List.of(result)));
        forgetLease(jobId);
        return job;
    }

    @Override
    public Job fail(String jobId, String tokenHash, String error, String message) {
        Job job = published(run("fail", jobId, tokenHash, List.of(error, message)));
        forgetLease(jobId);
        return job;
    }

    @Override
    public Job get(String jobId) {
        String owner = JobStore.owner(jobId);
        if (owner == null) {
            return null;
        }
        try {
            return job(redis.client().hgetAll(keys.job(ChannelName.user(owner), jobId)));
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis jobs are unreachable: " + e.getMessage(), e);
        }
    }

    /**
     * Running jobs: the running set (at most the cap), their hashes in one pipeline to the user's slot. Otherwise the
     * index, newest first, a page at a time: each page's statuses, then the hashes of those that match, until a list
     * is full; so a call reads little more than it returns.
     */
    @Override
    public List<Job> list(String userId, String status) {
        String channel = ChannelName.user(userId);
        try {
            if (Job.RUNNING.equals(status)) {
                List<Job> jobs = hashes(channel, newestFirst(channel, redis.client().smembers(keys.jobsRunning(channel))));
                jobs.removeIf(job -> !job.running());
                return jobs.size() > MAX_LISTED ? List.copyOf(jobs.subList(0, MAX_LISTED)) : jobs;
            }
            List<Job> jobs = new ArrayList<>();
            for (int from = 0; from < MAX_INDEXED && jobs.size() < MAX_LISTED; from += LIST_PAGE) {
                List<String> ids = redis.client().zrange(keys.jobIndex(channel),
                                                         ZRangeParams.zrangeParams(from, from + LIST_PAGE - 1).rev());
                List<String> matching = status == null ? ids : withStatus(channel, ids, status);
                for (Job job : hashes(channel, matching)) {
                    if (jobs.size() < MAX_LISTED && (status == null || status.equals(job.status()))) {
                        jobs.add(job);
                    }
                }
                if (ids.size() < LIST_PAGE) {
                    break;
                }
            }
            return jobs;
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis jobs are unreachable: " + e.getMessage(), e);
        }
    }

    /** The ids in creation order, newest first, by their index scores (an id the index no longer holds last). */
    private List<String> newestFirst(String channel, java.util.Set<String> ids) {
        List<String> sorted = new ArrayList<>(ids);
        if (sorted.isEmpty()) {
            return sorted;
        }
        List<Double> scores = redis.client().zmscore(keys.jobIndex(channel), sorted.toArray(String[]::new));
        Map<String, Double> order = new java.util.HashMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            order.put(sorted.get(i), scores.get(i) == null ? Double.NEGATIVE_INFINITY : scores.get(i));
        }
        sorted.sort(Comparator.comparing(order::get, Comparator.reverseOrder()));
        return sorted;
    }

    /** The ids whose job has this status, in order. */
    private List<String> withStatus(String channel, List<String> ids, String status) {
        List<Response<String>> statuses = new ArrayList<>(ids.size());
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            for (String id : ids) {
                statuses.add(pipeline.hget(keys.job(channel, id), "status"));
            }
            pipeline.sync();
        }
        List<String> matching = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (status.equals(statuses.get(i).get())) {
                matching.add(ids.get(i));
            }
        }
        return matching;
    }

    /** The jobs of these ids that still exist, in the ids' order: one pipeline. */
    private List<Job> hashes(String channel, List<String> ids) {
        List<Job> jobs = new ArrayList<>(ids.size());
        if (ids.isEmpty()) {
            return jobs;
        }
        List<Response<Map<String, String>>> hashes = new ArrayList<>(ids.size());
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            for (String id : ids) {
                hashes.add(pipeline.hgetAll(keys.job(channel, id)));
            }
            pipeline.sync();
        }
        for (Response<Map<String, String>> hash : hashes) {
            Job job = job(hash.get());
            if (job != null) {
                jobs.add(job);
            }
        }
        return jobs;
    }

    /**
     * Reads the index entries that are due and runs the expire step on each job: whichever pod's step comes first
     * fails it and publishes, the others find it finished. A renewed lease re-scores its entry; an entry whose job
     * finished or is gone is removed.
     */
    @Override
    public int failExpired() {
        int failed = 0;
        for (int batch = 0; batch < SWEEP_BATCHES; batch++) {
            List<String> due;
            try {
                due = redis.client().zrange(keys.jobLeases(), ZRangeParams.zrangeByScoreParams(
                        0, (double) System.currentTimeMillis()).limit(0, SWEEP_BATCH));
            } catch (JedisException e) {
                LOG.fine(() -> "Could not read the job leases: " + e.getMessage());
                return failed;
            }
            failed += sweep(due);
            if (due.size() < SWEEP_BATCH) {
                break;
            }
        }
        return failed;
    }

    /** Runs the expire step on each due job; returns how many it failed. */
    private int sweep(List<String> due) {
        int failed = 0;
        for (String jobId : due) {
            try {
                List<?> answer = JobStore.owner(jobId) == null ? List.of("gone") : run("expire", jobId, null, List.of());
                switch ((String) answer.get(0)) {
                    case "alive" -> redis.client().zadd(keys.jobLeases(), Double.parseDouble((String) answer.get(1)),
                                                        jobId, ZAddParams.zAddParams().xx());
                    case "ok" -> {
                        metrics.eventPublished();
                        failed++;
                        forgetLease(jobId);
                    }
                    default -> forgetLease(jobId);
                }
            } catch (Refused e) {
                forgetLease(jobId);
            } catch (JedisException | BrokerUnavailableException e) {
                LOG.fine(() -> "Could not check the lease of job " + jobId + ": " + e.getMessage());
            }
        }
        return failed;
    }

    private void forgetLease(String jobId) {
        try {
            redis.client().zrem(keys.jobLeases(), jobId);
        } catch (JedisException e) {
            LOG.fine(() -> "Could not drop the lease entry of job " + jobId + ": " + e.getMessage());
        }
    }

    /** Runs one step of job.lua; an answer that is neither published nor refused is returned as it came. */
    private List<?> run(String op, String jobId, String tokenHash, List<String> opArgs) {
        String owner = JobStore.owner(jobId);
        if (owner == null) {
            throw new Refused("not_found", null);
        }
        String channel = ChannelName.user(owner);
        List<String> keyList = new ArrayList<>(List.of(keys.job(channel, jobId), keys.jobIndex(channel),
                                                       keys.jobsRunning(channel)));
        keyList.addAll(broker.appendKeys(channel));
        keyList.add(keys.rate("channel", channel));
        List<String> args = new ArrayList<>(List.of(op, channel, jobId, tokenHash == null ? "" : tokenHash,
                                                    Long.toString(retentionMillis)));
        args.addAll(broker.appendArgs(channel));
        args.addAll(opArgs);
        List<?> answer;
        try {
            answer = (List<?>) redis.replicaAck().eval(redis.client(), RedisScript.JOB, keyList, args);
        } catch (JedisException | ClassCastException e) {
            metrics.publishFailed();
            throw new BrokerUnavailableException("Redis did not store the job: " + e.getMessage(), e);
        }
        return switch ((String) answer.get(0)) {
            case "gone" -> throw new Refused("not_found", null);
            case "refused" -> throw new Refused((String) answer.get(1), job(answer.subList(2, answer.size())));
            default -> answer;
        };
    }

    /** The state of a step that published its event (counted as any publish). */
    private Job published(List<?> answer) {
        metrics.eventPublished();
        return job(answer.subList(2, answer.size()));
    }

    private static final String[] FIELDS = {"jobId", "userId", "kind", "status", "progress", "message", "result",
            "error", "meta", "version", "createdAt", "updatedAt", "lease", "leaseUntil", "token"};

    /** A job from job.lua's fields, in {@link #FIELDS} order. */
    private static Job job(List<?> f) {
        return new Job(s(f, 0), s(f, 1), s(f, 2), s(f, 3), s(f, 4), s(f, 5), s(f, 6), s(f, 7), s(f, 8),
                       Long.parseLong(s(f, 9)), Long.parseLong(s(f, 10)), Long.parseLong(s(f, 11)),
                       Long.parseLong(s(f, 12)), Long.parseLong(s(f, 13)), s(f, 14));
    }

    /** A job from its hash, or null when there is none. */
    private static Job job(Map<String, String> hash) {
        if (hash == null || hash.isEmpty()) {
            return null;
        }
        List<String> fields = new ArrayList<>(FIELDS.length);
        for (String name : FIELDS) {
            fields.add(hash.getOrDefault(name, ""));
        }
        return job(fields);
    }

    private static String s(List<?> fields, int i) {
        return String.valueOf(fields.get(i));
    }
}
