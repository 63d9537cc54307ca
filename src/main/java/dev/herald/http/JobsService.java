package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;
import dev.herald.hub.RateLimitedException;
import dev.herald.jobs.HistoryExport;
import dev.herald.jobs.Job;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.Jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Jobs as a resource (docs/api.md): a service creates one for a user ({@code POST /api/jobs}); its worker, holding
 * a service token or the job's own worker token, reports progress, completion or failure; the user or a service reads
 * it ({@code GET /api/jobs/{jobId}}) or lists them ({@code GET /api/jobs}). Every transition is the store's one step
 * (state, lease, event). Also the built-in history export ({@code POST /api/jobs/export}) and its result
 * ({@code GET /api/jobs/{jobId}/result}).
 */
public final class JobsService implements HttpService {
    private static final String RESULT_PATH = "/api/jobs/{jobId}/result";
    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern ERROR_CODE = Pattern.compile("[a-z0-9_]{1,64}");
    private static final int MAX_BODY = 16 * 1024;
    private static final int MAX_META = 2048;
    private static final int MAX_RESULT = 8192;
    private static final int MAX_MESSAGE = 500;
    private static final int MAX_LEASE_SECONDS = 3600;
    private static final int PROGRESS_DECIMALS = 6;
    private static final String FAILED_MESSAGE = "the job failed";

    private final Jobs jobs;
    private final JobStore store;
    private final Broker broker;
    private final RateLimits rateLimits;
    private final Duration exportPace;

    JobsService(Jobs jobs, Broker broker, RateLimits rateLimits, Duration exportPace) {
        this.jobs = jobs;
        this.store = jobs.store();
        this.broker = broker;
        this.rateLimits = rateLimits;
        this.exportPace = exportPace;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .post("/export", this::export)
                .post("/{jobId}/progress", this::progress)
                .post("/{jobId}/complete", this::complete)
                .post("/{jobId}/fail", this::fail)
                .get("/{jobId}/result", this::result)
                .get("/{jobId}", this::get);
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        if (!principal.service()) {
            throw ApiException.forbidden("only a service may create jobs");
        }
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        String userId = userId(JsonBody.text(body, "userId"));
        String kind = JsonBody.text(body, "kind");
        if (!KIND.matcher(kind).matches()) {
            throw ApiException.badRequest("'kind' must be 1-64 characters A-Z a-z 0-9 . _ -");
        }
        Duration lease = lease(body.get("leaseSeconds"));
        JsonNode metaNode = body.get("meta");
        if (metaNode != null && !metaNode.isNull() && !metaNode.isObject()) {
            throw ApiException.badRequest("'meta' must be a JSON object");
        }
        String meta = metaNode == null || metaNode.isNull() ? "" : json(metaNode, MAX_META, "meta");
        JobStore.Created created = refusedAsApi(() -> jobs.create(userId, kind, lease, meta));
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        answer.put("jobId", created.job().jobId());
        answer.put("workerToken", created.workerToken());
        answer.set("job", created.job().json());
        res.status(Status.CREATED_201);
        res.header(HeaderNames.LOCATION, "/api/jobs/" + created.job().jobId());
        send(res, answer);
    }

    /** {@code leaseSeconds}: a whole number of seconds, {@link JobStore#DEFAULT_LEASE} when absent. */
    private static Duration lease(JsonNode seconds) {
        if (seconds == null || seconds.isNull()) {
            return JobStore.DEFAULT_LEASE;
        }
        if (!seconds.isIntegralNumber() || !seconds.canConvertToInt() || seconds.intValue() < 1
            || seconds.intValue() > MAX_LEASE_SECONDS) {
            throw ApiException.badRequest("'leaseSeconds' must be a whole number from 1 to " + MAX_LEASE_SECONDS);
        }
        return Duration.ofSeconds(seconds.intValue());
    }

    private void progress(ServerRequest req, ServerResponse res) {
        String tokenHash = reporter(req);
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        JsonNode progress = body.get("progress");
        if (progress == null || !progress.isNumber() || progress.doubleValue() < 0 || progress.doubleValue() > 100) {
            throw ApiException.badRequest("'progress' must be a number from 0 to 100");
        }
        String text = canonical(progress.decimalValue());
        String message = optionalMessage(body);
        try {
            send(res, refusedAsApi(() -> store.progress(jobId(req), tokenHash, text, message)).json());
        } catch (RateLimitedException e) {
            throw rateLimits.refused(e);
        }
    }

