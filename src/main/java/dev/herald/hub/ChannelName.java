package dev.herald.hub;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The channel grammar: {@code user:<id>} or {@code channel:<id>}, id of 1–128 of {@code A-Z a-z 0-9 . _ ~ @ -};
 * and the one channel of each user id ({@link #user}), escaped to fit that grammar.
 */
public final class ChannelName {
    public static final String USER_PREFIX = "user:";
    public static final String CHANNEL_PREFIX = "channel:";
    /**
     * The admin dashboard's channel: each pod's {@code pod_stats} once a second. Reserved: only service tokens may
     * subscribe or publish to it ({@code auth.ChannelPolicy}).
     */
    public static final String ADMIN = "channel:__herald-admin";
    private static final int MAX_ID = 128;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._~@-]{1," + MAX_ID + "}");
    /** The bytes a user id keeps as they are in its channel: the grammar without {@code ~}, the escape. */
    private static final String PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-";
    private static final Pattern HEX_UPPER = Pattern.compile("[0-9A-F]{2}");

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

    /**
     * {@code user:} + the user id's UTF-8 bytes, each byte outside {@code A-Z a-z 0-9 . _ @ -} written as {@code ~}
     * and two uppercase hex digits, {@code ~} itself included: {@code auth0|5f7c8ec} → {@code user:auth0~7C5f7c8ec}.
     * Reversible, so two ids never share a channel. Tokens whose id has no channel are refused at verification.
     *
     * @throws IllegalArgumentException when {@link #userChannelProblem} names a problem
     */
    public static String user(String userId) {
        String problem = userChannelProblem(userId);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return USER_PREFIX + escape(userId);
    }

    /** Null when the user id has a channel, else why not, in words a client may read. */
    public static String userChannelProblem(String userId) {
        if (userId == null || userId.isEmpty()) {
            return "the user id is empty";
        }
        for (int i = 0; i < userId.length(); i++) {
            char c = userId.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < userId.length() && Character.isLowSurrogate(userId.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "the user id has an unpaired UTF-16 surrogate";
            }
        }
        if (escape(userId).length() > MAX_ID) {
            return "the user id is too long for its channel: at most " + MAX_ID
                   + " characters once escaped (each byte outside A-Z a-z 0-9 . _ @ - takes 3)";
        }
        return null;
    }

    /** The user id of a {@code user:} channel, the inverse of {@link #user}; null for any other name. */
    public static String userId(String channel) {
        if (!isValid(channel) || !isUser(channel)) {
            return null;
        }
        String id = channel.substring(USER_PREFIX.length());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c != '~') {
                out.write(c);
            } else if (i + 2 < id.length() && HEX_UPPER.matcher(id.substring(i + 1, i + 3)).matches()) {
                out.write(HexFormat.fromHexDigits(id, i + 1, i + 3));
                i += 2;
            } else {
                return null;
            }
        }
        String userId = new String(out.toByteArray(), StandardCharsets.UTF_8);
        return user(userId).equals(channel) ? userId : null;
    }

    private static String escape(String userId) {
        StringBuilder out = new StringBuilder(userId.length());
        for (byte b : userId.getBytes(StandardCharsets.UTF_8)) {
            if (PLAIN.indexOf(b) >= 0) {
                out.append((char) b);
            } else {
                out.append('~').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return out.toString();
    }
}
