package dev.herald.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.logging.Logger;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * The pod's registry of local subscriptions by channel, and the dispatcher that puts each event delivered
 * by the broker on the queue of every subscription of its channel. Dispatch never blocks on a client:
 * a full queue ends that subscription ({@link Subscription.End#SLOW_CONSUMER}); its client resumes from history.
 *
 * <p>Threads: {@link #deliver} is called by the broker (one thread at a time per channel); register and
 * unregister by connection threads. All state is in concurrent maps and per-topic locks.
 */
public final class Hub implements BrokerListener {
    private static final Logger LOG = Logger.getLogger(Hub.class.getName());

    private final Broker broker;
    private final HubMetrics metrics;
    /** Channel → its local subscribers; a topic is removed, under its lock, when its last subscriber leaves. */
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    /** Every open subscription, for shutdown. */
    private final Set<Subscription> all = ConcurrentHashMap.newKeySet();
    /** Signalled when the last subscription leaves, for a shutdown waiting on the streams to end. */
    private volatile boolean closed;
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();

    /** The second write of a probe comes this long after the first. */
    static final Duration CONFIRM = Duration.ofMillis(250);
    /** A stream that wrote nothing for this long is probed when the pod nears its cap; at most this often. */
    private static final Duration IDLE = Duration.ofMillis(500);
    private static final int MAX_PROBED_USERS = 10_000;
    /** A reload of the revocations that failed is tried again this often, after growing pauses. */
    private static final int RELOAD_ATTEMPTS = 5;
    private static final Duration RELOAD_BACKOFF = Duration.ofMillis(500);

    private final Duration heartbeat;
    /** User → when its streams were last probed (nanoTime): one probe per user per {@link #CONFIRM}. */
    private final Map<String, Long> probedUsers = new ConcurrentHashMap<>();
    /** When idle streams were last probed (nanoTime). */
    private final AtomicLong lastIdleProbe = new AtomicLong(System.nanoTime() - IDLE.toNanos());
    /**
     * Channels whose local stream count changed since {@link #drainChangedChannels} last ran, for a directory that
     * reports counts elsewhere; kept only once {@link #trackChannelChanges} was called. A concurrent set: each
     * channel is in it at most once, so it never holds more than the channels that changed between two drains.
     */
    private final Set<String> changedChannels = ConcurrentHashMap.newKeySet();
    private volatile boolean trackChanges;
    /** Users whose older tokens are refused; thread-safe (see {@link Revocations}). */
    private final Revocations revocations = new Revocations();
    /** Wakes idle writers to send their heartbeat; null until {@link #start}. */
    private volatile ScheduledExecutorService heartbeats;
    /** Ends each stream when its token expires; null until {@link #start}. Thread-safe (an executor). */
    private volatile ScheduledExecutorService expiries;

    /**
     * @param heartbeat how long a stream may write nothing before it sends a {@code : ping} comment
     */
    public Hub(Broker broker, HubMetrics metrics, Duration heartbeat) {
        this.broker = broker;
        this.metrics = metrics;
        this.heartbeat = heartbeat;
    }

    /**
     * Starts the pod's heartbeat ticker: every half heartbeat it wakes each stream that wrote nothing for a whole
     * one, so it sends a ping (one timer for the pod instead of a timed wait per stream and wake-up), and has it
     * ping once more {@link #CONFIRM} later: a client that left makes the second write fail, so an idle stream
     * whose client is gone ends within about one heartbeat instead of two or three.
     */
    public void start() {
        long idleNanos = heartbeat.toNanos();
        heartbeats = Daemons.every("herald-heartbeat", heartbeat.dividedBy(2),
                                   () -> probe(s -> System.nanoTime() - s.lastWrite() >= idleNanos));
        expiries = Daemons.timer("herald-token-expiry");
    }

    /**
     * Makes every open stream that {@code which} selects write twice, {@link #CONFIRM} apart: in HTTP a client that
     * went away is noticed only when a write fails, often the second one after it left (the first is accepted by
     * the kernel, the peer answers with a reset). Those streams end and give back their slot, lease and presence.
     */
    public void probe(Predicate<Subscription> which) {
        List<Subscription> probed = new ArrayList<>();
        for (Subscription subscription : all) {
            if (which.test(subscription)) {
                subscription.queue().ping();
                probed.add(subscription);
            }
        }
        ScheduledExecutorService ticker = heartbeats;
        if (!probed.isEmpty() && ticker != null && !ticker.isShutdown()) {
            try {
                var unused = ticker.schedule(() -> probed.forEach(s -> s.queue().ping()), CONFIRM.toMillis(),
                                             TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the pod is stopping: its streams end anyway
            }
        }
    }

    /** Probes this user's streams on this pod ({@link #probe}); at most once per {@link #CONFIRM} per user. */
    @Override
    public void probeUser(String userId) {
        long now = System.nanoTime();
        Long last = probedUsers.put(userId, now);
        if (last != null && now - last < CONFIRM.toNanos()) {
            return;
        }
        if (probedUsers.size() > MAX_PROBED_USERS) {
            probedUsers.values().removeIf(at -> now - at > CONFIRM.toNanos());
        }
        probe(s -> s.userId().equals(userId));
    }

    /** Ends every stream of this user on this pod, each with a last {@code disconnect} event; returns how many. */
    @Override
    public void disconnectUser(String userId, String reason) {
        disconnect(userId, reason);
    }

    /** The revocations this pod knows of, for the checks of every token. */
    public Revocations revocations() {
        return revocations;
    }

    /**
     * Refuses this user's tokens issued before the revocation's instant from now on, then ends the user's streams on
     * this pod with {@code reason}; returns how many. In that order: a stream registered after the disconnect's
     * sweep checks the revocation once registered (see {@code EventsService}), so none slips between the two.
     */
    public int revoke(String userId, Revocations.Revocation revocation, String reason) {
        revocations.apply(userId, revocation);
        return disconnect(userId, reason);
    }

    @Override
    public void revokeUser(String userId, Revocations.Revocation revocation, String reason) {
        revoke(userId, revocation, reason);
    }

    /** Reads the broker's revocations again, off the delivery thread. */
    @Override
    public void controlListening() {
        Thread.ofVirtual().name("herald-revocations").start(() -> {
            for (int attempt = 1; attempt <= RELOAD_ATTEMPTS && !closed; attempt++) {
                try {
                    reloadRevocations();
                    return;
                } catch (BrokerUnavailableException e) {
                    LOG.warning("Revocations unreadable (attempt " + attempt + " of " + RELOAD_ATTEMPTS + "): "
                                + e.getMessage());
                }
                try {
                    Thread.sleep(RELOAD_BACKOFF.toMillis() * attempt);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * Merges the broker's revocations into this pod's (at start, before the pod listens, and whenever the control
     * channel is subscribed again), and stores back those the broker lost (Redis restarted empty) while this pod
     * kept them, so a pod started later refuses those tokens too.
     *
     * @throws BrokerUnavailableException when the broker's store cannot be read or written
     */
    public void reloadRevocations() {
        Map<String, Revocations.Revocation> stored = broker.revocations();
        revocations.applyAll(stored);
        Map<String, Revocations.Revocation> lost = revocations.beyond(stored);
        if (!lost.isEmpty()) {
            LOG.warning("The broker lost " + lost.size() + " revocations this pod holds; storing them again");
            broker.restoreRevocations(lost);
        }
    }

    /** {@link #disconnectUser}, counting the streams it ended. */
    public int disconnect(String userId, String reason) {
        int ended = 0;
        for (Subscription subscription : all) {
            if (subscription.userId().equals(userId) && subscription.disconnect(reason)) {
                ended++;
            }
        }
        if (ended > 0) {
            int count = ended;
            LOG.fine(() -> "Disconnected " + count + " streams of " + LogText.escape(userId));
        }
        return ended;
    }

    /**
     * Probes the streams that wrote nothing for half a second (at most twice a second): some may belong to clients
     * that left without a word.
     */
    public void probeIdle() {
        long now = System.nanoTime();
        long last = lastIdleProbe.get();
        if (now - last < IDLE.toNanos() || !lastIdleProbe.compareAndSet(last, now)) {
            return;
        }
        probe(s -> now - s.lastWrite() >= IDLE.toNanos());
    }

    public Broker broker() {
        return broker;
    }

    /** Adds the subscription to each of its channels; events published from now on reach its queue. */
    public void register(Subscription subscription) {
        all.add(subscription);
        if (closed) {
            subscription.end(Subscription.End.SHUTDOWN);
        }
        try {
            for (String channel : subscription.channels()) {
                // a topic removed meanwhile is already out of the map: the second look-up creates a fresh one
                boolean added = topic(channel).add(subscription);
                while (!added) {
                    added = topic(channel).add(subscription);
                }
            }
            scheduleExpiry(subscription);
        } catch (RuntimeException e) {
            unregister(subscription);
            throw e;
        }
    }

    /**
     * Ends the subscription when its token stops being accepted: a stream must not outlive the token that opened
     * it (a revoked user, a narrowed {@code channels} claim). Its writer then says why in a last frame, and the
     * client reconnects with a fresh token from its cursor.
     */
    private void scheduleExpiry(Subscription subscription) {
        if (subscription.validUntil() == Long.MAX_VALUE) {
            return;
        }
        long delay = subscription.validUntil() - System.currentTimeMillis();
        ScheduledExecutorService timer = expiries;
        if (delay <= 0 || timer == null) {
            expire(subscription);
            return;
        }
        try {
            subscription.expiry(timer.schedule(() -> expire(subscription), delay, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // the pod is stopping: the stream ends anyway
        }
    }

    private void expire(Subscription subscription) {
        if (subscription.end(Subscription.End.TOKEN_EXPIRED) >= 0) {
            metrics.tokenExpired();
            LOG.fine(() -> "Token expired: ending " + subscription);
        }
    }

    public void unregister(Subscription subscription) {
        subscription.cancelExpiry();
        if (all.remove(subscription) && all.isEmpty()) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
        for (String channel : subscription.channels()) {
            Topic topic = topics.get(channel);
            if (topic != null) {
                topic.remove(subscription);
            }
        }
    }

    /** Tells every open stream, in its queue's order, that history started over. */
    @Override
    public void historyLost() {
        LOG.warning("The broker's history started over (new epoch): every stream resyncs");
        metrics.historyBreak(null);
        for (Subscription subscription : all) {
            if (subscription.offer(Event.HISTORY_LOST) == EventQueue.Offer.FULL) {
                slowConsumer(subscription);
            }
        }
    }

    /** Tells every open stream of the channel, in the channel's order, to resync it and continue after {@code from}. */
    @Override
    public void resync(String channel, long from, Break reason) {
        LOG.warning(() -> "The history of " + channel + " broke (" + reason.name().toLowerCase(java.util.Locale.ROOT)
                          + "): its streams resync and continue after " + from);
        metrics.historyBreak(reason);
        Topic topic = topics.get(channel);
        if (topic == null) {
            return;
        }
        Event marker = Event.resync(channel, from);
        for (Subscription subscription : topic.subscribers) {
            if (subscription.offer(marker) == EventQueue.Offer.FULL) {
                slowConsumer(subscription);
            }
        }
    }

    /** Puts the event on the queue of every local subscriber of its channel. */
    @Override
    public void deliver(Event event) {
        Topic topic = topics.get(event.channel());
        if (topic == null) {
            return;
        }
        for (Subscription subscription : topic.subscribers) {
            switch (subscription.offer(event)) {
                case QUEUED -> { }
                case FULL -> slowConsumer(subscription);
                // the subscription is ending; its client resumes from history elsewhere or on reconnect
                case CLOSED -> metrics.eventsDropped(switch (subscription.end()) {
                    case SLOW_CONSUMER -> HubMetrics.DropReason.SLOW_CONSUMER;
                    case TOKEN_EXPIRED -> HubMetrics.DropReason.TOKEN_EXPIRED;
                    case null, default -> HubMetrics.DropReason.SHUTDOWN;
                }, 1);
            }
        }
    }

    /** Channels with at least one local subscriber. */
    public int channelCount() {
        return topics.size();
    }

    /** How many streams of this pod follow the channel. */
    public int subscribers(String channel) {
        Topic topic = topics.get(channel);
        return topic == null ? 0 : topic.subscribers.length;
    }

    /**
     * This pod's channels that start with {@code prefix} and sort after {@code after} (null: from the first), in
     * order, at most {@code limit}, with their stream counts. Looks at every local channel: for one pod's own
     * listing, not for a hot path.
     */
    public java.util.SortedMap<String, Integer> channels(String prefix, String after, int limit) {
        java.util.TreeMap<String, Integer> page = new java.util.TreeMap<>();
        for (Map.Entry<String, Topic> entry : topics.entrySet()) {
            String channel = entry.getKey();
            int count = entry.getValue().subscribers.length;
            if (count == 0 || !channel.startsWith(prefix) || (after != null && channel.compareTo(after) <= 0)) {
                continue;
            }
            if (page.size() < limit) {
                page.put(channel, count);
            } else if (channel.compareTo(page.lastKey()) < 0) {
                page.pollLastEntry();
                page.put(channel, count);
            }
        }
        return page;
    }

    /** From now on, remembers which channels' local stream counts changed ({@link #drainChangedChannels}). */
    public void trackChannelChanges() {
        trackChanges = true;
    }

    /** The channels whose local stream count changed since the last call, now forgotten. */
    public List<String> drainChangedChannels() {
        List<String> drained = new ArrayList<>();
        for (var it = changedChannels.iterator(); it.hasNext(); ) {
            drained.add(it.next());
            it.remove();
        }
        return drained;
    }

    /** Marks channels as changed again (a report of them failed). */
    public void channelsChanged(java.util.Collection<String> channels) {
        if (trackChanges) {
            changedChannels.addAll(channels);
        }
    }

    /** Every channel with a local stream (a full report). */
    public List<String> localChannels() {
        return new ArrayList<>(topics.keySet());
    }

    public int subscriptionCount() {
        return all.size();
    }

    /** Ends every open subscription: each writer drains what it has, sends a retry hint and closes. */
    public void shutdown() {
        closed = true;
        ScheduledExecutorService ticker = heartbeats;
        if (ticker != null) {
            ticker.shutdownNow();
        }
        ScheduledExecutorService timer = expiries;
        if (timer != null) {
            timer.shutdownNow();
        }
        for (Subscription subscription : all) {
            subscription.end(Subscription.End.SHUTDOWN);
        }
    }

    /** Waits up to {@code timeout} for every subscription to be gone. */
    public void awaitNoSubscriptions(Duration timeout) {
        long remaining = timeout.toNanos();
        idleLock.lock();
        try {
            while (!all.isEmpty() && remaining > 0) {
                remaining = idle.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            idleLock.unlock();
        }
    }

    private void slowConsumer(Subscription subscription) {
        int discarded = subscription.end(Subscription.End.SLOW_CONSUMER);
        if (discarded >= 0) {
            unregister(subscription);
            metrics.slowConsumerDisconnected();
            metrics.eventsDropped(HubMetrics.DropReason.SLOW_CONSUMER, discarded);
            LOG.warning(() -> "Disconnecting a slow consumer (queue full): " + subscription);
        }
        metrics.eventsDropped(HubMetrics.DropReason.SLOW_CONSUMER, 1);
    }

    private Topic topic(String channel) {
        return topics.computeIfAbsent(channel, Topic::new);
    }

    /** One channel's local subscribers: copy-on-write array read lock-free by the dispatcher. */
    private final class Topic {
        private final String channel;
        private final ReentrantLock lock = new ReentrantLock();
        /** Written under {@code lock}, read without it. */
        private volatile Subscription[] subscribers = new Subscription[0];
        @GuardedBy("lock")
        private boolean removed;

        Topic(String channel) {
            this.channel = channel;
        }

        /** Returns false when this topic was removed meanwhile: the caller looks it up again. */
        boolean add(Subscription subscription) {
            lock.lock();
            try {
                if (removed) {
                    return false;
                }
                Subscription[] current = subscribers;
                if (current.length == 0) {
                    try {
                        broker.subscribe(channel);
                    } catch (RuntimeException e) {
                        removed = true;
                        topics.remove(channel, this);
                        throw e;
                    }
                }
                Subscription[] next = Arrays.copyOf(current, current.length + 1);
                next[current.length] = subscription;
                subscribers = next;
                if (trackChanges) {
                    changedChannels.add(channel);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        void remove(Subscription subscription) {
            lock.lock();
            try {
                Subscription[] current = subscribers;
                int index = Arrays.asList(current).indexOf(subscription);
                if (index < 0) {
                    return;
                }
                Subscription[] next = new Subscription[current.length - 1];
                System.arraycopy(current, 0, next, 0, index);
                System.arraycopy(current, index + 1, next, index, current.length - index - 1);
                subscribers = next;
                if (trackChanges) {
                    changedChannels.add(channel);
                }
                if (next.length == 0) {
                    removed = true;
                    try {
                        broker.unsubscribe(channel);
                    } finally {
                        topics.remove(channel, this);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
