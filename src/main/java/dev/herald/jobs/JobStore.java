package dev.herald.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import dev.herald.hub.ChannelName;

/**
 * Where jobs live (embedded: this process, {@link LocalJobStore}; clustered: Redis, {@code RedisJobStore}). Each
 * transition is checked, stored and published as its event on the owner's channel in one step, so a reader of the
 * state is never behind the events and a refused transition publishes nothing (decision 009). A job's lease is
 * renewed by each report; {@link #failExpired} fails a job whose lease ran out, once, whichever pod calls it first.
 * Implementations are thread-safe.
 */
public interface JobStore {
    /** Default lease: a worker that has not reported for this long is lost. */
    Duration DEFAULT_LEASE = Duration.ofSeconds(60);
    /** Running jobs one user may have at once. */
    int MAX_RUNNING_PER_USER = 100;
    /** Jobs of one user a list can show (the newest). */
    int MAX_LISTED = 100;
    /** Jobs one user's index keeps. */
    int MAX_INDEXED = 1000;
    String WORKER_LOST = "worker_lost";
    String WORKER_LOST_MESSAGE = "the worker stopped reporting";
    /** What every worker token starts with (the auth filter tells them from JWTs by it). */
    String WORKER_TOKEN_PREFIX = "hjw_";
    /** The random letters and digits a job id starts with, before a dot and the owner's channel id. */
    int ID_RANDOM = 20;
    /** The length of {@code user:}. */
    int USER_PREFIX = 5;
    String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /** A new job and the token its worker reports with (shown once, stored only as its SHA-256). */
    record Created(Job job, String workerToken) {
    }

    /**
     * A refused call: {@code code} is the API's error code ({@code not_found}, {@code forbidden},
     * {@code progress_regressed}, {@code job_finished}, {@code too_many_jobs}); {@code job} the state that refused
     * it, when there is one. Nothing changed and nothing was published.
     */
    final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String code;
        private final transient Job job;

        public Refused(String code, Job job) {
            super(code, null, false, false);
            this.code = code;
            this.job = job;
        }

        public String code() {
            return code;
        }

        /** The state that refused the call, or null (no such job). */
        public Job job() {
            return job;
        }
    }

    /**
     * Creates a running job of the user and publishes {@code generation_started}.
     *
     * @param meta a JSON object's text, or "" for none
     * @throws Refused {@code too_many_jobs}
     * @throws dev.herald.hub.BrokerUnavailableException when it could not be stored
     */
    Created create(String userId, String kind, Duration lease, String meta);

    /**
     * A progress report: {@code progress} (a number's canonical text, 0–100) not below the job's; {@code message}
     * null keeps the last one. Renews the lease. Publishes {@code generation_progress}.
     *
     * @param tokenHash the SHA-256 of the worker token presented ({@link #hash}), or null for a trusted caller
     * @throws Refused                           {@code not_found}, {@code forbidden}, {@code job_finished},
     *                                           {@code progress_regressed}
     * @throws dev.herald.hub.RateLimitedException the owner's channel is over its event budget: nothing changed
     */
    Job progress(String jobId, String tokenHash, String progress, String message);

    /** Completes the job (progress 100) with {@code result} (JSON text or ""); publishes {@code generation_complete}. */
    Job complete(String jobId, String tokenHash, String result);

    /** Fails the job with an error code and message; publishes {@code generation_failed}. */
    Job fail(String jobId, String tokenHash, String error, String message);

    /** The job, or null when there is none (never was, or its retention ended). */
    Job get(String jobId);

    /** The user's jobs, newest first, at most {@link #MAX_LISTED}; with a status, only those. */
    List<Job> list(String userId, String status);

    /** The user's running jobs (what a stream opened with {@code ?jobs} starts with). */
    default List<Job> running(String userId) {
        return list(userId, Job.RUNNING);
    }

    /**
     * Fails every running job whose lease ran out with {@code worker_lost} and publishes its {@code generation_failed};
     * called about once a second on every pod. Returns how many this call failed (another pod's call fails the rest).
     */
    int failExpired();

    /** The owner (user id) of a job id made by {@link #newId}, or null when the text is not one. */
    static String owner(String jobId) {
        if (jobId == null || jobId.length() <= ID_RANDOM + 1 || jobId.charAt(ID_RANDOM) != '.') {
            return null;
        }
        for (int i = 0; i < ID_RANDOM; i++) {
            if (ALPHABET.indexOf(jobId.charAt(i)) < 0) {
                return null;
            }
        }
        return ChannelName.userId("user:" + jobId.substring(ID_RANDOM + 1));
    }

    /**
     * A new job id: 20 random letters and digits, a dot, the owner's channel id (the user id as its channel escapes
     * it: URL-safe). Clients treat it as opaque; the store finds the owner's slot from it.
     */
    static String newId(String userId) {
        String channelId = ChannelName.user(userId).substring(USER_PREFIX);
        StringBuilder id = new StringBuilder(ID_RANDOM + 1 + channelId.length());
        for (int i = 0; i < ID_RANDOM; i++) {
            id.append(ALPHABET.charAt(Random.SOURCE.nextInt(ALPHABET.length())));
        }
        return id.append('.').append(channelId).toString();
    }

    /** A new worker token: {@code hjw_} and 32 random bytes, base64url. */
    static String newWorkerToken() {
        byte[] bytes = new byte[32];
        Random.SOURCE.nextBytes(bytes);
        return WORKER_TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The SHA-256 (hex) under which a worker token is stored and compared. */
    static String hash(String workerToken) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                                                    .digest(workerToken.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Holder of the random source (an interface has no private fields). Thread-safe. */
    final class Random {
        static final SecureRandom SOURCE = new SecureRandom();

        private Random() {
        }
    }
}
