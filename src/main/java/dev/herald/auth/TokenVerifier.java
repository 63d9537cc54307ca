package dev.herald.auth;

import java.security.Key;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.crypto.spec.SecretKeySpec;

import dev.herald.hub.ChannelName;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;

/**
 * Verifies JWTs: HS256/384/512 against the shared secret, RS/PS/ES against a JWKS (file, or URL cached and
 * refetched on an unknown {@code kid} at most once a minute); {@code exp} (required), {@code nbf},
 * {@code iss}/{@code aud} when configured, with 30 s of clock skew. A token's {@code alg} only ever selects keys
 * of its own family, so an HMAC token can never be checked against a public key (algorithm confusion) and
 * {@code alg: none} is refused. Thread-safe after construction.
 */
public final class TokenVerifier {
    static final int MAX_SKEW_SECONDS = 30;
    /**
     * The {@code kid} of the tokens dev mode mints: they verify only against the development key, which only a pod in
     * dev mode has, and a token without it never verifies against that key.
     */
    public static final String DEV_KEY_ID = "herald-dev";
    private static final int MAX_TOKEN_LENGTH = 8192;

    private static final int CACHE_SIZE = 10_000;

    /** A token verified once, trusted until its {@code exp} (or a minute, whichever is sooner). */
    private record Verified(Principal principal, long until) {
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final long skewMillis;
    private final String serviceScope;
    /**
     * Tokens already verified: publishers and reconnecting clients present the same token many times, and
     * verifying a signature costs more than the rest of a publish. Concurrent map, cleared when full.
     */
    private final java.util.Map<String, Verified> verified = new java.util.concurrent.ConcurrentHashMap<>();

