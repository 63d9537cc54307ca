package dev.herald.http;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

import dev.herald.auth.Principal;
import dev.herald.hub.EventJson;
import dev.herald.hub.Hub;
import dev.herald.hub.Revocations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /api/users/{userId}/disconnect {"reason"?, "revokeTokensIssuedBefore"?}}: ends every open stream of the
 * user on every pod, each with a last {@code disconnect} event, for a backend holding a service token; with
 * {@code revokeTokensIssuedBefore} (an instant, or {@code "now"}) the user's tokens issued before it are refused on
 * every pod from then on ({@code 401 revoked}) for {@code herald.auth.revocation-ttl}. This pod's streams end at
 * once; the other pods are told through the broker and end theirs as the message arrives. Stateless and thread-safe.
 */
public final class UsersService implements HttpService {
    private static final Pattern REASON = Pattern.compile("[a-z0-9_.-]{1,64}");
    private static final String DEFAULT_REASON = "disconnected";
    /** The largest body: a reason and an instant. */
    private static final int MAX_BODY = 1024;
    /** How far in the future a revocation instant may be: clocks of backends and pods disagree a little. */
    private static final Duration MAX_AHEAD = Duration.ofMinutes(5);

    private final Hub hub;
    private final Duration revocationTtl;

    /** @param revocationTtl how long a revocation lasts after its instant ({@code herald.auth.revocation-ttl}) */
    UsersService(Hub hub, Duration revocationTtl) {
        this.hub = hub;
        this.revocationTtl = revocationTtl;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/{userId}/disconnect", this::disconnect);
    }

    /** What the body asked for; {@code revokeBefore} is null when no revocation was asked. */
    private record Ask(String reason, Instant revokeBefore) {
    }

    private void disconnect(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        if (!principal.service()) {
            throw ApiException.forbidden("disconnecting a user needs a token with the 'service' role");
        }
        String userId = req.path().pathParameters().get("userId");
        if (userId.isEmpty() || userId.length() > 256) {
            throw ApiException.badRequest("the user id must be 1-256 characters");
        }
        Ask ask = ask(req);
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        answer.put("userId", userId);
        answer.put("reason", ask.reason());
        int here;
        if (ask.revokeBefore() == null) {
            here = hub.disconnect(userId, ask.reason());
            // a failure to tell the other pods is 503: the caller retries; this pod's streams are already ended
            hub.broker().disconnectUserElsewhere(userId, ask.reason());
        } else {
            // iat has whole seconds: a token issued in the second of the instant is not older than it
            long before = ask.revokeBefore().getEpochSecond() * 1000;
            Revocations.Revocation revocation = new Revocations.Revocation(before, before + revocationTtl.toMillis());
            here = hub.revoke(userId, revocation, ask.reason());
            // stored and told (503 when it could not be: a retry merges into what is stored, never shortens it)
            hub.broker().revokeElsewhere(userId, revocation, ask.reason());
            answer.put("revokedBefore", Instant.ofEpochMilli(before).toString());
        }
        answer.put("endedOnThisPod", here);
        res.status(Status.ACCEPTED_202);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(answer));
    }

    /** The body's {@code reason} (default {@value #DEFAULT_REASON}) and revocation; an empty body asks neither. */
    private static Ask ask(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return new Ask(DEFAULT_REASON, null);
        }
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        JsonNode reason = body.get("reason");
        if (reason != null && (!reason.isTextual() || !REASON.matcher(reason.asText()).matches())) {
            throw ApiException.badRequest("'reason' must be 1-64 characters of a-z 0-9 _ . -");
        }
        return new Ask(reason == null ? DEFAULT_REASON : reason.asText(),
                       revokeBefore(body.get("revokeTokensIssuedBefore")));
    }

    private static Instant revokeBefore(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest("'revokeTokensIssuedBefore' must be an ISO-8601 instant or \"now\"");
        }
        Instant now = Instant.now();
        if ("now".equals(value.asText())) {
            return now;
        }
        Instant instant;
        try {
            instant = Instant.parse(value.asText());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("'revokeTokensIssuedBefore' must be an ISO-8601 instant such as "
                                          + "2026-11-30T12:00:00Z, or \"now\"");
        }
        if (instant.isAfter(now.plus(MAX_AHEAD))) {
            throw ApiException.badRequest("'revokeTokensIssuedBefore' may be at most 5 minutes in the future");
        }
        return instant;
    }
}
