package dev.herald.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** Signs HS256 tokens with a secret: the dev-mode token endpoint and tests use it. Thread-safe. */
public final class TokenIssuer {
    private final MACSigner signer;
    /** The {@code kid} put in every token's header, or null. */
    private final String keyId;

    public TokenIssuer(byte[] secret) {
        this(secret, null);
    }

    /**
     * @param keyId the {@code kid} of the tokens' header (e.g. {@link TokenVerifier#DEV_KEY_ID}), or null for none
     */
    public TokenIssuer(byte[] secret, String keyId) {
        this.keyId = keyId;
        try {
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the JWT secret must be at least 32 bytes (256 bits)", e);
        }
    }

    public String issue(String userId, String name, List<String> roles, Duration validity) {
        return issue(userId, name, roles, Instant.now(), validity);
    }

    /** A token issued at {@code issuedAt} (its {@code iat}), valid for {@code validity} from then. */
    public String issue(String userId, String name, List<String> roles, Instant issuedAt, Duration validity) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(userId)
                .issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(issuedAt.plus(validity)));
        if (name != null) {
            claims.claim("name", name);
        }
        if (!roles.isEmpty()) {
            claims.claim("roles", roles);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keyId).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
        return jwt.serialize();
    }
}
