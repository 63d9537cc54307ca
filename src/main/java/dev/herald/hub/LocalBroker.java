package dev.herald.hub;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * The in-process broker of embedded mode: ids, history and delivery in one step under a per-channel lock,
 * so the sink sees each channel's events in id order. The history of a channel idle for the TTL is dropped, but
 * its id counter is kept (about 150 bytes per channel ever used) so that ids never restart under a client's
 * cursor: a client that comes back after its history expired gets a resync, never a silent gap.
 */
public final class LocalBroker implements Broker {
    /** Channel name → its log; entries are created by publishers and never removed (the sweeper empties them). */
    private final Map<String, ChannelLog> channels = new ConcurrentHashMap<>();
    private final int historySize;
    private final long ttlMillis;
    private final LocalIdempotency idempotency;
    private final String epoch = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36);
    /** Set by {@link #start}, read by publishers. */
    private volatile BrokerListener listener;
    /** Runs {@link #sweep}; set by {@link #start}, stopped by {@link #close}. */
    private volatile ScheduledExecutorService sweeper;

    public LocalBroker(int historySize, Duration ttl) {
        this(historySize, ttl, Duration.ofHours(24));
    }

    /**
     * @param idempotencyTtl how long an idempotency key is remembered
     */
    public LocalBroker(int historySize, Duration ttl, Duration idempotencyTtl) {
        this.historySize = historySize;
        this.ttlMillis = ttl.toMillis();
        this.idempotency = new LocalIdempotency(idempotencyTtl);
    }

    @Override
    public void start(BrokerListener listener) {
        this.listener = listener;
        this.sweeper = Daemons.every("herald-history-sweeper", Duration.ofMillis(Math.max(1000, ttlMillis / 4)),
                                     this::sweep);
    }

    @Override
    public Event publish(String channel, byte[] body) {
        ChannelLog log = channels.computeIfAbsent(channel, c -> new ChannelLog(historySize));
        log.lock.lock();
        try {
            long id = ++log.head;
            // never earlier than the channel's previous event, even if the wall clock steps back
            long now = Math.max(System.currentTimeMillis(), log.touched);
            Event event = new Event(channel, id, EventJson.withId(id, body), now);
            log.history.append(event);
            log.touched = now;
            listener.deliver(event);
            return event;
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public Published publish(String channel, byte[] body, RateLimiter limiter, RateLimiter.Budget budget,
                             Idempotency key) {
        LongSupplier publish = () -> {
            if (budget != null) {
                long wait = limiter.acquire(budget.key(), budget.perSecond(), budget.burst());
                if (wait > 0) {
                    throw new RateLimitedException(budget.limit(), wait);
                }
            }
            return publish(channel, body).id();
        };
        if (key == null) {
            return new Published(publish.getAsLong(), false);
        }
        return idempotency.once(channel + "\n" + key.id(), key.request(), publish);
    }

    @Override
    public OptionalLong published(String channel, Idempotency key) {
        return idempotency.published(channel + "\n" + key.id(), key.request());
    }

    @Override
    public void subscribe(String channel) {
        // every published event already reaches the hub, which knows its subscribers
    }

    @Override
    public void unsubscribe(String channel) {
    }

    @Override
    public long head(String channel) {
        ChannelLog log = channels.get(channel);
        if (log == null) {
            return 0;
        }
        log.lock.lock();
        try {
            return log.head;
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public Replay replay(String channel, long after) {
        ChannelLog log = channels.get(channel);
        if (log == null) {
            return new Replay(List.of(), after == 0, 0);
        }
        log.lock.lock();
        try {
            long head = log.head;
            long oldest = log.history.oldestId(head);
            if (after < 0 || after > head || after < oldest - 1) {
                return new Replay(log.history.after(Replay.UNKNOWN), false, head);
            }
            return new Replay(log.history.after(after), true, head);
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public String epoch() {
        return epoch;
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public void close() {
        ScheduledExecutorService running = sweeper;
        if (running != null) {
            running.shutdownNow();
        }
    }

    /** Drops the history of channels idle for the TTL; runs on the sweeper thread (package-private for tests). */
    void sweep() {
        long cutoff = System.currentTimeMillis() - ttlMillis;
        for (ChannelLog log : channels.values()) {
            // a channel busy publishing right now is not idle: skip it rather than wait
            if (log.lock.tryLock()) {
                try {
                    if (log.touched <= cutoff) {
                        log.history.clear();
                    }
                } finally {
                    log.lock.unlock();
                }
            }
        }
    }

    /** One channel's id counter and history; every field is guarded by {@code lock}. */
    private static final class ChannelLog {
        final ReentrantLock lock = new ReentrantLock();
        @GuardedBy("lock")
        final History history;
        @GuardedBy("lock")
        long head;
        @GuardedBy("lock")
        long touched = System.currentTimeMillis();

        ChannelLog(int historySize) {
            this.history = new History(historySize);
        }
    }
}
