package dev.herald.hub;

/** Where a broker delivers: the pod's {@link Hub}. Called from the broker's delivery thread(s). */
public interface BrokerListener {
    /** An event of a subscribed channel; each channel's events arrive in id order, one thread at a time. */
    void deliver(Event event);

    /**
     * The broker's history and ids started over (a new epoch, e.g. Redis restarted empty): every open stream
     * must tell its client to resync. Called before any event of the new epoch is delivered.
     */
    void historyLost();

    /** Why a channel's history broke under the streams that follow it. */
    enum Break {
        /** History no longer reaches back to the last event delivered (an outage longer than the history). */
        GAP,
        /** The channel's ids went back or were reused under the same epoch (a restore, a failover to a lagging copy). */
        IDS_RESTARTED,
        /**
         * The channel's own epoch changed ({@link Broker#epochPerChannel}: its shard of a Redis Cluster lost its
         * data): its ids start over; {@link #historyLost} for the channels of that shard only.
         */
        HISTORY_LOST
    }

    /**
     * One channel's history broke ({@link Break}): every stream of the channel must tell its client to resync it,
     * and continue with the events after {@code from}. Called in order with the channel's events, before any event
     * after {@code from}.
     */
    void resync(String channel, long from, Break reason);

    /**
     * Another pod refused a stream of this user for the per-user cap: make this pod's streams of the user write, so
     * those whose client left end now and give back their slot ({@code Hub#probe}).
     */
    default void probeUser(String userId) {
    }

    /** A service ended this user's streams on another pod: end this pod's too ({@code Hub#disconnectUser}). */
    default void disconnectUser(String userId, String reason) {
    }

    /**
     * A service revoked this user's older tokens on another pod: refuse them here too, then end the user's streams
     * ({@code Hub#revoke}).
     */
    default void revokeUser(String userId, Revocations.Revocation revocation, String reason) {
    }

    /**
     * The broker's control channel is subscribed (again): control messages sent while it was not are lost, so what
     * they carry that must last ({@link Broker#revocations}) is read again. Called on a delivery thread; must not
     * block it.
     */
    default void controlListening() {
    }
}