    private static final Set<JWSAlgorithm> HMAC = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);
    private static final Set<JWSAlgorithm> PUBLIC_KEY = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
                                                               JWSAlgorithm.RS512, JWSAlgorithm.PS256,
                                                               JWSAlgorithm.PS384, JWSAlgorithm.PS512,
                                                               JWSAlgorithm.ES256, JWSAlgorithm.ES384);

    /**
     * @param secret   the HMAC secret, at least 32 bytes, or null
     * @param jwks     the public keys, or null
     * @param issuer   required {@code iss}, or null
     * @param audience required {@code aud}, or null
     */
    public TokenVerifier(byte[] secret, JWKSource<SecurityContext> jwks, String issuer, String audience) {
        this(secret, jwks, issuer, audience, null, MAX_SKEW_SECONDS, null);
    }

    /**
     * @param devKey      the development key of dev mode (tokens with {@code kid} {@link #DEV_KEY_ID}), or null
     * @param skewSeconds how far past its {@code exp} (and before its {@code nbf}) a token is still accepted
     * @param serviceScope the OAuth scope that also grants the service role, or null: only {@code roles} does
     */
    public TokenVerifier(byte[] secret, JWKSource<SecurityContext> jwks, String issuer, String audience,
                         byte[] devKey, int skewSeconds, String serviceScope) {
        this.skewMillis = skewSeconds * 1000L;
        this.serviceScope = serviceScope;
        if (secret != null && secret.length < 32) {
            throw new IllegalArgumentException("the JWT secret must be at least 32 bytes (256 bits)");
        }
        if (secret == null && jwks == null && devKey == null) {
            throw new IllegalArgumentException("a JWT secret or a JWKS is required");
        }
        JWSKeySelector<SecurityContext> hmac = secret == null ? null
                : new JWSVerificationKeySelector<>(HMAC, new ImmutableSecret<>(secret));
        // chosen by the kid already: the key itself, for HS256 only
        List<Key> dev = devKey == null ? List.of() : List.of(new SecretKeySpec(devKey, "HmacSHA256"));
        JWSKeySelector<SecurityContext> publicKeys = jwks == null ? null
                : new JWSVerificationKeySelector<>(PUBLIC_KEY, jwks);
        processor.setJWSKeySelector((header, context) -> {
            if (DEV_KEY_ID.equals(header.getKeyID())) {
                return JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? dev : List.of();
            }
            if (HMAC.contains(header.getAlgorithm())) {
                return hmac == null ? List.of() : hmac.selectJWSKeys(header, context);
            }
            if (PUBLIC_KEY.contains(header.getAlgorithm())) {
                return publicKeys == null ? List.of() : publicKeys.selectJWSKeys(header, context);
            }
            return List.of();
        });
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (issuer != null) {
            exact.issuer(issuer);
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience, exact.build(), new HashSet<>(Arrays.asList("sub", "exp")));
        claims.setMaxClockSkew(skewSeconds);
        processor.setJWTClaimsSetVerifier(claims);
    }

    public Principal verify(String token) {
        if (token == null || token.isBlank()) {
            throw new AuthException("missing", "a bearer token is required");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new AuthException("malformed", "the token is too long");
        }
        Verified cached = verified.get(token);
        if (cached != null && System.currentTimeMillis() < cached.until()) {
            return cached.principal();
        }
        Verified fresh = verifyUncached(token);
        if (verified.size() >= CACHE_SIZE) {
            verified.clear();
        }
        verified.put(token, fresh);
        return fresh.principal();
    }

    private Verified verifyUncached(String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new AuthException("malformed", "the token is not a valid JWT");
        } catch (ExpiredJWTException e) {
            throw new AuthException("expired", "the token has expired");
        } catch (BadJWTException e) {
            throw new AuthException("claims", "the token's claims are not acceptable");
        } catch (BadJOSEException | JOSEException | RuntimeException e) {
            throw new AuthException("signature", "the token's signature or algorithm is not accepted");
        }
        if (!(claims.getClaim("sub") instanceof String subject) || subject.isBlank() || subject.length() > 256
            || subject.chars().anyMatch(Character::isISOControl)) {
            throw new AuthException("claims", "the token's sub must be a non-empty string without control characters");
        }
        String noChannel = ChannelName.userChannelProblem(subject);
        if (noChannel != null) {
            throw new AuthException("claims", "the token's sub has no user channel: " + noChannel);
        }
        try {
            String sub = subject;
            String name = claims.getStringClaim("name");
            long exp = claims.getExpirationTime().toInstant().toEpochMilli();
            long until = Math.min(exp, System.currentTimeMillis() + 60_000);
            long issuedAt = claims.getIssueTime() == null ? Long.MIN_VALUE
                    : claims.getIssueTime().toInstant().toEpochMilli();
            return new Verified(new Principal(sub, name == null || name.isBlank() ? sub : name, hasServiceRole(claims),
                                              patterns(claims), exp + skewMillis, issuedAt), until);
        } catch (ParseException e) {
            throw new AuthException("claims", "the token's claims have the wrong types");
        }
    }

    /** {@code service} in {@code roles}; or the configured scope in {@code scope}, which OAuth clients often choose. */
    private boolean hasServiceRole(JWTClaimsSet claims) throws ParseException {
        Object roles = claims.getClaim("roles");
        if (roles instanceof String s && Arrays.asList(s.split("[ ,]+")).contains("service")) {
            return true;
        }
        if (roles instanceof List<?> list && list.contains("service")) {
            return true;
        }
        if (serviceScope == null) {
            return false;
        }
        String scope = claims.getStringClaim("scope");
        return scope != null && Arrays.asList(scope.split(" +")).contains(serviceScope);
    }

    private static List<String> patterns(JWTClaimsSet claims) throws ParseException {
        Object value = claims.getClaim("channels");
        if (value == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (value instanceof String s) {
            out.addAll(Arrays.asList(s.split("[ ,]+")));
        } else {
            for (String p : claims.getStringListClaim("channels")) {
                out.add(p);
            }
        }
        out.removeIf(String::isBlank);
        if (out.isEmpty()) {
            // a channels claim that names nothing allows nothing, rather than everything
            out.add("\u0000none");
        }
        return List.copyOf(out);
    }
}
