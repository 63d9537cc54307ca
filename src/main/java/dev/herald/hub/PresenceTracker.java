package dev.herald.hub;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Announces {@code presence} events: online on a user's first connection to a shared channel, offline after
 * the last. A striped lock per (channel, user) keeps the count change and its announcement in order.
 */
public final class PresenceTracker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PresenceTracker.class.getName());
    private static final int STRIPES = 64;

    private final Presence presence;
    private final Publishing publishing;
    /** Guards count-and-announce for the (channel, user) pairs hashing to each stripe. */
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Runs {@link Presence#maintain} for shared implementations; null until {@link #start} and for in-memory presence. */
    private volatile ScheduledExecutorService maintenance;

    public PresenceTracker(Presence presence, Publishing publishing) {
        this.presence = presence;
        this.publishing = publishing;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Starts the maintenance of shared presence (refresh this pod's entries, sweep those of dead pods). */
    public void start() {
        Duration period = presence.maintenancePeriod();
        if (period != null) {
            maintenance = Daemons.every("herald-presence", period, this::maintain);
        }
    }

    @Override
    public void close() {
        ScheduledExecutorService running = maintenance;
        if (running != null) {
            running.shutdownNow();
        }
    }

    private void maintain() {
        for (Presence.Change change : presence.maintain()) {
            announce(change.channel(), change.member().userId(), change.member().userName(), change.status());
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

    private void announce(String channel, String userId, String userName, String status) {
        ObjectNode body = EventJson.body("presence", channel);
        body.put("userId", userId);
        body.put("userName", userName);
        body.put("status", status);
        try {
            publishing.publish(channel, EventJson.bytes(body));
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Could not announce presence " + status + " in " + channel, e);
        }
    }

    private ReentrantLock stripe(String channel, String userId) {
        return stripes[Math.floorMod(31 * channel.hashCode() + userId.hashCode(), STRIPES)];
    }
}
