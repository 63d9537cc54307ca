package dev.herald.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HMAC-only token verification, no JWKS and no network: what is trusted, what is refused and why. */
@Tag("unit")
class TokenVerifierTest {
    private static final byte[] SECRET = "unit-test-secret-unit-test-secret-unit-test-secret-unit-test-sec"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "another-secret-another-secret-another-secret-another-secret-anoth"
            .getBytes(StandardCharsets.UTF_8);

    private final TokenVerifier verifier = new TokenVerifier(SECRET, null, null, null);

    private static long now() {
        return System.currentTimeMillis();
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(new Date(now() + 300_000));
    }

    private static String sign(byte[] secret, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    private static String sign(JWTClaimsSet claims) throws Exception {
        return sign(SECRET, JWSAlgorithm.HS256, claims);
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private String refusal(String token) {
        return refusal(verifier, token);
    }

    private static String refusal(TokenVerifier verifier, String token) {
        return assertThrows(AuthException.class, () -> verifier.verify(token)).reason();
    }

    @ParameterizedTest
    @ValueSource(strings = {"HS256", "HS384", "HS512"})
    void verify_validHmacToken_givesPrincipal(String alg) throws Exception {
        JWTClaimsSet claims = claims("alice").claim("name", "Alice").build();
        Principal p = verifier.verify(sign(SECRET, JWSAlgorithm.parse(alg), claims));
        // valid until exp plus the default 30 s of clock skew: a stream opened with it ends then
        long validUntil = claims.getExpirationTime().getTime() / 1000 * 1000 + 30_000;
        assertEquals(new Principal("alice", "Alice", false, List.of(), validUntil), p);
    }

    @Test
    void verify_withoutOrBlankName_usesSubAsName() throws Exception {
        assertEquals("alice", verifier.verify(sign(claims("alice").build())).userName());
        assertEquals("bob", verifier.verify(sign(claims("bob").claim("name", "  ").build())).userName());
    }

    @Test
    void verify_sameTokenTwice_givesTheSamePrincipal() throws Exception {
        String token = sign(claims("alice").build());
        assertEquals(verifier.verify(token), verifier.verify(token));
    }

    @Test
    void verify_expiredWithinThe30sSkew_isAccepted() throws Exception {
        String token = sign(claims("alice").expirationTime(new Date(now() - 10_000)).build());
        assertEquals("alice", verifier.verify(token).userId());
    }

    @Test
    void verify_expiredBeyondThe30sSkew_isRefusedAsExpired() throws Exception {
        assertEquals("expired", refusal(sign(claims("alice").expirationTime(new Date(now() - 60_000)).build())));
        assertEquals("expired", refusal(sign(claims("alice").expirationTime(new Date(now() - 3_600_000)).build())));
    }

    @Test
    void verify_notBeforeBeyondTheSkew_isRefused() throws Exception {
        assertEquals("claims", refusal(sign(claims("alice").notBeforeTime(new Date(now() + 600_000)).build())));
        assertEquals("alice", verifier.verify(sign(claims("alice").notBeforeTime(new Date(now() + 5_000)).build()))
                .userId(), "within the skew");
    }

    @Test
    void verify_algNone_isRefused() throws Exception {
        String plain = new PlainJWT(claims("alice").build()).serialize();
        assertEquals("signature", refusal(plain));
        // the same, hand-made, with the valid token's claims and an emptied signature
        String[] parts = sign(claims("alice").build()).split("\\.");
        assertEquals("signature", refusal(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + "."));
        assertTrue(List.of("signature", "malformed").contains(
                refusal(b64("{\"alg\":\"none\"}") + "." + parts[1] + "." + parts[2])), "none with a signature kept");
    }

    @Test
    void verify_signedWithAnotherSecret_isRefused() throws Exception {
        assertEquals("signature", refusal(sign(OTHER_SECRET, JWSAlgorithm.HS256, claims("alice").build())));
    }

    @Test
    void verify_payloadSwappedUnderAValidSignature_isRefused() throws Exception {
        String[] parts = sign(claims("alice").build()).split("\\.");
        String forged = b64("{\"sub\":\"root\",\"exp\":9999999999,\"roles\":[\"service\"]}");
        assertEquals("signature", refusal(parts[0] + "." + forged + "." + parts[2]));
    }

    @Test
    void verify_headerClaimingAPublicKeyAlgorithm_isRefusedWithoutJwks() throws Exception {
        // algorithm confusion: an RS256 header with an HMAC signature must not be checked against the secret
        String[] parts = sign(claims("alice").build()).split("\\.");
        String rs = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        assertEquals("signature", refusal(rs + "." + parts[1] + "." + parts[2]));
    }

    @Test
    void verify_missingSubOrExp_isRefusedAsClaims() throws Exception {
        assertEquals("claims", refusal(sign(new JWTClaimsSet.Builder().expirationTime(new Date(now() + 60_000)).build())));
        assertEquals("claims", refusal(sign(new JWTClaimsSet.Builder().subject("alice").build())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "al\nice", "al\u0000ice", "alice\r", "\u007f"})
    void verify_blankOrControlCharacterSub_isRefusedAsClaims(String sub) throws Exception {
        assertEquals("claims", refusal(sign(claims(sub).build())));
    }

    @Test
    void verify_subWhoseUserChannelWouldPass128Characters_isRefused_128IsAccepted() throws Exception {
        assertEquals("claims", refusal(sign(claims("a".repeat(129)).build())));
        assertEquals("claims", refusal(sign(claims("|".repeat(43)).build())), "43 escaped bytes: 129 characters");
        assertEquals("a".repeat(128), verifier.verify(sign(claims("a".repeat(128)).build())).userId());
        assertEquals("|".repeat(42), verifier.verify(sign(claims("|".repeat(42)).build())).userId());
    }

    @Test
    void verify_missingBlankOrOversizedToken_isRefusedBeforeParsing() throws Exception {
        assertEquals("missing", refusal(null));
        assertEquals("missing", refusal(""));
        assertEquals("missing", refusal("  \t"));
        assertEquals("malformed", refusal("x".repeat(8193)));
        assertEquals("malformed", refusal("garbage"));
    }

    @Test
    void verify_withIssuerConfigured_requiresThatExactIssuer() throws Exception {
        TokenVerifier strict = new TokenVerifier(SECRET, null, "https://issuer.example", null);
        assertEquals("claims", refusal(strict, sign(claims("alice").build())));
        assertEquals("claims", refusal(strict, sign(claims("alice").issuer("https://evil.example").build())));
        assertEquals("claims", refusal(strict, sign(claims("alice").issuer("https://issuer.example/").build())));
        assertEquals("alice", strict.verify(sign(claims("alice").issuer("https://issuer.example").build())).userId());
    }

    @Test
    void verify_withAudienceConfigured_requiresItAmongTheAudiences() throws Exception {
        TokenVerifier strict = new TokenVerifier(SECRET, null, null, "herald");
        assertEquals("claims", refusal(strict, sign(claims("alice").build())));
        assertEquals("claims", refusal(strict, sign(claims("alice").audience("other").build())));
        assertEquals("alice", strict.verify(sign(claims("alice").audience(List.of("other", "herald")).build())).userId());
        assertEquals("alice", strict.verify(sign(claims("alice").audience("herald").build())).userId());
    }

    @Test
    void verify_serviceRole_fromRolesListOrRolesString() throws Exception {
        assertTrue(verifier.verify(sign(claims("a").claim("roles", List.of("admin", "service")).build())).service());
        assertTrue(verifier.verify(sign(claims("b").claim("roles", "admin,service").build())).service());
        assertTrue(verifier.verify(sign(claims("c").claim("roles", "admin service").build())).service());
    }

    @Test
    void verify_scope_grantsTheServiceRoleOnlyWhenASettingNamesTheScope() throws Exception {
        // OAuth clients can often ask for the scopes they like: by default no scope makes a service
        assertFalse(verifier.verify(sign(claims("d").claim("scope", "read service").build())).service());
        TokenVerifier scoped = new TokenVerifier(SECRET, null, null, null, null, 30, "herald:publish");
        assertTrue(scoped.verify(sign(claims("e").claim("scope", "read herald:publish").build())).service());
        assertFalse(scoped.verify(sign(claims("f").claim("scope", "read service").build())).service());
        assertFalse(scoped.verify(sign(claims("g").claim("scope", "herald:publish:x").build())).service());
        assertTrue(scoped.verify(sign(claims("h").claim("roles", List.of("service")).build())).service(),
                   "roles still grant it");
    }

    @Test
    void verify_lookalikeRoles_areNotService() throws Exception {
        assertFalse(verifier.verify(sign(claims("a").claim("roles", List.of("services", "Service")).build())).service());
        assertFalse(verifier.verify(sign(claims("b").claim("roles", "myservice").build())).service());
        assertFalse(verifier.verify(sign(claims("c").claim("scope", "service:read").build())).service());
        assertFalse(verifier.verify(sign(claims("d").build())).service());
    }

    @Test
    void verify_channelsClaim_asListOrSeparatedString_becomesPatterns() throws Exception {
        assertEquals(List.of("channel:a", "channel:team-*"), verifier.verify(
                sign(claims("a").claim("channels", List.of("channel:a", "channel:team-*")).build())).channelPatterns());
        assertEquals(List.of("channel:a", "channel:b", "user:c"), verifier.verify(
                sign(claims("b").claim("channels", "channel:a, channel:b user:c").build())).channelPatterns());
        assertEquals(List.of(), verifier.verify(sign(claims("c").build())).channelPatterns());
    }

    @Test
    void verify_channelsClaimNamingNothing_allowsNothing() throws Exception {
        for (Object empty : new Object[] {"", " , ", List.of()}) {
            Principal p = verifier.verify(sign(claims("alice").claim("channels", empty).build()));
            assertFalse(p.channelPatterns().isEmpty(), "an empty claim must not mean 'no narrowing': " + empty);
            assertFalse(ChannelPolicy.allows(p, "channel:general"), "claim " + empty);
            assertFalse(ChannelPolicy.allows(p, "user:alice"), "claim " + empty);
        }
    }

    @Test
    void verify_channelsClaimOfWrongType_isRefused() throws Exception {
        assertEquals("claims", refusal(sign(claims("alice").claim("channels", 42).build())));
    }

    @Test
    void constructor_shortSecretOrNoKeys_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(new byte[31], null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(null, null, null, null));
    }
}
