package dev.herald.hub;

/** What the hub reports about delivery; implemented with real meters outside this package. Thread-safe. */
public interface HubMetrics {
    /** Why an event did not reach a subscriber's stream. */
    enum DropReason { SLOW_CONSUMER, SHUTDOWN, TOKEN_EXPIRED }

    void eventsSent(int count);

    /** An event was accepted by the broker (stored and published). */
    void eventPublished();

    /** A request with an idempotency key already seen got the first request's answer; nothing was published. */
    void idempotentReplay();

    /**
     * An event could not be stored because the backend failed at some step of its publish (a budget or the store):
     * the publisher got a {@link BrokerUnavailableException}.
     */
    void publishFailed();

    void eventsDropped(DropReason reason, int count);

    /** An event the server makes ({@code source}: "presence", "job") was dropped: its channel's budget was spent. */
    void serverEventDropped(String source);

    void slowConsumerDisconnected();

    /** A stream ended because the token it was opened with expired. */
    void tokenExpired();

    /** Milliseconds from the broker accepting an event to its write to a client. */
    void deliveryLatency(long millis);

    /** The broker found a channel's history broken (or, for {@code null}, the whole history lost): streams resync. */
    void historyBreak(BrokerListener.Break reason);

    /** Counts nothing. */
    HubMetrics NONE = new None();

    /** Metrics that count nothing (for tests and the stream warm-up); extend it for a no-op of another class. */
    class None implements HubMetrics {
        @Override
        public void eventsSent(int count) {
        }

        @Override
        public void eventPublished() {
        }

        @Override
        public void publishFailed() {
        }

        @Override
        public void idempotentReplay() {
        }

        @Override
        public void eventsDropped(DropReason reason, int count) {
        }

        @Override
        public void serverEventDropped(String source) {
        }

        @Override
        public void slowConsumerDisconnected() {
        }

        @Override
        public void tokenExpired() {
        }

        @Override
        public void deliveryLatency(long millis) {
        }

        @Override
        public void historyBreak(BrokerListener.Break reason) {
        }
    }
}
