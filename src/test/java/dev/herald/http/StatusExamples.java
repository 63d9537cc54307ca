package dev.herald.http;

import static dev.herald.http.ContractExamples.get;
import static dev.herald.http.ContractExamples.http;
import static dev.herald.http.ContractExamples.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.herald.Await;
import dev.herald.HeraldProcess;
import dev.herald.RawHttp;
import dev.herald.SseClient;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * The example requests of {@link OpenApiContractTest}, one for each (operation, status, error code) of
 * docs/openapi.yaml, grouped by the pod that can produce them: embedded with default settings, small budgets, small
 * caps, Redis killed, and a connection guard with a short head timeout and a cap of 17 connections.
 */
final class StatusExamples {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;
    private static final String USERS = "/api/users/{userId}/disconnect";
    private static final String INFO = "/api/channels/{channel}";
    private static final String PRESENCE = "/api/channels/{channel}/presence";
    private static final String RESULT = "/api/jobs/{jobId}/result";
    private static final String JOBS = "/api/jobs";
    private static final String JOB = "/api/jobs/{jobId}";
    private static final String PROGRESS = "/api/jobs/{jobId}/progress";
    private static final String COMPLETE = "/api/jobs/{jobId}/complete";
    private static final String FAIL = "/api/jobs/{jobId}/fail";

    private StatusExamples() {
    }

    /** Sends every example, pod by pod; about 10 s. */
    static void sendAll(ContractExamples examples, OpenApiDocument document) throws Exception {
        rateLimits(examples);
        mainPod(examples);
        adminDashboard(examples);
        streamCapsAndEvictedResults(examples);
        brokerDown(examples);
        connectionGuard(examples, document);
    }

