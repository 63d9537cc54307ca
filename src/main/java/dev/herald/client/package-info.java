/**
 * A client for backends and job workers on the JVM: publish, broadcast, disconnect (and revoke) users, read channel
 * info, with retries that never publish twice (one {@code Idempotency-Key} per call, reused on every attempt); create
 * jobs and report on them ({@link dev.herald.client.JobWorker}, with a job's worker token alone). Depends on the JDK's
 * {@link java.net.http.HttpClient} and Jackson databind only, never on Helidon or the rest of Herald, so a backend
 * can take it without the server. Start at {@link dev.herald.client.HeraldClient}.
 */
package dev.herald.client;
