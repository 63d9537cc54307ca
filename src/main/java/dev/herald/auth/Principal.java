package dev.herald.auth;

import java.util.List;

/**
 * Who made a request, as proven by a verified token.
 *
 * @param userId          the token's {@code sub}
 * @param userName        the token's {@code name}, or the user id when absent
 * @param service         true for backends (role {@code service}): may publish and subscribe anywhere
 * @param channelPatterns the token's {@code channels} claim, narrowing the default policy; empty when absent
 * @param validUntil      when the token stops being accepted (its {@code exp} plus the allowed clock skew), epoch ms:
 *                        a stream opened with it ends then
 * @param issuedAt        the token's {@code iat}, epoch ms; {@link Long#MIN_VALUE} when it has none (then it is older
 *                        than any revocation of its user)
 */
public record Principal(String userId, String userName, boolean service, List<String> channelPatterns,
                        long validUntil, long issuedAt) {
    /** A principal of a token without {@code iat}. */
    public Principal(String userId, String userName, boolean service, List<String> channelPatterns, long validUntil) {
        this(userId, userName, service, channelPatterns, validUntil, Long.MIN_VALUE);
    }

    /** A principal whose token never ends (tests, tools). */
    public Principal(String userId, String userName, boolean service, List<String> channelPatterns) {
        this(userId, userName, service, channelPatterns, Long.MAX_VALUE);
    }
}