    /** Every route, its success, its input errors and its auth errors, on a pod in embedded mode. */
    private static void mainPod(ContractExamples ex) {
        try (TestPod pod = TestPod.start(Map.of())) {
            String service = pod.serviceToken();
            String alice = pod.token("alice");
            String revoked = jwt("revoked", Instant.now().minusSeconds(120), null);
            HttpResponse<String> revoke = pod.post(H1, "/api/users/revoked/disconnect", service,
                                                   "{\"revokeTokensIssuedBefore\":\"now\"}");
            assertEquals(202, revoke.statusCode(), revoke.body());
            assertTrue(TestPod.json(revoke.body()).path("revokedBefore").isTextual(), revoke.body());

            String events = "/api/events";
            ex.expect("GET", events, 200, null, () -> get(pod, "/api/events?channel=channel:x", service));
            ex.expect("GET", events, 400, "bad_request", () -> get(pod, "/api/events", service));
            ex.expect("GET", events, 400, "bad_cursor",
                      () -> get(pod, "/api/events?channel=channel:x&lastEventId=garbage", service));
            ex.expect("GET", events, 403, "forbidden", () -> get(pod, "/api/events?channel=user:bob", alice));
            unauthorized(ex, pod, "GET", events, "/api/events?channel=channel:x", revoked);

            String chat = "/api/chat/messages";
            ex.expect("POST", chat, 204, null, () -> post(pod, chat, alice, "{\"channel\":\"channel:x\",\"content\":\"hi\"}"));
            ex.expect("POST", chat, 400, "bad_request", () -> post(pod, chat, alice, "{\"channel\":\"channel:x\"}"));
            ex.expect("POST", chat, 403, "forbidden", () -> post(pod, chat, alice, "{\"channel\":\"user:bob\",\"content\":\"hi\"}"));
            ex.expect("POST", chat, 413, "payload_too_large",
                      () -> post(pod, chat, alice, "{\"channel\":\"channel:x\",\"content\":\"" + "a".repeat(20_000) + "\"}"));
            bodyErrors(ex, pod, chat, alice, "{\"channel\":\"channel:x\",\"content\":\"once\"}",
                       "{\"channel\":\"channel:x\",\"content\":\"twice\"}", revoked);

            String publish = "/api/publish";
            ex.expect("POST", publish, 202, null, () -> post(pod, publish, service, "{\"channel\":\"channel:x\",\"type\":\"note\"}"));
            ex.expect("POST", publish, 400, "bad_request", () -> post(pod, publish, service, "{\"channel\":\"channel:x\"}"));
            ex.expect("POST", publish, 403, "forbidden", () -> post(pod, publish, alice, "{\"channel\":\"channel:x\",\"type\":\"note\"}"));
            ex.expect("POST", publish, 413, "payload_too_large", () -> post(pod, publish, service,
                      "{\"channel\":\"channel:x\",\"type\":\"note\",\"pad\":\"" + "a".repeat(20_000) + "\"}"));
            bodyErrors(ex, pod, publish, service, "{\"channel\":\"channel:x\",\"type\":\"once\"}",
                       "{\"channel\":\"channel:x\",\"type\":\"twice\"}", revoked);

            String broadcast = "/api/broadcast";
            ex.expect("POST", broadcast, 202, null,
                      () -> post(pod, broadcast, service, "{\"channels\":[\"channel:x\",\"channel:y\"],\"type\":\"note\"}"));
            ex.expect("POST", broadcast, 400, "bad_request", () -> post(pod, broadcast, service, "{\"type\":\"note\"}"));
            ex.expect("POST", broadcast, 403, "forbidden",
                      () -> post(pod, broadcast, alice, "{\"channels\":[\"channel:x\"],\"type\":\"note\"}"));
            ex.expect("POST", broadcast, 413, "payload_too_large", () -> post(pod, broadcast, service,
                      "{\"channels\":[\"channel:x\"],\"type\":\"note\",\"pad\":\"" + "a".repeat(20_000) + "\"}"));
            bodyErrors(ex, pod, broadcast, service, "{\"channels\":[\"channel:k\"],\"type\":\"once\"}",
                       "{\"channels\":[\"channel:k\"],\"type\":\"twice\"}", revoked);

            String alicesStreams = "/api/users/alice/disconnect";
            ex.expect("POST", USERS, 202, null, () -> post(pod, alicesStreams, service, "{\"reason\":\"banned\"}"));
            ex.expect("POST", USERS, 400, "bad_request", () -> post(pod, alicesStreams, service, "{\"reason\":\"Not Allowed!\"}"));
            ex.expect("POST", USERS, 403, "forbidden", () -> post(pod, alicesStreams, alice, "{}"));
            ex.expect("POST", USERS, 413, "payload_too_large",
                      () -> post(pod, alicesStreams, service, "{\"pad\":\"" + "a".repeat(2000) + "\"}"));
            ex.expect("POST", USERS, 415, "unsupported_media_type",
                      () -> http(pod, "POST", alicesStreams, service, "text/plain", "banned", Map.of()));
            unauthorized(ex, pod, "POST", USERS, alicesStreams, revoked);

            channels(ex, pod, service, alice, revoked);
            jobs(ex, pod, alice, revoked);
            jobRoutes(ex, pod, service, alice, revoked);

            String dev = "/dev/token";
            ex.expect("POST", dev, 200, null, () -> post(pod, dev, null, "{\"userId\":\"alice\"}"));
            ex.expect("POST", dev, 400, "bad_request", () -> post(pod, dev, null, "{}"));
            ex.expect("POST", dev, 413, "payload_too_large",
                      () -> post(pod, dev, null, "{\"userId\":\"a\",\"pad\":\"" + "a".repeat(5000) + "\"}"));
            ex.expect("POST", dev, 415, "unsupported_media_type",
                      () -> http(pod, "POST", dev, null, "text/plain", "alice", Map.of()));

            for (String path : List.of("/observe/health", "/observe/health/live", "/observe/health/ready",
                                       "/observe/metrics", "/openapi.yaml", "/", "/index.html", "/demo.js",
                                       "/demo-export.js", "/demo.css", "/js/herald.js", "/js/herald.d.ts", "/admin",
                                       "/admin/", "/admin/admin.js", "/admin/admin.css")) {
                ex.expect("GET", path, 200, null, () -> get(pod, path, null));
            }
        }
    }

    /** The management port's tokenless stream of the admin dashboard. */
    private static void adminDashboard(ContractExamples ex) throws Exception {
        int management = HeraldProcess.freePort();
        try (TestPod pod = TestPod.start(Map.of("herald.management.port", String.valueOf(management)))) {
            ex.expect("GET", "/admin/stream", 200, null, () -> ContractExamples.get(
                    pod.client(H1), URI.create("http://127.0.0.1:" + management + "/admin/stream")));
        }
    }

