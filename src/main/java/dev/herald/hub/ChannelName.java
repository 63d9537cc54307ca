package dev.herald.hub;

import java.util.regex.Pattern;

/** The channel grammar: {@code user:<id>} or {@code channel:<id>}, id of 1–128 of {@code A-Z a-z 0-9 . _ ~ @ -}. */
public final class ChannelName {
    public static final String USER_PREFIX = "user:";
    public static final String CHANNEL_PREFIX = "channel:";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._~@-]{1,128}");

    private ChannelName() {
    }

    public static boolean isValid(String channel) {
        if (channel == null) {
            return false;
        }
        if (channel.startsWith(USER_PREFIX)) {
            return isValidId(channel.substring(USER_PREFIX.length()));
        }
        if (channel.startsWith(CHANNEL_PREFIX)) {
            return isValidId(channel.substring(CHANNEL_PREFIX.length()));
        }
        return false;
    }

    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    public static boolean isUser(String channel) {
        return channel.startsWith(USER_PREFIX);
    }

    public static boolean isShared(String channel) {
        return channel.startsWith(CHANNEL_PREFIX);
    }

    public static String user(String userId) {
        return USER_PREFIX + userId;
    }
}
