package dev.herald.hub;

/** Token buckets by key, shared by every pod in clustered mode. Implementations are thread-safe. */
public interface RateLimiter {
    /**
     * Takes one token from the key's bucket (refilled at {@code perSecond}, holding at most {@code burst}).
     *
     * @return 0 when a token was taken; otherwise the milliseconds until one will be there
     * @throws BrokerUnavailableException when a shared bucket cannot be reached
     */
    long acquire(String key, double perSecond, int burst);
}
