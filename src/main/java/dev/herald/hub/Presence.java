package dev.herald.hub;

import java.time.Duration;
import java.util.List;

/**
 * Who is online in which shared channel, counted over all of a user's connections (on every pod, for
 * shared implementations). Implementations are thread-safe.
 */
public interface Presence {
    /** One online user of a channel. */
    record Member(String userId, String userName, String since) {
    }

    /** Counts one more connection of the user in the channel; true when it is the user's first. */
    boolean join(String channel, String userId, String userName);

    /** Counts one connection less; true when it was the user's last. */
    boolean leave(String channel, String userId);

    List<Member> members(String channel);

    /**
     * A change found by {@link #maintain}: a user offline because the pods holding their connections stopped
     * refreshing them, or online again because this pod re-registered an entry that had expired meanwhile.
     */
    record Change(String channel, Member member, String status) {
    }

    /** How often {@link #maintain} must run, or null when this implementation needs no maintenance. */
    default Duration maintenancePeriod() {
        return null;
    }

    /**
     * Keeps this pod's entries alive and removes those of pods that stopped (crashed without cleanup).
     *
     * @return changes to announce; each is returned to exactly one pod
     */
    default List<Change> maintain() {
        return List.of();
    }
}
