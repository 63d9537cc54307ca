package dev.herald.hub;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Embedded mode's idempotency keys: remembered for the TTL, at most {@value #MAX_KEYS} (the oldest go first). A
 * request that arrives while the first with its key is still being published waits for that one's answer.
 * Thread-safe: the map is guarded by this object's monitor; waiting happens outside it.
 */
final class LocalIdempotency {
    static final int MAX_KEYS = 100_000;
    private static final long WAIT_SECONDS = 10;

    /** A key's request digest and, once published, its id. */
    private record Entry(String request, CompletableFuture<Long> id, long expiresAt) {
    }

    private final long ttlMillis;
    /** Key → entry, oldest first (all live as long, so also first to expire). */
    @GuardedBy("this")
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    LocalIdempotency(Duration ttl) {
        this.ttlMillis = ttl.toMillis();
    }

    /**
     * Runs {@code publish} once for the key: the first request runs it and its id is remembered; a later one with
     * the same request gets that id, replayed, and runs nothing.
     *
     * @throws IdempotencyConflictException when the key was used for another request
     */
    Broker.Published once(String key, String request, LongSupplier publish) {
        while (true) {
            Entry mine = new Entry(request, new CompletableFuture<>(), System.currentTimeMillis() + ttlMillis);
            Entry earlier = claim(key, mine);
            if (earlier == null) {
                try {
                    long id = publish.getAsLong();
                    mine.id().complete(id);
                    return new Broker.Published(id, false);
                } catch (RuntimeException e) {
                    // not published: forget the key, so the request can be sent again
                    forget(key, mine);
                    mine.id().completeExceptionally(e);
                    throw e;
                }
            }
            if (!earlier.request().equals(request)) {
                throw new IdempotencyConflictException();
            }
            OptionalLong id = await(earlier);
            if (id.isPresent()) {
                return new Broker.Published(id.getAsLong(), true);
            }
            // the earlier request failed and was forgotten: this one is the first now
        }
    }

    /**
     * The id an earlier request with the key got, if any.
     *
     * @throws IdempotencyConflictException when the key was used for another request
     */
    OptionalLong published(String key, String request) {
        Entry earlier;
        synchronized (this) {
            purge(System.currentTimeMillis());
            earlier = entries.get(key);
        }
        if (earlier == null) {
            return OptionalLong.empty();
        }
        if (!earlier.request().equals(request)) {
            throw new IdempotencyConflictException();
        }
        return await(earlier);
    }

    /** Takes the key for {@code mine}, or returns the entry that holds it. */
    private synchronized Entry claim(String key, Entry mine) {
        purge(System.currentTimeMillis());
        Entry earlier = entries.putIfAbsent(key, mine);
        if (earlier == null && entries.size() > MAX_KEYS) {
            Iterator<Entry> oldest = entries.values().iterator();
            oldest.next();
            oldest.remove();
        }
        return earlier;
    }

    private synchronized void forget(String key, Entry mine) {
        entries.remove(key, mine);
    }

    @GuardedBy("this")
    private void purge(long now) {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (it.next().expiresAt() > now) {
                return;
            }
            it.remove();
        }
    }

    /** The entry's id once its publish finished; empty when that publish failed. */
    private static OptionalLong await(Entry entry) {
        try {
            return OptionalLong.of(entry.id().get(WAIT_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            return OptionalLong.empty();
        } catch (TimeoutException e) {
            throw new BrokerUnavailableException("the first request with this idempotency key did not finish", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted while waiting for an earlier request", e);
        }
    }
}
