package dev.herald.hub;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One SSE connection as the hub sees it: its channels and its bounded queue. Dispatchers call
 * {@link #offer}; everything else belongs to the connection's own writer thread.
 */
public final class Subscription {
    /** Why a subscription ended before its client went away. */
    public enum End { SLOW_CONSUMER, SHUTDOWN, TOKEN_EXPIRED, DISCONNECTED }

    private final List<String> channels;
    private final String userId;
    /** Why a service ended it ({@link End#DISCONNECTED}), for its last event; set before it ends. */
    private volatile String disconnectReason = "";
    /** When the token it was opened with stops being accepted (epoch ms); the stream ends then. */
    private final long validUntil;
    /** Ends the subscription at {@code validUntil}; set by the hub when it registers it, cancelled when it leaves. */
    private volatile java.util.concurrent.Future<?> expiry;
    private final EventQueue queue;
    private final AtomicReference<End> end = new AtomicReference<>();
    /** The thread writing to an HTTP/1.1 client, interrupted when it is too slow (see {@link #abortWritesOnEnd}). */
    private volatile Thread writer;
    /** When the writer last wrote to the client (System.nanoTime), for heartbeats. */
    private volatile long lastWrite = System.nanoTime();

    /**
     * @param channels sorted, distinct channel names
     * @param userId   who opened it, for logs
     */
    public Subscription(List<String> channels, String userId, int queueCapacity) {
        this(channels, userId, queueCapacity, Long.MAX_VALUE);
    }

    /**
     * @param validUntil when the token the stream was opened with stops being accepted (epoch ms)
     */
    public Subscription(List<String> channels, String userId, int queueCapacity, long validUntil) {
        this.channels = List.copyOf(channels);
        this.userId = userId;
        this.validUntil = validUntil;
        this.queue = new EventQueue(queueCapacity);
    }

    public List<String> channels() {
        return channels;
    }

    public String userId() {
        return userId;
    }

    public long validUntil() {
        return validUntil;
    }

    void expiry(java.util.concurrent.Future<?> scheduled) {
        this.expiry = scheduled;
    }

    /** Cancels the scheduled end at the token's expiry (the subscription left first). */
    void cancelExpiry() {
        java.util.concurrent.Future<?> scheduled = expiry;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }

    public EventQueue queue() {
        return queue;
    }

    /** The writer wrote to its client just now. */
    public void wrote() {
        lastWrite = System.nanoTime();
    }

    long lastWrite() {
        return lastWrite;
    }

    /** Null while the subscription is open. */
    public End end() {
        return end.get();
    }

    EventQueue.Offer offer(Event event) {
        return queue.offer(event);
    }

    /**
     * Lets {@link End#SLOW_CONSUMER} interrupt {@code thread}: a virtual thread blocked writing to a client that
     * stopped reading then has its socket closed, instead of holding it forever. Only for connections that carry
     * this one stream (HTTP/1.1): on HTTP/2 it would close every stream of the connection.
     */
    public void abortWritesOnEnd(Thread thread) {
        this.writer = thread;
    }

    /** Ends it as a service asked ({@code POST /api/users/{id}/disconnect}); false when it had already ended. */
    boolean disconnect(String reason) {
        disconnectReason = reason;
        return end(End.DISCONNECTED) >= 0;
    }

    /** The reason given to {@link #disconnect}. */
    public String disconnectReason() {
        return disconnectReason;
    }

    /**
     * Ends the subscription once; later calls do nothing.
     *
     * @return how many queued events were discarded (slow consumer), or -1 when it had already ended
     */
    int end(End reason) {
        if (!end.compareAndSet(null, reason)) {
            return -1;
        }
        if (reason == End.SLOW_CONSUMER) {
            int discarded = queue.discard();
            Thread thread = writer;
            if (thread != null) {
                thread.interrupt();
            }
            return discarded;
        }
        queue.close();
        return 0;
    }

    @Override
    public String toString() {
        return "subscription of " + LogText.escape(userId) + " to " + channels;
    }
}