    /** {@code GET /api/channels}, {@code /api/channels/{channel}} and its presence. */
    private static void channels(ContractExamples ex, TestPod pod, String service, String alice, String revoked) {
        String list = "/api/channels";
        ex.expect("GET", list, 200, null, () -> get(pod, "/api/channels?prefix=channel:&limit=10", service));
        ex.expect("GET", list, 400, "bad_request", () -> get(pod, "/api/channels?limit=0", service));
        ex.expect("GET", list, 403, "forbidden", () -> get(pod, list, alice));
        unauthorized(ex, pod, "GET", list, list, revoked);

        ex.expect("GET", INFO, 200, null, () -> get(pod, "/api/channels/channel:x", service));
        ex.expect("GET", INFO, 400, "bad_request", () -> get(pod, "/api/channels/bad", service));
        ex.expect("GET", INFO, 403, "forbidden", () -> get(pod, "/api/channels/channel:x", alice));
        unauthorized(ex, pod, "GET", INFO, "/api/channels/channel:x", revoked);

        String narrow = jwt("narrow", Instant.now(), List.of("channel:allowed", "user:narrow"));
        ex.expect("GET", PRESENCE, 200, null, () -> get(pod, "/api/channels/channel:x/presence", alice));
        ex.expect("GET", PRESENCE, 400, "bad_request", () -> get(pod, "/api/channels/user:alice/presence", alice));
        ex.expect("GET", PRESENCE, 403, "forbidden", () -> get(pod, "/api/channels/channel:x/presence", narrow));
        unauthorized(ex, pod, "GET", PRESENCE, "/api/channels/channel:x/presence", revoked);
    }

    /** An export and its result download. */
    private static void jobs(ContractExamples ex, TestPod pod, String alice, String revoked) {
        String export = "/api/jobs/export";
        AtomicReference<String> job = new AtomicReference<>("none");
        ex.expect("POST", export, 202, null, () -> {
            HttpResponse<String> res = pod.post(H1, export, alice, "{\"channel\":\"channel:x\"}");
            job.set(TestPod.json(res.body()).path("jobId").asText("none"));
            return ContractExamples.answer(res.statusCode(), "application/json", res.body());
        });
        ex.expect("POST", export, 400, "bad_request", () -> post(pod, export, alice, "{}"));
        ex.expect("POST", export, 403, "forbidden", () -> post(pod, export, alice, "{\"channel\":\"user:bob\"}"));
        ex.expect("POST", export, 413, "payload_too_large",
                  () -> post(pod, export, alice, "{\"channel\":\"channel:x\",\"pad\":\"" + "a".repeat(5000) + "\"}"));
        ex.expect("POST", export, 415, "unsupported_media_type",
                  () -> http(pod, "POST", export, alice, "text/plain", "channel:x", Map.of()));
        unauthorized(ex, pod, "POST", export, export, revoked);

        String result = "/api/jobs/" + job.get() + "/result";
        ex.expect("GET", RESULT, 200, null, () -> {
            Await.until("the export to finish", WAIT, () -> pod.get(H1, result, alice).statusCode() != 404);
            return get(pod, result, alice);
        });
        ex.expect("GET", RESULT, 403, "forbidden", () -> get(pod, result, pod.token("bob")));
        ex.expect("GET", RESULT, 404, "not_found", () -> get(pod, "/api/jobs/none/result", alice));
        unauthorized(ex, pod, "GET", RESULT, result, revoked);
    }

    /** A job created for a user with a service token: its id and worker token. */
    private record CreatedJob(String id, String workerToken) {
        static CreatedJob of(HttpResponse<String> res) {
            assertEquals(201, res.statusCode(), res.body());
            JsonNode body = TestPod.json(res.body());
            return new CreatedJob(body.get("jobId").asText(), body.get("workerToken").asText());
        }

        String path(String tail) {
            return "/api/jobs/" + id + tail;
        }
    }

    private static CreatedJob createJob(TestPod pod, String service, String userId) {
        return CreatedJob.of(pod.post(H1, JOBS, service, "{\"userId\":\"" + userId + "\",\"kind\":\"render\"}"));
    }