    private void complete(ServerRequest req, ServerResponse res) {
        String tokenHash = reporter(req);
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        JsonNode result = body.get("result");
        String resultJson = result == null || result.isNull() ? "" : json(result, MAX_RESULT, "result");
        send(res, refusedAsApi(() -> store.complete(jobId(req), tokenHash, resultJson)).json());
    }

    private void fail(ServerRequest req, ServerResponse res) {
        String tokenHash = reporter(req);
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        String error = "failed";
        JsonNode errorNode = body.get("error");
        if (errorNode != null && !errorNode.isNull()) {
            if (!errorNode.isTextual() || !ERROR_CODE.matcher(errorNode.textValue()).matches()) {
                throw ApiException.badRequest("'error' must be a code of 1-64 characters a-z 0-9 _");
            }
            error = errorNode.textValue();
        }
        String message = Optional.ofNullable(optionalMessage(body)).orElse(FAILED_MESSAGE);
        String code = error;
        send(res, refusedAsApi(() -> store.fail(jobId(req), tokenHash, code, message)).json());
    }

    private void get(ServerRequest req, ServerResponse res) {
        send(res, readable(req).json());
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        Optional<String> userParam = req.query().first("userId").asOptional();
        String userId;
        if (principal.service()) {
            userId = userId(userParam.orElseThrow(
                    () -> ApiException.badRequest("a service lists a user's jobs: add userId")));
        } else {
            userId = principal.userId();
            if (userParam.isPresent() && !userParam.get().equals(userId)) {
                throw ApiException.forbidden("a user lists only their own jobs");
            }
        }
        String status = req.query().first("status").asOptional().orElse(null);
        if (status != null && !List.of(Job.RUNNING, Job.COMPLETE, Job.FAILED).contains(status)) {
            throw ApiException.badRequest("'status' must be running, complete or failed");
        }
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        ArrayNode list = answer.putArray("jobs");
        for (Job job : store.list(userId, status)) {
            list.add(job.json());
        }
        send(res, answer);
    }

    private void export(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        ObjectNode body = JsonBody.read(req, 4096);
        String channel = Publisher.channel(body, principal);
        rateLimits.startExport(principal.userId());
        ObjectNode meta = EventJson.MAPPER.createObjectNode().put("channel", channel);
        Jobs.Job job = refusedAsApi(() -> jobs.start(principal.userId(), "export", meta.toString(), RESULT_PATH,
                                                     new HistoryExport(broker, channel, exportPace)));
        if (job == null) {
            throw new ApiException(Status.TOO_MANY_REQUESTS_429, "too_many_jobs",
                                   "wait for your running exports to finish", Map.of("Retry-After", "1"));
        }
        res.status(Status.ACCEPTED_202);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send("{\"jobId\":\"" + job.id() + "\"}");
    }

