package dev.herald;

/** Herald cannot start with this configuration; the message is the one-line reason for the operator. */
public final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message);
    }
}
