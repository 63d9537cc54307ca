package dev.herald.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A call that failed: the server's answer ({@link #status()}, its stable {@link #error()} code, its message and
 * {@code Retry-After}), or no answer at all ({@link #status()} 0, error {@code timeout}, {@code unreachable} or
 * {@code interrupted}, the I/O failure as cause). {@link #retryable()} says whether the same call may succeed later
 * (503, 429, no answer); the client has already retried it {@link #attempts()} times in all.
 */
public final class HeraldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String error;
    private final transient Optional<Duration> retryAfter;
    private final boolean retryable;
    private final int attempts;

    HeraldException(int status, String error, String message, Optional<Duration> retryAfter, boolean retryable,
                    int attempts, Throwable cause) {
        super(describe(status, error, message, attempts), cause);
        this.status = status;
        this.error = error;
        this.retryAfter = retryAfter;
        this.retryable = retryable;
        this.attempts = attempts;
    }

    /** The HTTP status of the last answer, or 0 when there was none (timeout, refused connection, interrupted). */
    public int status() {
        return status;
    }

    /**
     * The server's stable error code ({@code bad_request}, {@code forbidden}, {@code broker_unavailable}, …; see
     * docs/api.md), {@code http_<status>} for an answer that was not Herald's JSON, or {@code timeout},
     * {@code unreachable} or {@code interrupted} when there was no answer.
     */
    public String error() {
        return error;
    }

    /** The last answer's {@code Retry-After}, as sent (not capped by the client's backoff). */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }

    /** True when the failure is temporary (503, 502, 504, 429, or no answer): the same call may succeed later. */
    public boolean retryable() {
        return retryable;
    }

    /** How many attempts were made before giving up (1 when the failure was not retryable). */
    public int attempts() {
        return attempts;
    }

    private static String describe(int status, String error, String message, int attempts) {
        return (status == 0 ? "" : status + " ") + error + ": " + message
               + (attempts > 1 ? " (after " + attempts + " attempts)" : "");
    }
}
