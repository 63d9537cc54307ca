package dev.herald.hub;

/** An idempotency key came again with another request: nothing was published; the API answers 422. */
public final class IdempotencyConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IdempotencyConflictException() {
        super("the idempotency key was used for another request");
    }
}
