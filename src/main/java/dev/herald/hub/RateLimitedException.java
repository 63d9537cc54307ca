package dev.herald.hub;

/** A budget was spent: nothing was done. Carries which budget and how long until its next token. */
public final class RateLimitedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String limit;
    private final long waitMillis;

    /** @param limit the spent budget's name, as in {@link RateLimiter.Budget#limit()}: "chat", "channel" */
    public RateLimitedException(String limit, long waitMillis) {
        super(limit + " budget spent for " + waitMillis + " ms", null, false, false);
        this.limit = limit;
        this.waitMillis = waitMillis;
    }

    public String limit() {
        return limit;
    }

    public long waitMillis() {
        return waitMillis;
    }
}
