package dev.herald.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Announces {@code presence} events: online on a user's first connection to a shared channel, offline after
 * the last. A striped lock per (channel, user) keeps the count change and its announcement in order.
 *
 * <p>Announcements count against the channel's event budget. One the budget refuses is owed: about once a second
 * the owed timer announces the user's state as presence then holds it, once the budget allows, unless a later
 * announcement for the same user and channel got through first. So the events converge on the presence list even
 * after a flood of joins and leaves; at most {@code MAX_OWED} pairs are owed at once (beyond, the list at
 * {@code GET /api/channels/{channel}/presence} stays right and the events catch up at the user's next change).
 */
public final class PresenceTracker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PresenceTracker.class.getName());
    private static final int STRIPES = 64;
    private static final int MAX_OWED = 10_000;
    private static final Duration OWED_PERIOD = Duration.ofSeconds(1);

    /** A user in a channel. */
    private record Pair(String channel, String userId) {
    }

    /** An owed announcement: the user's name, and a number that changes whenever the pair is owed again. */
    private record Owed(String userName, long version) {
    }

    private final Presence presence;
    private final Publishing publishing;
    /** Guards count-and-announce for the (channel, user) pairs hashing to each stripe. */
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Runs {@link Presence#maintain} for shared implementations; null until {@link #start} and for in-memory presence. */
    private volatile ScheduledExecutorService maintenance;
    /** Announcements the channel's budget refused, still owed; an entry changes only under its pair's stripe lock. */
    private final Map<Pair, Owed> owed = new ConcurrentHashMap<>();
    private final AtomicLong versions = new AtomicLong();
    /** Runs {@link #announceOwed}; null until {@link #start}. */
    private volatile ScheduledExecutorService owedTimer;

    public PresenceTracker(Presence presence, Publishing publishing) {
        this.presence = presence;
        this.publishing = publishing;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Starts the maintenance of shared presence (refresh this pod's entries, sweep those of dead pods). */
    public void start() {
        owedTimer = Daemons.every("herald-presence-owed", OWED_PERIOD, this::announceOwed);
        Duration period = presence.maintenancePeriod();
        if (period != null) {
            maintenance = Daemons.every("herald-presence", period, this::maintain);
        }
    }

    @Override
    public void close() {
        for (ScheduledExecutorService running : new ScheduledExecutorService[] {maintenance, owedTimer}) {
            if (running != null) {
                running.shutdownNow();
            }
        }
    }

    private void maintain() {
        for (Presence.Change change : presence.maintain()) {
            ReentrantLock lock = stripe(change.channel(), change.member().userId());
            lock.lock();
            try {
                announce(change.channel(), change.member().userId(), change.member().userName(), change.status());
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Announces, channel by channel, the present state of each owed pair, while the channel's budget allows. The
     * owed entries are read before the members: a change after that announces itself and so replaces or removes its
     * entry, which is then skipped here.
     */
    private void announceOwed() {
        Map<String, Map<Pair, Owed>> byChannel = new LinkedHashMap<>();
        owed.forEach((pair, o) -> byChannel.computeIfAbsent(pair.channel(), c -> new LinkedHashMap<>()).put(pair, o));
        for (Map.Entry<String, Map<Pair, Owed>> channel : byChannel.entrySet()) {
            Set<String> online = new HashSet<>();
            try {
                presence.members(channel.getKey()).forEach(m -> online.add(m.userId()));
            } catch (BrokerUnavailableException e) {
                LOG.fine(() -> "Owed presence of " + channel.getKey() + " waits: " + e.getMessage());
                continue;
            }
            for (Map.Entry<Pair, Owed> entry : new ArrayList<>(channel.getValue().entrySet())) {
                Pair pair = entry.getKey();
                ReentrantLock lock = stripe(pair.channel(), pair.userId());
                lock.lock();
                try {
                    if (!entry.getValue().equals(owed.get(pair))) {
                        continue;
                    }
                    String status = online.contains(pair.userId()) ? "online" : "offline";
                    if (!announce(pair.channel(), pair.userId(), entry.getValue().userName(), status)) {
                        break;
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    public void joined(List<String> channels, String userId, String userName) {
        for (String channel : channels) {
            if (!ChannelName.isShared(channel)) {
                continue;
            }
            ReentrantLock lock = stripe(channel, userId);
            lock.lock();
            try {
                if (presence.join(channel, userId, userName)) {
                    announce(channel, userId, userName, "online");
                }
            } catch (BrokerUnavailableException e) {
                LOG.warning("Presence of " + channel + " not recorded: " + e.getMessage());
            } finally {
                lock.unlock();
            }
        }
    }

    public void left(List<String> channels, String userId, String userName) {
        for (String channel : channels) {
            if (!ChannelName.isShared(channel)) {
                continue;
            }
            ReentrantLock lock = stripe(channel, userId);
            lock.lock();
            try {
                if (presence.leave(channel, userId)) {
                    announce(channel, userId, userName, "offline");
                }
            } catch (BrokerUnavailableException e) {
                // the entry expires after the presence TTL, and the sweep announces the user offline then
                LOG.warning("Presence of " + channel + " not removed: " + e.getMessage());
            } finally {
                lock.unlock();
            }
        }
    }

    public List<Presence.Member> members(String channel) {
        return presence.members(channel);
    }

    /** Publishes within the channel's budget, or owes it; called under the pair's stripe lock. */
    private boolean announce(String channel, String userId, String userName, String status) {
        ObjectNode body = EventJson.body("presence", channel);
        body.put("userId", userId);
        body.put("userName", userName);
        body.put("status", status);
        Pair pair = new Pair(channel, userId);
        try {
            if (publishing.publishServerEvent(channel, EventJson.bytes(body), "presence")) {
                owed.remove(pair);
                return true;
            }
            if (owed.size() < MAX_OWED || owed.containsKey(pair)) {
                owed.put(pair, new Owed(userName, versions.incrementAndGet()));
            }
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Could not announce presence " + status + " in " + channel, e);
        }
        return false;
    }

    private ReentrantLock stripe(String channel, String userId) {
        return stripes[Math.floorMod(31 * channel.hashCode() + userId.hashCode(), STRIPES)];
    }
}
