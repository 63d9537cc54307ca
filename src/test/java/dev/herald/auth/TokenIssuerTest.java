package dev.herald.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dev-mode tokens: HS256 over the shared secret, accepted by a verifier with that secret only. */
@Tag("unit")
class TokenIssuerTest {
    private static final byte[] SECRET = "issuer-test-secret-issuer-test-secret-32+".getBytes(StandardCharsets.UTF_8);

    @Test
    void issue_thenVerify_givesTheSameUserNameAndRole() {
        String token = new TokenIssuer(SECRET).issue("alice", "Alice", List.of("service"), Duration.ofMinutes(5));
        Principal p = new TokenVerifier(SECRET, null, null, null).verify(token);
        assertEquals(new Principal("alice", "Alice", true, List.of(), p.validUntil(), p.issuedAt()), p);
        assertTrue(Math.abs(System.currentTimeMillis() - p.issuedAt()) < 5_000, "iat is now: " + p.issuedAt());
        long minutes = (p.validUntil() - System.currentTimeMillis()) / 60_000;
        assertEquals(5, minutes, "five minutes and the 30 s skew");
    }

    @Test
    void issue_withoutNameOrRoles_omitsThoseClaims() throws Exception {
        String token = new TokenIssuer(SECRET).issue("bob", null, List.of(), Duration.ofMinutes(5));
        SignedJWT jwt = SignedJWT.parse(token);
        assertEquals(JWSAlgorithm.HS256, jwt.getHeader().getAlgorithm());
        assertNull(jwt.getJWTClaimsSet().getClaim("name"));
        assertNull(jwt.getJWTClaimsSet().getClaim("roles"));
        Principal p = new TokenVerifier(SECRET, null, null, null).verify(token);
        assertEquals("bob", p.userName());
        assertFalse(p.service());
    }

    @Test
    void issue_expSetFromValidity() throws Exception {
        long before = System.currentTimeMillis();
        String token = new TokenIssuer(SECRET).issue("bob", null, List.of(), Duration.ofMinutes(10));
        long exp = SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().getTime();
        long after = System.currentTimeMillis();
        assertTrue(exp >= before + 600_000 - 1000 && exp <= after + 600_000, "exp " + exp);
    }

    @Test
    void issue_withValidityLongPast_givesTokenTheVerifierRefusesAsExpired() {
        String token = new TokenIssuer(SECRET).issue("bob", null, List.of(), Duration.ofMinutes(-5));
        AuthException e = assertThrows(AuthException.class, () -> new TokenVerifier(SECRET, null, null, null).verify(token));
        assertEquals("expired", e.reason());
    }

    @Test
    void issue_verifiedWithAnotherSecret_isRefused() {
        String token = new TokenIssuer(SECRET).issue("bob", null, List.of(), Duration.ofMinutes(5));
        byte[] other = "some-other-secret-some-other-secret-32+++".getBytes(StandardCharsets.UTF_8);
        AuthException e = assertThrows(AuthException.class, () -> new TokenVerifier(other, null, null, null).verify(token));
        assertEquals("signature", e.reason());
    }

    @Test
    void constructor_secretShorterThan32Bytes_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TokenIssuer(new byte[31]));
    }
}
