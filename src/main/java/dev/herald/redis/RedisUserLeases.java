package dev.herald.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.UserLeases;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.ZAddParams;

/**
 * The per-user connection cap across pods: each open stream holds a lease in Redis that its pod refreshes; the
 * leases of a pod that dies expire, so a crash never locks its users out.
 *
 * <p>Acquisitions and releases go through one bounded queue to one writer thread that sends whatever is waiting
 * as a single pipeline (each acquisition is still one atomic script): when thousands of clients reconnect at once,
 * Redis sees a few dozen round trips instead of one per connection and one pooled connection per waiting thread.
 * Thread-safe: the queue is the hand-off, the writer thread owns the pipeline, {@code mine} is a concurrent map.
 *
 * <p>When Redis loses its data (a restart without persistence, a flush), the refresh finds this pod's leases gone
 * and recreates those of streams still open, as presence re-registers its entries: the cap counts them again within
 * one refresh period. What remains: until then, other pods may grant streams the cap would have refused, and a
 * recreated lease is added whatever the count (its stream is open), so such a user can hold more streams than the
 * cap until some close. The window is bounded by the refresh period (a third of the TTL) after the loss.
 */
final class RedisUserLeases implements UserLeases {
    private static final Logger LOG = Logger.getLogger(RedisUserLeases.class.getName());
    private static final int MAX_BATCH = 512;
    private static final int MAX_WAITING = 20_000;

    private final RedisConnection redis;
    private final RedisKeys keys;
    private final long ttlMillis;
    private final long waitMillis;
    /** Lease id → user id, for the leases this pod holds. */
    private final Map<String, String> mine = new ConcurrentHashMap<>();
    /** Operations for the writer thread, in arrival order; bounded: a full queue answers 503. */
    private final BlockingQueue<Op> pending = new ArrayBlockingQueue<>(MAX_WAITING);
    /** The writer thread; set by {@link #start}. */
    private volatile Thread writer;
    /** Set by {@link #stop}: the writer ends even if a Redis call swallowed the interrupt meant for it. */
    private volatile boolean stopping;

    /** How many times a release's ZREM is sent when its batches fail. */
    private static final int RELEASE_ATTEMPTS = 3;

    private sealed interface Op permits Acquire, Release, Recreate {
    }

    private record Acquire(String userId, String leaseId, int max, CompletableFuture<Boolean> granted) implements Op {
    }

    /** @param attempt how many times its batch failed before (a failed ZREM is sent again, up to {@link #RELEASE_ATTEMPTS}) */
    private record Release(String userId, String leaseId, int attempt) implements Op {
    }

    /** A lease of this pod that the refresh found missing in Redis; sent only if the pod still holds it then. */
    private record Recreate(String userId, String leaseId) implements Op {
    }

    /**
     * @param ttl how long a lease lives without its pod's refresh; an acquisition waits at most twice Redis' timeout
     */
    RedisUserLeases(RedisConnection redis, Duration ttl) {
        this.redis = redis;
        this.keys = redis.keys();
        this.ttlMillis = ttl.toMillis();
        this.waitMillis = redis.timeout().toMillis() * 2;
    }

    /** Starts the writer thread. */
    void start() {
        writer = Thread.ofPlatform().daemon().name("herald-redis-leases").start(this::run);
    }

    @Override
    public boolean acquire(String userId, String leaseId, int max) {
        Acquire op = new Acquire(userId, leaseId, max, new CompletableFuture<>());
        if (!pending.offer(op)) {
            throw new BrokerUnavailableException("too many connections are waiting for a lease", null);
        }
        try {
            return op.granted().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abandon(op);
            throw new BrokerUnavailableException("Redis connection leases did not answer in time", e);
        } catch (ExecutionException e) {
            throw new BrokerUnavailableException("Redis connection leases are unreachable: "
                                                 + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon(op);
            throw new BrokerUnavailableException("interrupted while waiting for a connection lease", e);
        }
    }

    /**
     * The caller stopped waiting: a lease granted later is given back by the writer (it sees the cancelled future);
     * one granted just before the cancel is given back here, else this pod would refresh it forever.
     */
    private void abandon(Acquire op) {
        if (!op.granted().cancel(false) && op.granted().state() == Future.State.SUCCESS
                && op.granted().resultNow()) {
            release(op.userId(), op.leaseId());
        }
    }

    @Override
    public void release(String userId, String leaseId) {
        mine.remove(leaseId);
        // not waited for; when the queue is full the lease, no longer refreshed, expires on its own
        pending.offer(new Release(userId, leaseId, 0));
    }

    @Override
    public Duration maintenancePeriod() {
        return Duration.ofMillis(Math.max(100, ttlMillis / 3));
    }

    /**
     * Refreshes this pod's leases ({@code ZADD XX CH}: only existing ones, so a refresh racing a release never revives
     * a lease) and hands those Redis no longer has (it lost its data) to the writer thread to recreate.
     */
    @Override
    public void maintain() {
        if (mine.isEmpty()) {
            return;
        }
        long expiry = System.currentTimeMillis() + ttlMillis;
        List<Map.Entry<String, String>> held = List.copyOf(mine.entrySet());
        List<Response<Long>> refreshed = new ArrayList<>(held.size());
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            ZAddParams existing = ZAddParams.zAddParams().xx().ch();
            for (Map.Entry<String, String> lease : held) {
                String key = keys.leases(lease.getValue());
                refreshed.add(pipeline.zadd(key, (double) expiry, lease.getKey(), existing));
                pipeline.pexpire(key, ttlMillis);
            }
            pipeline.sync();
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis connection leases are unreachable: " + e.getMessage(), e);
        }
        for (int i = 0; i < held.size(); i++) {
            // 0: not in Redis (or its score did not move within the same millisecond: recreating it only refreshes it)
            if (refreshed.get(i).get() == 0) {
                Map.Entry<String, String> lease = held.get(i);
                // through the writer's queue, so that it is ordered with the lease's release (see sendOnce); when the
                // queue is full the next refresh tries again
                if (!pending.offer(new Recreate(lease.getValue(), lease.getKey()))) {
                    return;
                }
            }
        }
    }

