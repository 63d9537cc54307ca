package dev.herald.auth;

import java.util.List;

/**
 * Who made a request, as proven by a verified token.
 *
 * @param userId          the token's {@code sub}
 * @param userName        the token's {@code name}, or the user id when absent
 * @param service         true for backends (role {@code service}): may publish and subscribe anywhere
 * @param channelPatterns the token's {@code channels} claim, narrowing the default policy; empty when absent
 */
public record Principal(String userId, String userName, boolean service, List<String> channelPatterns) {
}