    /** The job routes: create, report (from its worker token or a service), read and list. */
    private static void jobRoutes(ContractExamples ex, TestPod pod, String service, String alice, String revoked) {
        String body = "{\"userId\":\"alice\",\"kind\":\"render\",\"meta\":{\"file\":\"a.pdf\"}}";
        AtomicReference<CreatedJob> created = new AtomicReference<>();
        ex.expect("POST", JOBS, 201, null, () -> {
            HttpResponse<String> res = pod.post(H1, JOBS, service, body);
            created.set(CreatedJob.of(res));
            return ContractExamples.answer(res.statusCode(), "application/json", res.body());
        });
        ex.expect("POST", JOBS, 400, "bad_request", () -> post(pod, JOBS, service, "{\"userId\":\"alice\"}"));
        ex.expect("POST", JOBS, 403, "forbidden", () -> post(pod, JOBS, alice, body));
        ex.expect("POST", JOBS, 413, "payload_too_large", () -> post(pod, JOBS, service,
                  "{\"userId\":\"alice\",\"kind\":\"render\",\"pad\":\"" + "a".repeat(20_000) + "\"}"));
        ex.expect("POST", JOBS, 415, "unsupported_media_type",
                  () -> http(pod, "POST", JOBS, service, "text/plain", body, Map.of()));
        for (int i = 0; i < 100; i++) {
            createJob(pod, service, "hundred");
        }
        ex.expect("POST", JOBS, 429, "too_many_jobs",
                  () -> post(pod, JOBS, service, "{\"userId\":\"hundred\",\"kind\":\"render\"}"));
        unauthorized(ex, pod, "POST", JOBS, JOBS, revoked);

        CreatedJob job = created.get();
        CreatedJob other = createJob(pod, service, "alice");
        String progress = job.path("/progress");
        ex.expect("POST", PROGRESS, 200, null,
                  () -> post(pod, progress, job.workerToken(), "{\"progress\":40,\"message\":\"4 of 10\"}"));
        ex.expect("POST", PROGRESS, 400, "bad_request", () -> post(pod, progress, job.workerToken(), "{\"progress\":101}"));
        ex.expect("POST", PROGRESS, 403, "forbidden", () -> post(pod, progress, other.workerToken(), "{\"progress\":50}"));
        ex.expect("POST", PROGRESS, 404, "not_found", () -> post(pod, "/api/jobs/none/progress", service, "{\"progress\":50}"));
        ex.expect("POST", PROGRESS, 409, "progress_regressed",
                  () -> post(pod, progress, job.workerToken(), "{\"progress\":10}"));
        ex.expect("POST", PROGRESS, 413, "payload_too_large", () -> post(pod, progress, job.workerToken(),
                  "{\"progress\":50,\"pad\":\"" + "a".repeat(20_000) + "\"}"));
        ex.expect("POST", PROGRESS, 415, "unsupported_media_type",
                  () -> http(pod, "POST", progress, job.workerToken(), "text/plain", "50", Map.of()));
        unauthorized(ex, pod, "POST", PROGRESS, progress, revoked);

        String read = job.path("");
        ex.expect("GET", JOB, 200, null, () -> get(pod, read, alice));
        ex.expect("GET", JOB, 404, "not_found", () -> get(pod, read, pod.token("bob")));
        unauthorized(ex, pod, "GET", JOB, read, revoked);

        String list = "/api/jobs?status=running";
        ex.expect("GET", JOBS, 200, null, () -> get(pod, list, alice));
        ex.expect("GET", JOBS, 400, "bad_request", () -> get(pod, "/api/jobs?status=paused", alice));
        ex.expect("GET", JOBS, 403, "forbidden", () -> get(pod, "/api/jobs?userId=bob", alice));
        unauthorized(ex, pod, "GET", JOBS, list, revoked);

        String complete = job.path("/complete");
        ex.expect("POST", COMPLETE, 400, "bad_request", () -> post(pod, complete, job.workerToken(), "[]"));
        ex.expect("POST", COMPLETE, 403, "forbidden", () -> post(pod, complete, alice, "{}"));
        ex.expect("POST", COMPLETE, 404, "not_found", () -> post(pod, "/api/jobs/none/complete", service, "{}"));
        ex.expect("POST", COMPLETE, 413, "payload_too_large", () -> post(pod, complete, job.workerToken(),
                  "{\"result\":\"" + "a".repeat(20_000) + "\"}"));
        ex.expect("POST", COMPLETE, 415, "unsupported_media_type",
                  () -> http(pod, "POST", complete, job.workerToken(), "text/plain", "done", Map.of()));
        unauthorized(ex, pod, "POST", COMPLETE, complete, revoked);
        ex.expect("POST", COMPLETE, 200, null,
                  () -> post(pod, complete, job.workerToken(), "{\"result\":{\"url\":\"https://files.example.com/a.pdf\"}}"));
        ex.expect("POST", COMPLETE, 409, "job_finished", () -> post(pod, complete, job.workerToken(), "{}"));
        ex.expect("POST", PROGRESS, 409, "job_finished", () -> post(pod, progress, job.workerToken(), "{\"progress\":90}"));

        String fail = other.path("/fail");
        ex.expect("POST", FAIL, 400, "bad_request", () -> post(pod, fail, other.workerToken(), "{\"error\":\"Not A Code!\"}"));
        ex.expect("POST", FAIL, 403, "forbidden", () -> post(pod, fail, job.workerToken(), "{}"));
        ex.expect("POST", FAIL, 404, "not_found", () -> post(pod, "/api/jobs/none/fail", service, "{}"));
        ex.expect("POST", FAIL, 413, "payload_too_large", () -> post(pod, fail, other.workerToken(),
                  "{\"message\":\"" + "a".repeat(20_000) + "\"}"));
        ex.expect("POST", FAIL, 415, "unsupported_media_type",
                  () -> http(pod, "POST", fail, other.workerToken(), "text/plain", "failed", Map.of()));
        unauthorized(ex, pod, "POST", FAIL, fail, revoked);
        ex.expect("POST", FAIL, 200, null,
                  () -> post(pod, fail, service, "{\"error\":\"quota_exceeded\",\"message\":\"the farm is full\"}"));
        ex.expect("POST", FAIL, 409, "job_finished", () -> post(pod, fail, other.workerToken(), "{}"));
    }

