package dev.herald.hub;

/** A broker listener for tests that drive a broker without a hub: it takes everything and keeps nothing. */
public final class Ignoring implements BrokerListener {
    public static final BrokerListener LISTENER = new Ignoring();

    private Ignoring() {
    }

    @Override
    public void deliver(Event event) {
    }

    @Override
    public void historyLost() {
    }

    @Override
    public void resync(String channel, long from, Break reason) {
    }
}
