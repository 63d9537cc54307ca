package dev.herald.hub;

/** A budget was spent: nothing was done. Carries how long until the next token. */
public final class RateLimitedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long waitMillis;

    public RateLimitedException(long waitMillis) {
        super("rate limited for " + waitMillis + " ms", null, false, false);
        this.waitMillis = waitMillis;
    }

    public long waitMillis() {
        return waitMillis;
    }
}
