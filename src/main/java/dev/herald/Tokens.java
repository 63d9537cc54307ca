package dev.herald;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.logging.Logger;

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
        byte[] secret = secret(auth, jwks != null);
        TokenVerifier verifier = new TokenVerifier(secret, jwks, auth.issuer().orElse(null),
                                                   auth.audience().orElse(null));
        return new Tokens(verifier, auth.devMode() ? new TokenIssuer(secret) : null);
    }

    /** The HMAC secret: configured, or random in dev mode; null when only a JWKS is used. */
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
        LOG.warning("DEV MODE: tokens are signed with a random secret and anyone can get one at POST /dev/token. "
                    + "Never run this in production.");
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
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
