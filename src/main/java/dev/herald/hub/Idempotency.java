package dev.herald.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A publish that must take effect once however often it is sent (the {@code Idempotency-Key} header): the same key
 * from the same publisher on the same channel, within {@code herald.publish.idempotency-ttl}, returns the first
 * request's id and publishes nothing new.
 *
 * @param publisher who sends it (the token's {@code sub}): the keys of different publishers never meet
 * @param key       the client's key
 * @param request   a digest of the request ({@link #digest}): the same key with another request is refused
 */
public record Idempotency(String publisher, String key, String request) {
    /** Publisher and key as one short name, safe anywhere (a Redis key, a map key): 32 hex digits of SHA-256. */
    public String id() {
        return digest(publisher, key);
    }

    /** 32 hex digits of the SHA-256 of the parts, each followed by a newline. */
    public static String digest(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
