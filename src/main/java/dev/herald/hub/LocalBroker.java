package dev.herald.hub;

import java.time.Duration;
import java.util.Iterator;
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
 * so the sink sees each channel's events in id order. The history of a channel idle for the history TTL is
 * dropped; the channel itself (its id counter) is forgotten once nobody published to it or read it for the cursor
 * TTL, so that memory holds only channels in use. Ids never restart under a cursor that is still honoured: a cursor
 * is honoured for the cursor TTL after it was written, and it was written while the stream read the channel, so the
 * channel cannot have been forgotten since (see {@link Resume#starts}).
 */
public final class LocalBroker implements Broker {
    /**
     * Channel name → its log; created by publishers, removed by the sweeper once unused for the cursor TTL (a
     * removed log is marked retired under its lock, and whoever finds it retired looks the channel up again).
     */
    private final Map<String, ChannelLog> channels = new ConcurrentHashMap<>();
    /** Channel name → how many hub topics read it (the hub subscribes once per channel); never forgotten while read. */
    private final Map<String, Integer> readers = new ConcurrentHashMap<>();
    private final int historySize;
    private final long ttlMillis;
    private final Duration cursorTtl;
    private final long forgetMillis;
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
        this(historySize, ttl, idempotencyTtl, Broker.defaultCursorTtl(ttl));
    }

    /**
     * @param cursorTtl how long a cursor is honoured; a channel nobody published to or read for that long is
     *                  forgotten
     */
    public LocalBroker(int historySize, Duration ttl, Duration idempotencyTtl, Duration cursorTtl) {
        this.historySize = historySize;
        this.ttlMillis = ttl.toMillis();
        this.cursorTtl = cursorTtl;
        this.forgetMillis = cursorTtl.plus(Broker.cursorSlack(cursorTtl)).toMillis();
        this.idempotency = new LocalIdempotency(idempotencyTtl);
    }

    @Override
    public void start(BrokerListener listener) {
        this.listener = listener;
        this.sweeper = Daemons.every("herald-history-sweeper",
                                     Duration.ofMillis(Math.min(60_000, Math.max(1000, ttlMillis / 4))), this::sweep);
    }

    @Override
    public Event publish(String channel, byte[] body) {
        ChannelLog log = lockLog(channel);
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

    /** The channel's log, created if needed, locked by the caller's thread; never a retired one. */
    @SuppressWarnings("LockNotBeforeTry") // hands the held lock to the caller, who releases it in a finally
    private ChannelLog lockLog(String channel) {
        while (true) {
            ChannelLog log = channels.computeIfAbsent(channel, c -> new ChannelLog(historySize));
            log.lock.lock();
            if (!log.retired) {
                return log;
            }
            log.lock.unlock();
        }
    }

    /** The channel's log locked by the caller's thread, or null when the channel is unknown (or forgotten). */
    @SuppressWarnings("LockNotBeforeTry") // hands the held lock to the caller, who releases it in a finally
    private ChannelLog lockExisting(String channel) {
        while (true) {
            ChannelLog log = channels.get(channel);
            if (log == null) {
                return null;
            }
            log.lock.lock();
            if (!log.retired) {
                return log;
            }
            log.lock.unlock();
        }
    }

    /** Every published event already reaches the hub, which knows its subscribers; this keeps the channel known. */
    @Override
    public void subscribe(String channel) {
        readers.merge(channel, 1, Integer::sum);
    }

    /** The channel's last reader left: it is forgotten once unused for the cursor TTL from now. */
    @Override
    public void unsubscribe(String channel) {
        ChannelLog log = lockExisting(channel);
        try {
            // under the log's lock, so the sweeper sees either a reader or a fresh touch, never neither
            readers.computeIfPresent(channel, (c, n) -> n <= 1 ? null : n - 1);
            if (log != null) {
                log.touched = Math.max(log.touched, System.currentTimeMillis());
            }
        } finally {
            if (log != null) {
                log.lock.unlock();
            }
        }
    }

    @Override
    public long head(String channel) {
        ChannelLog log = lockExisting(channel);
        if (log == null) {
            return 0;
        }
        try {
            return log.head;
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public ChannelState state(String channel) {
        ChannelLog log = lockExisting(channel);
        if (log == null) {
            return new ChannelState(0, 0, null);
        }
        try {
            int size = log.history.size();
            return new ChannelState(log.head, size, size == 0 ? null : log.history.oldestId(log.head));
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public Replay replay(String channel, long after, long maxBytes) {
        ChannelLog log = lockExisting(channel);
        if (log == null) {
            return new Replay(List.of(), after == 0, 0);
        }
        try {
            long head = log.head;
            long oldest = log.history.oldestId(head);
            boolean complete = after >= 0 && after <= head && after >= oldest - 1;
            List<Event> events = log.history.after(complete ? after : Replay.UNKNOWN);
            return Replay.bytes(events) > maxBytes ? Replay.overBudget(head) : new Replay(events, complete, head);
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public Duration cursorTtl() {
        return cursorTtl;
    }

    @Override
    public int heldChannels() {
        return channels.size();
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

    /**
     * Drops the history of channels with no event for the history TTL, and forgets channels nobody published to or
     * read for the cursor TTL; runs on the sweeper thread (package-private for tests).
     */
    void sweep() {
        sweep(System.currentTimeMillis());
    }

    /** {@link #sweep} as if the clock read {@code now} (tests). */
    void sweep(long now) {
        long cutoff = now - ttlMillis;
        long forget = now - forgetMillis;
        for (Iterator<Map.Entry<String, ChannelLog>> it = channels.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ChannelLog> entry = it.next();
            ChannelLog log = entry.getValue();
            // a channel busy publishing right now is not idle: skip it rather than wait
            if (log.lock.tryLock()) {
                try {
                    if (log.touched <= forget && !readers.containsKey(entry.getKey())) {
                        log.retired = true;
                        it.remove();
                    } else if (log.touched <= cutoff) {
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
        /** The last publish, or the last reader leaving (wall-clock ms). */
        @GuardedBy("lock")
        long touched = System.currentTimeMillis();
        /** Removed from the map: whoever locks it looks the channel up again. Written under {@code lock}. */
        volatile boolean retired;

        ChannelLog(int historySize) {
            this.history = new History(historySize);
        }
    }
}
