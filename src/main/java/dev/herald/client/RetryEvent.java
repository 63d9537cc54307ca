package dev.herald.client;

import java.time.Duration;

/**
 * A call about to be tried again, as told to {@link HeraldClient.Builder#onRetry}: for logs and metrics.
 *
 * @param method the HTTP method
 * @param path the path and query called
 * @param failedAttempt the attempt that failed (1 for the first)
 * @param status its answer's status, 0 when there was none; 207 for a broadcast whose channels partly failed
 * @param error the failure's code ({@code broker_unavailable}, {@code rate_limited}, {@code timeout},
 *              {@code unreachable}, …)
 * @param delay the wait before the next attempt
 */
public record RetryEvent(String method, String path, int failedAttempt, int status, String error, Duration delay) {
}
