package dev.herald.http;

import java.util.Optional;
import java.util.function.Supplier;

import dev.herald.auth.AuthException;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenVerifier;
import dev.herald.hub.Revocations;
import dev.herald.jobs.JobStore;
import dev.herald.metrics.HeraldMetrics;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;

/**
 * Verifies the token of every {@code /api/} request and puts the {@link Principal} in the request context;
 * handlers read it from there, never from the body. Token from the {@code Authorization: Bearer} header,
 * the {@code access_token} query parameter, or the configured cookie. Tokens are never logged.
 */
public final class AuthFilter implements Filter {
    private static final String JOB_ROUTES = "/api/jobs/";

    /** A job's worker token presented to one of its routes, kept only as its SHA-256 ({@link JobStore#hash}). */
    record WorkerToken(String hash) {
    }

    private final TokenVerifier verifier;
    private final Optional<String> cookie;
    private final HeraldMetrics metrics;
    private final Revocations revocations;

    public AuthFilter(TokenVerifier verifier, Optional<String> cookie, HeraldMetrics metrics, Revocations revocations) {
        this.verifier = verifier;
        this.cookie = cookie;
        this.metrics = metrics;
        this.revocations = revocations;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!req.path().path().startsWith("/api/")) {
            chain.proceed();
            return;
        }
        try {
            String token = token(req);
            if (token != null && token.startsWith(JobStore.WORKER_TOKEN_PREFIX)) {
                // a job's worker token: only the job's routes take it, and they check it against the job
                if (!req.path().path().startsWith(JOB_ROUTES)) {
                    metrics.authFailure("worker_token");
                    throw new AuthException("worker_token", "a worker token is accepted only by its job's routes, "
                                                            + JOB_ROUTES + "{jobId}");
                }
                req.context().register(new WorkerToken(JobStore.hash(token)));
                chain.proceed();
                return;
            }
            Principal principal = verify(token);
            req.context().register(principal);
        } catch (AuthException e) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
            Errors.send(res, Status.UNAUTHORIZED_401, e.error(), e.getMessage());
            return;
        }
        chain.proceed();
    }

    /** The principal the filter verified for this request. */
    public static Principal principal(ServerRequest req) {
        return req.context().get(Principal.class)
                .orElseThrow(() -> req.context().get(WorkerToken.class).isPresent()
                                   ? ApiException.forbidden("a worker token may only report on and read its job")
                                   : new ApiException(Status.UNAUTHORIZED_401, "unauthorized",
                                                      "a bearer token is required"));
    }

    /** The worker token presented to a job route, if one was. */
    static Optional<WorkerToken> workerToken(ServerRequest req) {
        return req.context().get(WorkerToken.class);
    }

    private String token(RoutingRequest req) {
        return token(req.headers().first(HeaderNames.AUTHORIZATION), req.query().first("access_token").asOptional(),
                     cookie.isPresent() ? () -> req.headers().cookies().first(cookie.get()).asOptional() : Optional::empty);
    }

    /**
     * The request's token: the {@code Authorization: Bearer} header, else the {@code access_token} parameter, else
     * the cookie; null when there is none.
     *
     * @throws AuthException when the header is there but not a bearer token
     */
    static String token(Optional<String> authorization, Optional<String> accessToken,
                        Supplier<Optional<String>> cookie) {
        if (authorization.isPresent()) {
            String value = authorization.get();
            if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return value.substring(7).trim();
            }
            throw new AuthException("malformed", "the Authorization header must be 'Bearer <token>'");
        }
        if (accessToken.isPresent()) {
            return accessToken.get();
        }
        return cookie.get().orElse(null);
    }

    /** Verifies a token and that its user's tokens of its age are not revoked, counting a refusal by its reason. */
    Principal verify(String token) {
        try {
            Principal principal = verifier.verify(token);
            checkNotRevoked(revocations, principal);
            return principal;
        } catch (AuthException e) {
            metrics.authFailure(e.reason());
            throw e;
        }
    }

    /**
     * Refuses a principal whose token is older than a revocation of its user.
     *
     * @throws AuthException {@link AuthException#REVOKED} when it is
     */
    public static void checkNotRevoked(Revocations revocations, Principal principal) {
        Revocations.Revocation revocation = revocations.of(principal.userId());
        if (revocation != null && principal.issuedAt() < revocation.before()) {
            throw new AuthException(AuthException.REVOKED, "this token was revoked (the user's tokens issued before "
                    + java.time.Instant.ofEpochMilli(revocation.before()) + " are refused); get a new one");
        }
    }

    /** The cookie a token may come in, when one is configured. */
    Optional<String> cookie() {
        return cookie;
    }
}
