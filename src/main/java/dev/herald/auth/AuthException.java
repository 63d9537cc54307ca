package dev.herald.auth;

/** A token was missing or could not be trusted. The message is safe to show the client; it never holds the token. */
public final class AuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public AuthException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Reason of a token whose user's tokens issued before an instant were revoked; also its error code. */
    public static final String REVOKED = "revoked";

    /** A short label for metrics: missing, malformed, expired, signature, claims, revoked. */
    public String reason() {
        return reason;
    }

    /** The {@code error} code of the 401 answer: {@value #REVOKED} for a revoked token, else unauthorized. */
    public String error() {
        return REVOKED.equals(reason) ? REVOKED : "unauthorized";
    }
}
