package dev.herald.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelDirectory;
import dev.herald.hub.Daemons;
import dev.herald.hub.Hub;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ZRangeParams;

/**
 * Channel counts across pods. Each pod reports its own ({@link #report}, every {@link #PERIOD}): the channels whose
 * local stream count changed since the last report go to its hash ({@link RedisKeys#podChannelCounts}) and its name
 * index ({@link RedisKeys#podChannelNames}), both kept alive for {@link #TTL}, and the pod renews its entry in
 * {@link RedisKeys#directoryPods}. A report that finds its keys gone (they expired while the pod stalled, or Redis
 * restarted empty) writes every channel again. Readers ask each live pod's keys (a few commands per pod in one
 * pipeline, never a scan of the keyspace), so counts lag streams by about a period. Thread-safe: the reporter is one
 * daemon thread; readers share nothing but the Redis client.
 */
final class RedisChannelDirectory implements ChannelDirectory {
    private static final Logger LOG = Logger.getLogger(RedisChannelDirectory.class.getName());
    /** How often a pod reports its changed counts. */
    static final Duration PERIOD = Duration.ofSeconds(1);
    /** How long a pod's report holds without renewal: a pod that stopped without a word leaves the counts then. */
    static final Duration TTL = Duration.ofSeconds(10);
    /** Commands per pipeline of a report. */
    private static final int BATCH = 1000;

    private final RedisConnection redis;
    private final RedisKeys keys;
    private final String podId;
    private final Hub hub;
    /** The reporter; null until {@link #start}. */
    private volatile ScheduledExecutorService reporter;

    RedisChannelDirectory(RedisConnection redis, String podId, Hub hub) {
        this.redis = redis;
        this.keys = redis.keys();
        this.podId = podId;
        this.hub = hub;
        hub.trackChannelChanges();
    }

    /** Starts reporting this pod's counts. */
    void start() {
        reporter = Daemons.every("herald-channel-directory", PERIOD, this::report);
    }

