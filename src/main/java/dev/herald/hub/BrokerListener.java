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
}
