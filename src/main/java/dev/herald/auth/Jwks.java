package dev.herald.auth;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.ResourceRetriever;

/**
 * Where public keys come from: a JWKS file read once at start, or a JWKS URL whose last good set is kept through an
 * identity provider outage. A token whose {@code kid} is in the set never waits for the network: a set older than the
 * cache time is refreshed in the background. An unknown {@code kid} refetches in the caller, but only when no fetch
 * is in flight and none started within {@code minRefetch}, so a flood of made-up kids costs the provider at most one
 * request per interval and never delays known keys. A failed fetch (down, 5xx, a hang past the timeout, bad JSON)
 * keeps the set it had. Thread-safe: the set is swapped atomically; fetches are serialised by a flag.
 */
public final class Jwks implements JWKSource<SecurityContext> {
    private static final Logger LOG = Logger.getLogger(Jwks.class.getName());
    private static final Duration CACHE = Duration.ofMinutes(15);
    /** Connect and read timeouts of one fetch: what a hung provider costs the one request that asked. */
    private static final int TIMEOUT_MILLIS = 2000;
    private static final int MAX_BYTES = 512 * 1024;

    private final URL url;
    private final long minRefetchNanos;
    private final long cacheNanos;
    private final ResourceRetriever retriever = new DefaultResourceRetriever(TIMEOUT_MILLIS, TIMEOUT_MILLIS, MAX_BYTES);
    private volatile JWKSet keys;
    private volatile long fetchedAt;
    /** When the last fetch started, successful or not; Long.MIN_VALUE before the first. */
    private final AtomicLong lastAttempt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicBoolean fetching = new AtomicBoolean();

    private Jwks(URL url, Duration minRefetch, Duration cache) {
        this.url = url;
        this.minRefetchNanos = minRefetch.toNanos();
        this.cacheNanos = cache.toNanos();
    }

    public static JWKSource<SecurityContext> file(String path) {
        try {
            return new ImmutableJWKSet<>(JWKSet.parse(Files.readString(Path.of(path))));
        } catch (IOException | ParseException e) {
            throw new IllegalArgumentException("cannot read the JWKS file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Keys refreshed after 15 minutes (or {@code minRefetch}, if longer); see the class comment. */
    public static JWKSource<SecurityContext> url(String url, Duration minRefetch) {
        return url(url, minRefetch, CACHE.compareTo(minRefetch) > 0 ? CACHE : minRefetch);
    }

    static Jwks url(String url, Duration minRefetch, Duration cache) {
        try {
            return new Jwks(new URI(url).toURL(), minRefetch, cache);
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a JWKS URL: " + url, e);
        }
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) {
        JWKSet current = keys;
        List<JWK> found = current == null ? List.of() : selector.select(current);
        if (!found.isEmpty()) {
            if (System.nanoTime() - fetchedAt > cacheNanos && mayFetch()) {
                Thread.ofVirtual().name("jwks-refresh").start(this::fetchHeld);
            }
            return found;
        }
        if (!mayFetch()) {
            return List.of();
        }
        fetchHeld();
        current = keys;
        return current == null ? List.of() : selector.select(current);
    }

    /** Claims the right to fetch: none in flight and none started within the interval (the first one always). */
    private boolean mayFetch() {
        long now = System.nanoTime();
        long last = lastAttempt.get();
        if (last != Long.MIN_VALUE && now - last < minRefetchNanos) {
            return false;
        }
        if (!fetching.compareAndSet(false, true)) {
            return false;
        }
        lastAttempt.set(now);
        return true;
    }

    /** Fetches with the right claimed by {@link #mayFetch}; keeps the old set on any failure. */
    private void fetchHeld() {
        try {
            JWKSet fetched = JWKSet.parse(retriever.retrieveResource(url).getContent());
            keys = fetched;
            fetchedAt = System.nanoTime();
        } catch (IOException | ParseException | RuntimeException e) {
            JWKSet had = keys;
            LOG.warning("Could not fetch the JWKS from " + url + " (keeping the " + (had == null ? 0 : had.getKeys().size())
                        + " keys it had): " + e);
        } finally {
            fetching.set(false);
        }
    }
}
