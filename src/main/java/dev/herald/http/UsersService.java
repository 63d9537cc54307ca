package dev.herald.http;

import java.util.regex.Pattern;

import dev.herald.auth.Principal;
import dev.herald.hub.EventJson;
import dev.herald.hub.Hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /api/users/{userId}/disconnect {"reason"?}}: ends every open stream of the user on every pod, each
 * with a last {@code disconnect} event, for a backend holding a service token. This pod's streams end at once; the
 * other pods are told through the broker and end theirs as the message arrives. Stateless and thread-safe.
 */
public final class UsersService implements HttpService {
    private static final Pattern REASON = Pattern.compile("[a-z0-9_.-]{1,64}");
    private static final String DEFAULT_REASON = "disconnected";
    /** The largest body: a reason. */
    private static final int MAX_BODY = 1024;

    private final Hub hub;

    UsersService(Hub hub) {
        this.hub = hub;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/{userId}/disconnect", this::disconnect);
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
        String reason = reason(req);
        int here = hub.disconnect(userId, reason);
        // a failure to tell the other pods is 503: the caller retries; this pod's streams are already ended
        hub.broker().disconnectUserElsewhere(userId, reason);
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        answer.put("userId", userId);
        answer.put("reason", reason);
        answer.put("endedOnThisPod", here);
        res.status(Status.ACCEPTED_202);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(answer));
    }

    /** The body's {@code reason} (default {@value #DEFAULT_REASON}); an empty body is no reason. */
    private static String reason(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return DEFAULT_REASON;
        }
        ObjectNode body = JsonBody.read(req, MAX_BODY);
        if (body.has("revokeTokensIssuedBefore")) {
            throw ApiException.badRequest("'revokeTokensIssuedBefore' is not supported yet: the user's streams can be "
                                          + "ended, their tokens are still accepted until they expire");
        }
        JsonNode reason = body.get("reason");
        if (reason == null) {
            return DEFAULT_REASON;
        }
        if (!reason.isTextual() || !REASON.matcher(reason.asText()).matches()) {
            throw ApiException.badRequest("'reason' must be 1-64 characters of a-z 0-9 _ . -");
        }
        return reason.asText();
    }
}
