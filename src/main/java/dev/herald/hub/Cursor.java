package dev.herald.hub;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The SSE event id: for every channel of a connection, the id up to which the client has received.
 * Text form {@code <epoch>_<fingerprint>_<written>_<p1>.<p2>…}, base 36, positions in the connection's sorted
 * channel order; the fingerprint ties it to that channel set, {@code written} (epoch seconds) says when the pod
 * wrote it, so that a cursor older than the broker's memory of its channels is not trusted (see
 * {@link Resume#starts}). Opaque to clients; safe in a header and a query string. The form without {@code written}
 * (before cursor times) still parses, with an unknown time.
 */
public final class Cursor {
    public static final int MAX_LENGTH = 1024;
    private static final Pattern DOT = Pattern.compile("\\.");
    private static final Pattern FORM =
            Pattern.compile("[0-9a-z]{1,16}_[0-9a-z]{1,8}(_[0-9a-z]{1,8})?_[0-9a-z]{1,13}(\\.[0-9a-z]{1,13})*");
    /** {@link Parsed#writtenAt} of a cursor in the form without a time. */
    public static final long UNKNOWN_TIME = -1;

    private Cursor() {
    }

    /** Identifies a sorted channel list. */
    public static String fingerprint(List<String> channels) {
        CRC32 crc = new CRC32();
        for (String channel : channels) {
            crc.update(channel.getBytes(StandardCharsets.UTF_8));
            crc.update('\n');
        }
        return Long.toString(crc.getValue(), 36);
    }

    /**
     * One epoch made of several (a broker with an epoch per channel, in the channels' order): 64 bits of their
     * SHA-256 in base 36, so that a change of any one changes it.
     */
    public static String combine(List<String> epochs) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String epoch : epochs) {
                digest.update(epoch.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) '\n');
            }
            return Long.toUnsignedString(ByteBuffer.wrap(digest.digest()).getLong() >>> 1, 36);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The prefix shared by every cursor of one connection. */
    public static String prefix(String epoch, List<String> channels) {
        return epoch + "_" + fingerprint(channels) + "_";
    }

    /** The text of a cursor (what a stream writes after {@code id: }; tests build cursors with it). */
    public static String text(String epoch, List<String> channels, long writtenAt, long... positions) {
        StringBuilder text = new StringBuilder(prefix(epoch, channels)).append(Long.toString(writtenAt, 36));
        char separator = '_';
        for (long position : positions) {
            text.append(separator).append(Long.toString(position, 36));
            separator = '.';
        }
        return text.toString();
    }

    /**
     * A cursor as a client sent it back: the epoch it was written in, when (epoch seconds, or {@link #UNKNOWN_TIME}),
     * and one position per channel.
     */
    public record Parsed(String epoch, long writtenAt, List<Long> positions) {
    }

    /**
     * Parses a cursor given by a client for the sorted {@code channels}. What its positions mean (this epoch or
     * another) is {@link Resume}'s business.
     *
     * @throws IllegalArgumentException when it is malformed or belongs to another set of channels
     */
    public static Parsed parse(String cursor, List<String> channels) {
        if (cursor.length() > MAX_LENGTH || !FORM.matcher(cursor).matches()) {
            throw new IllegalArgumentException("malformed cursor");
        }
        String[] parts = cursor.split("_", 4);
        if (!parts[1].equals(fingerprint(channels))) {
            throw new IllegalArgumentException("the cursor belongs to another set of channels");
        }
        long writtenAt = parts.length == 4 ? Long.parseLong(parts[2], 36) : UNKNOWN_TIME;
        String[] numbers = DOT.split(parts[parts.length - 1], -1);
        if (numbers.length != channels.size()) {
            throw new IllegalArgumentException("the cursor belongs to another set of channels");
        }
        List<Long> positions = new ArrayList<>(numbers.length);
        for (String number : numbers) {
            try {
                positions.add(Long.parseLong(number, 36));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed cursor", e);
            }
        }
        return new Parsed(parts[0], writtenAt, List.copyOf(positions));
    }
}