    /** 415 and 422 of a publishing route, and its 401s. */
    private static void bodyErrors(ContractExamples ex, TestPod pod, String path, String token, String once,
                                   String twice, String revoked) {
        ex.expect("POST", path, 415, "unsupported_media_type",
                  () -> http(pod, "POST", path, token, "text/plain", once, Map.of()));
        String key = "contract-" + path;
        Map<String, String> idempotency = Map.of("Idempotency-Key", key);
        ex.expect("POST", path, 422, "idempotency_key_reused", () -> {
            http(pod, "POST", path, token, "application/json", once, idempotency);
            return http(pod, "POST", path, token, "application/json", twice, idempotency);
        });
        unauthorized(ex, pod, "POST", path, path, revoked);
    }

    /** 401 without a token and 401 {@code revoked} with a token issued before its user's revocation. */
    private static void unauthorized(ContractExamples ex, TestPod pod, String method, String documented, String path,
                                     String revoked) {
        String body = method.equals("POST") ? "{}" : null;
        String type = body == null ? null : "application/json";
        ex.expect(method, documented, 401, "unauthorized", () -> http(pod, method, path, null, type, body, Map.of()));
        ex.expect(method, documented, 401, "revoked", () -> http(pod, method, path, revoked, type, body, Map.of()));
    }