    /** Stops reporting and removes this pod's report (best effort: it expires anyway). */
    void stop() {
        ScheduledExecutorService executor = reporter;
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            redis.client().del(keys.podChannelCounts(podId), keys.podChannelNames(podId));
            redis.client().zrem(keys.directoryPods(), podId);
        } catch (JedisException e) {
            LOG.fine(() -> "Could not remove this pod's channel counts; they expire: " + e.getMessage());
        }
    }

    /** One report: the changed channels, or all of them when this pod's keys are gone. */
    void report() {
        List<String> changed = hub.drainChangedChannels();
        List<String> write = changed;
        try {
            String counts = keys.podChannelCounts(podId);
            String names = keys.podChannelNames(podId);
            long ttl = TTL.toMillis();
            Response<Long> countsAlive;
            Response<Long> namesAlive;
            try (AbstractPipeline pipeline = redis.client().pipelined()) {
                countsAlive = pipeline.pexpire(counts, ttl);
                namesAlive = pipeline.pexpire(names, ttl);
                pipeline.sync();
            }
            if ((countsAlive.get() == 0 || namesAlive.get() == 0) && hub.channelCount() > 0) {
                write = hub.localChannels();
                write.addAll(changed);
            }
            for (int from = 0; from < write.size(); from += BATCH) {
                try (AbstractPipeline pipeline = redis.client().pipelined()) {
                    for (String channel : write.subList(from, Math.min(write.size(), from + BATCH))) {
                        int count = hub.subscribers(channel);
                        if (count > 0) {
                            pipeline.hset(counts, channel, Integer.toString(count));
                            pipeline.zadd(names, 0, channel);
                        } else {
                            pipeline.hdel(counts, channel);
                            pipeline.zrem(names, channel);
                        }
                    }
                    pipeline.sync();
                }
            }
            long now = System.currentTimeMillis();
            try (AbstractPipeline pipeline = redis.client().pipelined()) {
                pipeline.pexpire(counts, ttl);
                pipeline.pexpire(names, ttl);
                pipeline.zadd(keys.directoryPods(), (double) (now + ttl), podId);
                // pods gone for a while leave the index (readers skip any whose report ended anyway)
                pipeline.zremrangeByScore(keys.directoryPods(), Double.NEGATIVE_INFINITY, (double) (now - 6 * ttl));
                pipeline.sync();
            }
        } catch (JedisException e) {
            // everything this report meant to write, a whole rewrite included: a rewrite cut off half-way leaves
            // the keys in place, so the next report would not know to write it all again
            hub.channelsChanged(write);
            LOG.fine(() -> "Channel counts not reported; retrying: " + e.getMessage());
        }
    }

    @Override
    public long subscribers(String channel) {
        try {
            List<String> pods = livePods();
            List<Response<String>> counts = new ArrayList<>();
            try (AbstractPipeline pipeline = redis.client().pipelined()) {
                for (String pod : pods) {
                    counts.add(pipeline.hget(keys.podChannelCounts(pod), channel));
                }
                pipeline.sync();
            }
            long total = 0;
            for (Response<String> count : counts) {
                total += count.get() == null ? 0 : Long.parseLong(count.get());
            }
            return total;
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis channel counts are unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * Each live pod's first {@code limit + 1} names in the range, merged; then the page's counts from each pod. A
     * name whose counts all read 0 (its streams left between the two reads) is left out.
     */
    @Override
    public Page list(String prefix, String after, int limit) {
        // names are ASCII (ChannelName): U+00FF sorts after every one of them
        String min = after == null || after.compareTo(prefix) < 0 ? "[" + prefix : "(" + after;
        String max = prefix.isEmpty() ? "+" : "[" + prefix + "\u00ff";
        try {
            List<String> pods = livePods();
            List<Response<List<String>>> ranges = new ArrayList<>();
            try (AbstractPipeline pipeline = redis.client().pipelined()) {
                for (String pod : pods) {
                    ranges.add(pipeline.zrangeByLex(keys.podChannelNames(pod), min, max, 0, limit + 1));
                }
                pipeline.sync();
            }
            TreeSet<String> merged = new TreeSet<>();
            ranges.forEach(r -> merged.addAll(r.get()));
            List<String> page = new ArrayList<>(merged).subList(0, Math.min(merged.size(), limit + 1));
            Map<String, Long> totals = new HashMap<>();
            if (!page.isEmpty()) {
                List<Response<List<String>>> counts = new ArrayList<>();
                String[] fields = page.toArray(String[]::new);
                try (AbstractPipeline pipeline = redis.client().pipelined()) {
                    for (String pod : pods) {
                        counts.add(pipeline.hmget(keys.podChannelCounts(pod), fields));
                    }
                    pipeline.sync();
                }
                for (Response<List<String>> podCounts : counts) {
                    List<String> values = podCounts.get();
                    for (int i = 0; i < fields.length; i++) {
                        if (values.get(i) != null) {
                            totals.merge(fields[i], Long.parseLong(values.get(i)), Long::sum);
                        }
                    }
                }
            }
            List<Entry> entries = new ArrayList<>();
            for (String channel : page.subList(0, Math.min(page.size(), limit))) {
                long total = totals.getOrDefault(channel, 0L);
                if (total > 0) {
                    entries.add(new Entry(channel, total));
                }
            }
            return new Page(entries, page.size() > limit ? page.get(limit - 1) : null);
        } catch (JedisException | NumberFormatException e) {
            throw new BrokerUnavailableException("Redis channel counts are unreadable: " + e.getMessage(), e);
        }
    }

    /** The pods whose report still holds. */
    private List<String> livePods() {
        return redis.client().zrange(keys.directoryPods(), ZRangeParams.zrangeByScoreParams(
                (double) System.currentTimeMillis(), Double.POSITIVE_INFINITY));
    }
}
