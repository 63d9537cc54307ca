package dev.herald.hub;

/** Token buckets by key, shared by every pod in clustered mode. Implementations are thread-safe. */
public interface RateLimiter {
    /**
     * One bucket: {@code limit} names the budget ("chat"), {@code subject} says whose it is ("user:alice"); it refills
     * at {@code perSecond} and holds at most {@code burst}.
     */
    record Budget(String limit, String subject, double perSecond, int burst) {
        /** The bucket's key for {@link #acquire}: "limit|subject". */
        public String key() {
            return limit + "|" + subject;
        }
    }

    /**
     * Takes one token from the key's bucket (refilled at {@code perSecond}, holding at most {@code burst}).
     *
     * @return 0 when a token was taken; otherwise the milliseconds until one will be there
     * @throws BrokerUnavailableException when a shared bucket cannot be reached
     */
    long acquire(String key, double perSecond, int burst);
}
