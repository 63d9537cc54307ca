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
        List<?> answer = run("create", jobId, null, List.of(userId, kind, Long.toString(lease.toMillis()), meta,
                                                             JobStore.hash(token),
                                                             Integer.toString(MAX_RUNNING_PER_USER),
                                                             Integer.toString(MAX_INDEXED)));
        if ("too_many".equals(answer.get(0))) {
            forgetLease(jobId);
            throw new Refused("too_many_jobs", null);
        }
        return new Created(published(answer), token);
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

    @Override
    public Job complete(String jobId, String tokenHash, String result) {
        return published(run("complete", jobId, tokenHash, List.of(result)));
    }

    @Override
    public Job fail(String jobId, String tokenHash, String error, String message) {
        return published(run("fail", jobId, tokenHash, List.of(error, message)));
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

    /** The ids (the running set, or the index's newest), then every job's hash in one pipeline to the user's slot. */
    @Override
    public List<Job> list(String userId, String status) {
        String channel = ChannelName.user(userId);
        try {
            List<String> ids = Job.RUNNING.equals(status)
                               ? new ArrayList<>(redis.client().smembers(keys.jobsRunning(channel)))
                               : redis.client().zrange(keys.jobIndex(channel),
                                                     ZRangeParams.zrangeParams(0, MAX_INDEXED - 1).rev());
            List<Job> jobs = new ArrayList<>();
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
                if (job != null && (status == null || status.equals(job.status()))) {
                    jobs.add(job);
                }
            }
            jobs.sort(Comparator.comparingLong(Job::createdAt).reversed());
            return jobs.size() > MAX_LISTED ? List.copyOf(jobs.subList(0, MAX_LISTED)) : jobs;
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis jobs are unreachable: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the index entries that are due and runs the expire step on each job: whichever pod's step comes first
     * fails it and publishes, the others find it finished. A renewed lease re-scores its entry; an entry whose job
     * finished or is gone is removed.
     */
    @Override
    public int failExpired() {
        List<String> due;
        try {
            due = redis.client().zrange(keys.jobLeases(), ZRangeParams.zrangeByScoreParams(0, (double) System.currentTimeMillis())
                    .limit(0, SWEEP_BATCH));
        } catch (JedisException e) {
            LOG.fine(() -> "Could not read the job leases: " + e.getMessage());
            return 0;
        }
        int failed = 0;
        for (String jobId : due) {
            try {
                List<?> answer = JobStore.owner(jobId) == null ? List.of("gone") : run("expire", jobId, null, List.of());
                switch ((String) answer.get(0)) {
                    case "alive" -> redis.client().zadd(keys.jobLeases(), Double.parseDouble((String) answer.get(1)),
                                                        jobId, ZAddParams.zAddParams().xx());
                    case "ok" -> {
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
