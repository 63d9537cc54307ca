package dev.herald.auth;

import dev.herald.hub.ChannelName;

/**
 * Which channels a principal may subscribe and post to: services anywhere; users their own
 * {@code user:<sub>} and every {@code channel:*} but the reserved {@link ChannelName#ADMIN}, narrowed by the token's
 * {@code channels} patterns.
 */
public final class ChannelPolicy {
    private ChannelPolicy() {
    }

    public static boolean allows(Principal principal, String channel) {
        if (principal.service()) {
            return true;
        }
        boolean byDefault = (ChannelName.isShared(channel) && !channel.equals(ChannelName.ADMIN))
                            || channel.equals(ChannelName.user(principal.userId()));
        if (!byDefault) {
            return false;
        }
        if (principal.channelPatterns().isEmpty()) {
            return true;
        }
        for (String pattern : principal.channelPatterns()) {
            if (matches(pattern, channel)) {
                return true;
            }
        }
        return false;
    }

    /** A pattern is a channel name, or a prefix followed by a single trailing {@code *}. */
    static boolean matches(String pattern, String channel) {
        if (pattern.endsWith("*")) {
            return channel.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(channel);
    }
}
