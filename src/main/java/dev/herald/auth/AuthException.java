package dev.herald.auth;

/** A token was missing or could not be trusted. The message is safe to show the client; it never holds the token. */
public final class AuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public AuthException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** A short label for metrics: missing, malformed, expired, signature, claims. */
    public String reason() {
        return reason;
    }
}
