package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.jobs.HistoryExport;
import dev.herald.jobs.Jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /api/jobs/export} starts a history export (within the user's export budget); {@code GET
 * /api/jobs/{jobId}/result} streams its result from the pod's result store.
 */
public final class JobsService implements HttpService {
    private static final String RESULT_PATH = "/api/jobs/{jobId}/result";

    private final Jobs jobs;
    private final Broker broker;
    private final RateLimits rateLimits;

    JobsService(Jobs jobs, Broker broker, RateLimits rateLimits) {
        this.jobs = jobs;
        this.broker = broker;
        this.rateLimits = rateLimits;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/export", this::export)
                .get("/{jobId}/result", this::result);
    }

    private void export(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        ObjectNode body = JsonBody.read(req, 4096);
        String channel = Publisher.channel(body, principal);
        rateLimits.startExport(principal.userId());
        Jobs.Job job = jobs.start(principal.userId(), RESULT_PATH, new HistoryExport(broker, channel));
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
}