    /**
     * Budgets of one event per 100 s per channel and per chat user, and of 4 exports a minute; exports that pause 5 s
     * after each progress report.
     */
    private static void rateLimits(ContractExamples ex) {
        try (TestPod pod = TestPod.start(Map.of("herald.rate.channel.per-second", "0.01", "herald.rate.channel.burst", "1",
                                                "herald.rate.chat.per-second", "0.01", "herald.rate.chat.burst", "1",
                                                "herald.jobs.exports-per-minute", "4", "herald.jobs.export-pace", "PT5S"))) {
            String service = pod.serviceToken();
            String chat = "{\"channel\":\"channel:r1\",\"content\":\"hi\"}";
            pod.chat(pod.token("alice"), "channel:r1", "hi");
            ex.expect("POST", "/api/chat/messages", 429, "rate_limited",
                      () -> post(pod, "/api/chat/messages", pod.token("alice"), chat));
            pod.publish("channel:r2", "note", "");
            ex.expect("POST", "/api/publish", 429, "rate_limited",
                      () -> post(pod, "/api/publish", service, "{\"channel\":\"channel:r2\",\"type\":\"note\"}"));
            pod.publish("channel:r3", "note", "");
            String both = "{\"channels\":[\"channel:r3\",\"channel:r4\"],\"type\":\"note\"}";
            ex.expect("POST", "/api/broadcast", 207, null, () -> post(pod, "/api/broadcast", service, both));
            ex.expect("POST", "/api/broadcast", 429, "rate_limited", () -> post(pod, "/api/broadcast", service, both));

            // each export pauses 5 s after its first progress report, so three run
            String erin = pod.token("erin");
            String export = "{\"channel\":\"channel:r1\"}";
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> started = pod.post(H1, "/api/jobs/export", erin, export);
                assertEquals(202, started.statusCode(), started.body());
            }
            ex.expect("POST", "/api/jobs/export", 429, "too_many_jobs", () -> post(pod, "/api/jobs/export", erin, export));
            ex.expect("POST", "/api/jobs/export", 429, "rate_limited", () -> post(pod, "/api/jobs/export", erin, export));

            // rita's channel has one event in 100 s: her job's second progress report finds the budget spent
            CreatedJob rita = createJob(pod, service, "rita");
            pod.post(H1, rita.path("/progress"), rita.workerToken(), "{\"progress\":10}");
            ex.expect("POST", PROGRESS, 429, "rate_limited",
                      () -> post(pod, rita.path("/progress"), rita.workerToken(), "{\"progress\":20}"));
        }
    }

    /** Caps of 2 streams a pod and 1 a user; 1024 bytes of export results. */
    private static void streamCapsAndEvictedResults(ContractExamples ex) {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.max-connections", "2",
                                                "herald.sse.max-connections-per-user", "1",
                                                "herald.jobs.max-result-bytes", "1024"))) {
            String pad = "\"pad\":\"" + "p".repeat(300) + "\"";
            for (String channel : List.of("channel:e1", "channel:e2")) {
                pod.publish(channel, "note", pad);
                pod.publish(channel, "note", pad);
            }
            String olga = pod.token("olga");
            String first = finishedExport(pod, olga, "channel:e1");
            finishedExport(pod, olga, "channel:e2");
            ex.expect("GET", RESULT, 410, "result_evicted", () -> get(pod, "/api/jobs/" + first + "/result", olga));

            try (SseClient u1 = pod.subscribe(H1, pod.token("u1"), "channel:x")) {
                u1.awaitCursor(WAIT);
                ex.expect("GET", "/api/events", 429, "too_many_connections",
                          () -> get(pod, "/api/events?channel=channel:x", pod.token("u1")));
                try (SseClient u2 = pod.subscribe(H1, pod.token("u2"), "channel:x")) {
                    u2.awaitCursor(WAIT);
                    ex.expect("GET", "/api/events", 503, "unavailable",
                              () -> get(pod, "/api/events?channel=channel:x", pod.token("u3")));
                }
            }
        }
    }

    /** Starts an export and waits until its result downloads; returns the job id. */
    private static String finishedExport(TestPod pod, String token, String channel) {
        HttpResponse<String> res = pod.post(H1, "/api/jobs/export", token, "{\"channel\":\"" + channel + "\"}");
        assertEquals(202, res.statusCode(), res.body());
        String job = TestPod.json(res.body()).get("jobId").asText();
        Await.until("export " + job + " to finish", WAIT,
                    () -> pod.get(H1, "/api/jobs/" + job + "/result", token).statusCode() == 200);
        return job;
    }

    /** Clustered mode with Redis killed; dev mode off. */
    private static void brokerDown(ContractExamples ex) throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
             TestPod pod = TestPod.start(Map.of("herald.redis.url", redis.url(), "herald.auth.dev-mode", "false"))) {
            String service = pod.serviceToken();
            String alice = pod.token("alice");
            CreatedJob job = createJob(pod, service, "alice");
            redis.kill();
            String down = "broker_unavailable";
            ex.expect("POST", JOBS, 503, down, () -> post(pod, JOBS, service, "{\"userId\":\"alice\",\"kind\":\"render\"}"));
            ex.expect("GET", JOBS, 503, down, () -> get(pod, "/api/jobs?userId=alice", service));
            ex.expect("GET", JOB, 503, down, () -> get(pod, job.path(""), alice));
            ex.expect("POST", PROGRESS, 503, down, () -> post(pod, job.path("/progress"), job.workerToken(), "{\"progress\":5}"));
            ex.expect("POST", COMPLETE, 503, down, () -> post(pod, job.path("/complete"), job.workerToken(), "{}"));
            ex.expect("POST", FAIL, 503, down, () -> post(pod, job.path("/fail"), job.workerToken(), "{}"));
            ex.expect("GET", "/api/events", 503, down, () -> get(pod, "/api/events?channel=channel:x", service));
            ex.expect("POST", "/api/chat/messages", 503, down,
                      () -> post(pod, "/api/chat/messages", alice, "{\"channel\":\"channel:x\",\"content\":\"hi\"}"));
            ex.expect("POST", "/api/publish", 503, down,
                      () -> post(pod, "/api/publish", service, "{\"channel\":\"channel:x\",\"type\":\"note\"}"));
            ex.expect("POST", "/api/broadcast", 503, down, () -> post(pod, "/api/broadcast", service,
                      "{\"channels\":[\"channel:x\",\"channel:y\"],\"type\":\"note\"}"));
            ex.expect("POST", USERS, 503, down, () -> post(pod, "/api/users/alice/disconnect", service, "{}"));
            ex.expect("GET", PRESENCE, 503, down, () -> get(pod, "/api/channels/channel:x/presence", alice));
            ex.expect("GET", INFO, 503, down, () -> get(pod, "/api/channels/channel:x", service));
            ex.expect("GET", "/api/channels", 503, down, () -> get(pod, "/api/channels", service));
            ex.expect("POST", "/api/jobs/export", 503, down,
                      () -> post(pod, "/api/jobs/export", alice, "{\"channel\":\"channel:x\"}"));
            Await.until("readiness to see Redis gone", WAIT,
                        () -> pod.get(H1, "/observe/health/ready", null).statusCode() == 503);
            ex.expect("GET", "/observe/health/ready", 503, null, () -> get(pod, "/observe/health/ready", null));
            ex.expect("GET", "/observe/health", 503, null, () -> get(pod, "/observe/health", null));
            ex.expect("POST", "/dev/token", 404, "not_found", () -> post(pod, "/dev/token", null, "{\"userId\":\"a\"}"));
        }
    }

    /**
     * What the connection guard answers before routing, on every documented operation: 414, 431, 408 and, with the
     * pod's connections all taken, 503 {@code too_many_connections}.
     */
    private static void connectionGuard(ContractExamples ex, OpenApiDocument document) throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.http.head-timeout", "PT0.2S", "herald.http.max-connections", "17",
                                                "herald.sse.max-connections", "1"))) {
            int port = pod.port();
            for (OpenApiDocument.Operation op : document.operations()) {
                String line = op.method() + " " + concrete(op.path());
                ex.expect(op.method(), op.path(), 414, "uri_too_long", () -> ContractExamples.raw(
                        port, line + "?pad=" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                ex.expect(op.method(), op.path(), 431, "headers_too_large", () -> ContractExamples.raw(
                        port, line + " HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(17_000) + "\r\n\r\n"));
                ex.expect(op.method(), op.path(), 408, "request_timeout",
                          () -> ContractExamples.raw(port, line + " HTTP/1.1\r\nHost: x\r\n"));
            }
            List<RawHttp> held = new ArrayList<>();
            try {
                while (held.size() < 40) {
                    RawHttp connection = new RawHttp(port);
                    connection.send("GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttp.Response res = connection.read();
                    if (res == null || res.status() != 200) {
                        connection.close();
                        break;
                    }
                    held.add(connection);
                }
                for (OpenApiDocument.Operation op : document.operations()) {
                    ex.expect(op.method(), op.path(), 503, "too_many_connections", () -> ContractExamples.raw(
                            port, op.method() + " " + concrete(op.path()) + " HTTP/1.1\r\nHost: x\r\n"
                                  + "Content-Length: 0\r\n\r\n"));
                }
            } finally {
                for (RawHttp connection : held) {
                    connection.close();
                }
            }
        }
    }

    private static String concrete(String template) {
        return template.replace("{userId}", "alice").replace("{channel}", "channel:x").replace("{jobId}", "none");
    }

    /** A token signed with the test secret, issued at {@code issuedAt}, with a {@code channels} claim unless null. */
    static String jwt(String subject, Instant issuedAt, List<String> channels) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject).issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10))));
        if (channels != null) {
            claims.claim("channels", channels);
        }
        SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            token.sign(new MACSigner(TestPod.SECRET.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
        return token.serialize();
    }
}