    /** Stops the writer thread and waits for it; what is still queued is dropped (unrefreshed leases expire). */
    void stop() {
        stopping = true;
        Thread running = writer;
        if (running != null) {
            running.interrupt();
            try {
                running.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The writer thread: everything waiting, as one pipeline, until interrupted. */
    private void run() {
        List<Op> batch = new ArrayList<>(MAX_BATCH);
        while (!stopping) {
            try {
                batch.add(pending.take());
            } catch (InterruptedException e) {
                return;
            }
            pending.drainTo(batch, MAX_BATCH - 1);
            send(batch);
            batch.clear();
        }
    }

    private void send(List<Op> batch) {
        List<Acquire> retry = sendOnce(batch);
        if (!retry.isEmpty()) {
            // Redis lost its script cache (a restart, SCRIPT FLUSH): those calls changed nothing; load and resend
            try {
                RedisScript.LEASE.loadInto(redis.client(),
                                           retry.stream().map(a -> keys.leases(a.userId())).distinct().toList());
            } catch (JedisException e) {
                fail(retry, e);
                return;
            }
            List<Acquire> again = sendOnce(new ArrayList<>(retry));
            fail(again, new JedisNoScriptException("the lease script is still not loaded"));
        }
    }

    /** Sends the batch as one pipeline and settles every acquisition; returns those Redis answered NOSCRIPT. */
    private List<Acquire> sendOnce(List<? extends Op> batch) {
        long now = System.currentTimeMillis();
        List<Response<Object>> answers = new ArrayList<>(batch.size());
        try (AbstractPipeline pipeline = redis.client().pipelined()) {
            for (Op op : batch) {
                switch (op) {
                    case Acquire a -> answers.add(RedisScript.LEASE.eval(
                            pipeline, List.of(keys.leases(a.userId())),
                            List.of(a.leaseId(), Long.toString(now + ttlMillis), Long.toString(now),
                                    Integer.toString(a.max()))));
                    case Release r -> pipeline.zrem(keys.leases(r.userId()), r.leaseId());
                    // Never revives a released lease: release() drops it from mine before it queues the ZREM, and
                    // this one thread sends the queue in order. Still held when checked here: its ZREM, if any, is
                    // queued later and sent after this ZADD; no longer held: not recreated.
                    case Recreate c -> {
                        if (mine.containsKey(c.leaseId())) {
                            pipeline.zadd(keys.leases(c.userId()), (double) (now + ttlMillis), c.leaseId());
                            pipeline.pexpire(keys.leases(c.userId()), ttlMillis);
                        }
                    }
                }
            }
            pipeline.sync();
        } catch (JedisException | IllegalStateException e) {
            LOG.fine(() -> "Lease batch failed: " + e.getMessage());
            for (Op op : batch) {
                if (op instanceof Acquire a) {
                    a.granted().completeExceptionally(e);
                } else if (op instanceof Release r && r.attempt() + 1 < RELEASE_ATTEMPTS) {
                    // a released lease left in Redis counts against the user's cap until its key expires, and the
                    // refresh of the user's other leases keeps the key alive: send its ZREM again (after a Redis
                    // restart the first batch often meets a pooled connection that died with the old server)
                    pending.offer(new Release(r.userId(), r.leaseId(), r.attempt() + 1));
                }
            }
            return List.of();
        }
        List<Acquire> noScript = new ArrayList<>();
        int answer = 0;
        for (Op op : batch) {
            if (op instanceof Acquire a) {
                Object granted;
                try {
                    granted = answers.get(answer++).get();
                } catch (JedisNoScriptException e) {
                    noScript.add(a);
                    continue;
                } catch (JedisException e) {
                    a.granted().completeExceptionally(e);
                    continue;
                }
                if (!Long.valueOf(1).equals(granted)) {
                    a.granted().complete(false);
                    continue;
                }
                mine.put(a.leaseId(), a.userId());
                if (!a.granted().complete(true)) {
                    // its connection stopped waiting: give the lease back
                    release(a.userId(), a.leaseId());
                }
            }
        }
        return noScript;
    }

    private static void fail(List<Acquire> acquisitions, JedisException e) {
        for (Acquire a : acquisitions) {
            a.granted().completeExceptionally(e);
        }
    }
}
