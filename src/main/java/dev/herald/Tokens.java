package dev.herald;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.herald.auth.Jwks;
import dev.herald.auth.TokenIssuer;
import dev.herald.auth.TokenVerifier;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;

/**
 * The pod's token verifier, and in dev mode its token issuer, from {@code herald.auth.*}: an HMAC secret, a JWKS
 * (file or URL), or in dev mode a random secret. Refuses settings that would let anyone in.
 *
 * @param verifier checks every request's token
 * @param issuer   signs tokens for {@code POST /dev/token}; null unless dev mode is on
 */
record Tokens(TokenVerifier verifier, TokenIssuer issuer) {
    private static final Logger LOG = Logger.getLogger(Tokens.class.getName());

    /** @throws StartupException naming the setting that is missing or wrong */
    static Tokens from(Settings settings) {
        Settings.Auth auth = settings.auth();
        if (settings.production() && auth.devMode()) {
            throw new StartupException("dev mode is on in a production configuration (herald.production=true): "
                                       + "unset HERALD_DEV_MODE / herald.auth.dev-mode");
        }
        JWKSource<SecurityContext> jwks = jwks(auth);
        if (jwks != null && !auth.devMode() && (auth.issuer().isEmpty() || auth.audience().isEmpty())) {
            // an identity provider signs tokens for many applications: without iss and aud, any of them gets in
            throw new StartupException("a JWKS without an issuer and an audience accepts tokens the identity provider "
                                       + "issued to any application: set herald.auth.jwt.issuer and "
                                       + "herald.auth.jwt.audience to what your provider puts in iss and aud");
        }
        byte[] secret = secret(auth, jwks != null);
        byte[] devKey = auth.devMode() ? devKey(secret, jwks != null) : null;
        TokenVerifier verifier = new TokenVerifier(secret, jwks, auth.issuer().orElse(null),
                                                   auth.audience().orElse(null), devKey,
                                                   (int) auth.clockSkew().toSeconds(), auth.serviceScope().orElse(null));
        return new Tokens(verifier, devKey == null ? null : new TokenIssuer(devKey, TokenVerifier.DEV_KEY_ID));
    }

    /**
     * The key dev mode signs its tokens with: never the real secret, so that a pod left in dev mode cannot hand out
     * tokens that the production pods (or other services sharing the secret) accept. Derived from the real secret
     * when there is one, so that every dev-mode pod sharing that secret accepts the others' dev tokens (a cluster on
     * a laptop); otherwise random.
     */
    private static byte[] devKey(byte[] secret, boolean haveJwks) {
        if (secret == null && !haveJwks) {
            LOG.warning("DEV MODE: tokens are signed with a random key and anyone on this machine can get one at "
                        + "POST /dev/token. Never run this in production.");
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return random;
        }
        LOG.warning("DEV MODE IS ON BESIDE A REAL " + (secret != null ? "SECRET" : "JWKS") + ": POST /dev/token "
                    + "(from this machine only) signs tokens with a separate development key that only pods in dev "
                    + "mode accept, never with the real keys. Turn dev mode off anywhere real users connect.");
        if (secret == null) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return random;
        }
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return hmac.doFinal("herald dev-mode tokens".getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }

    /** The HMAC secret: configured; null when only a JWKS is used, or in dev mode without one. */
    private static byte[] secret(Settings.Auth auth, boolean haveJwks) {
        if (auth.secret().isPresent()) {
            byte[] secret = auth.secret().get().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new StartupException("the JWT secret (HERALD_JWT_SECRET / herald.auth.jwt.secret) "
                                           + "must be at least 32 bytes");
            }
            return secret;
        }
        if (!auth.devMode()) {
            if (haveJwks) {
                return null;
            }
            throw new StartupException("no JWT secret or JWKS: set HERALD_JWT_SECRET (or herald.auth.jwt.secret, "
                                       + "herald.auth.jwt.jwks-file, herald.auth.jwt.jwks-url), "
                                       + "or turn on dev mode for a laptop (HERALD_DEV_MODE=true)");
        }
        return null;
    }

    private static JWKSource<SecurityContext> jwks(Settings.Auth auth) {
        if (auth.jwksFile().isPresent()) {
            try {
                return Jwks.file(auth.jwksFile().get());
            } catch (IllegalArgumentException e) {
                throw new StartupException("herald.auth.jwt.jwks-file: " + e.getMessage());
            }
        }
        try {
            return auth.jwksUrl().map(url -> Jwks.url(url, auth.jwksRefetch())).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new StartupException("herald.auth.jwt.jwks-url: " + e.getMessage());
        }
    }
}
