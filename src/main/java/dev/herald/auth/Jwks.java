package dev.herald.auth;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;

/** Where public keys come from: a JWKS file read once at start, or a JWKS URL cached and refetched sparingly. */
public final class Jwks {
    private static final Duration CACHE = Duration.ofMinutes(15);

    private Jwks() {
    }

    public static JWKSource<SecurityContext> file(String path) {
        try {
            return new ImmutableJWKSet<>(JWKSet.parse(Files.readString(Path.of(path))));
        } catch (IOException | ParseException e) {
            throw new IllegalArgumentException("cannot read the JWKS file " + path + ": " + e.getMessage(), e);
        }
    }

    /** An unknown {@code kid} refetches the set, but never more often than {@code minRefetch}. */
    public static JWKSource<SecurityContext> url(String url, Duration minRefetch) {
        try {
            return JWKSourceBuilder.<SecurityContext>create(new URI(url).toURL())
                    .cache(Math.max(CACHE.toMillis(), minRefetch.toMillis() + 1), Duration.ofSeconds(15).toMillis())
                    .rateLimited(minRefetch.toMillis())
                    .retrying(false)
                    .refreshAheadCache(false)
                    .build();
        } catch (URISyntaxException | IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a JWKS URL: " + url, e);
        }
    }
}