    private void result(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        Jobs.Job job = jobs.get(req.path().pathParameters().get("jobId"));
        if (job == null) {
            throw new ApiException(Status.NOT_FOUND_404, "not_found", "no such job on this pod");
        }
        if (!job.owner().equals(principal.userId())) {
            throw ApiException.forbidden("only the job's owner may download its result");
        }
        if (!job.finished()) {
            throw new ApiException(Status.NOT_FOUND_404, "not_found", job.failure() == null
                    ? "the job has not finished yet" : "the job failed (" + job.failure().code() + "): "
                                                       + job.failure().message());
        }
        try (InputStream result = jobs.open(job)) {
            if (result == null) {
                throw new ApiException(Status.GONE_410, "result_evicted",
                                       "the result was deleted to make room for newer exports; start the export again");
            }
            res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/x-ndjson"));
            res.header(HeaderValues.create(HeaderNames.CONTENT_LENGTH, job.resultBytes()));
            res.header(HeaderValues.create(HeaderNames.CONTENT_DISPOSITION,
                                           "attachment; filename=\"export-" + job.id() + ".ndjson\""));
            // streamed from the file with a small buffer: a large export never sits in the heap
            try (OutputStream out = res.outputStream()) {
                result.transferTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Who reports: null for a service (trusted), the SHA-256 of a worker token (the store checks it against the
     * job); a user may not report.
     */
    private static String reporter(ServerRequest req) {
        Optional<AuthFilter.WorkerToken> worker = AuthFilter.workerToken(req);
        if (worker.isPresent()) {
            return worker.get().hash();
        }
        if (!AuthFilter.principal(req).service()) {
            throw ApiException.forbidden("only the job's worker (its worker token) or a service may report on a job");
        }
        return null;
    }

    /** The job, when the caller may read it: its user, a service, or its worker; else 404 as if there were none. */
    private Job readable(ServerRequest req) {
        Job job = store.get(jobId(req));
        Optional<AuthFilter.WorkerToken> worker = AuthFilter.workerToken(req);
        boolean allowed = job != null && (worker.isPresent() ? worker.get().hash().equals(job.tokenHash())
                                                             : allowed(AuthFilter.principal(req), job));
        if (!allowed) {
            throw notFound();
        }
        return job;
    }

    /** A user id that has a channel (where the job's events go). */
    private static String userId(String userId) {
        String problem = ChannelName.userChannelProblem(userId);
        if (problem != null) {
            throw ApiException.badRequest("'userId': " + problem);
        }
        return userId;
    }

    private static boolean allowed(Principal principal, Job job) {
        return principal.service() || principal.userId().equals(job.userId());
    }

    private static String jobId(ServerRequest req) {
        return req.path().pathParameters().get("jobId");
    }

    /** The optional {@code message}: a string of at most {@link #MAX_MESSAGE} characters, or null when absent. */
    private static String optionalMessage(ObjectNode body) {
        JsonNode message = body.get("message");
        if (message == null || message.isNull()) {
            return null;
        }
        if (!message.isTextual() || message.textValue().length() > MAX_MESSAGE) {
            throw ApiException.badRequest("'message' must be a string of at most " + MAX_MESSAGE + " characters");
        }
        return message.textValue();
    }

    /**
     * A progress's text: rounded to {@link #PROGRESS_DECIMALS} decimals, shortest form: {@code 60}, {@code 60.5}
     * (never {@code 6E+1}, nor hundreds of digits for {@code 5e-324}).
     */
    private static String canonical(BigDecimal value) {
        BigDecimal stripped = value.setScale(PROGRESS_DECIMALS, RoundingMode.HALF_UP).stripTrailingZeros();
        return (stripped.scale() < 0 ? stripped.setScale(0) : stripped).toPlainString();
    }

    /** Compact JSON text of a value, at most {@code max} bytes. */
    private static String json(JsonNode value, int max, String field) {
        String text;
        try {
            text = EventJson.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("'" + field + "' is not valid JSON");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > max) {
            throw new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "payload_too_large",
                                   "'" + field + "' is larger than " + max + " bytes as JSON");
        }
        return text;
    }

    /** Runs a store call, turning its refusal into the API's answer. */
    private static <T> T refusedAsApi(Supplier<T> call) {
        try {
            return call.get();
        } catch (JobStore.Refused e) {
            throw switch (e.code()) {
                case "not_found" -> notFound();
                case "forbidden" -> ApiException.forbidden("this worker token belongs to another job");
                case "progress_regressed" -> new ApiException(
                        Status.CONFLICT_409, "progress_regressed", "progress never goes back: the job is at "
                                                                   + e.job().progress() + " %");
                case "job_finished" -> new ApiException(Status.CONFLICT_409, "job_finished",
                                                        "the job is " + e.job().status() + "; it accepts no more reports");
                case "too_many_jobs" -> new ApiException(Status.TOO_MANY_REQUESTS_429, "too_many_jobs",
                                                         "at most " + JobStore.MAX_RUNNING_PER_USER
                                                         + " running jobs per user", Map.of("Retry-After", "5"));
                default -> new IllegalStateException("a job store refused with " + e.code());
            };
        }
    }

    private static ApiException notFound() {
        return new ApiException(Status.NOT_FOUND_404, "not_found", "no such job (or it ended more than the "
                                                                   + "retention ago)");
    }

    private static void send(ServerResponse res, ObjectNode body) {
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(body));
    }
}
