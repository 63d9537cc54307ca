package dev.herald.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.herald.auth.TokenIssuer;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /dev/token {userId, name[, roles][, ttlSeconds]}} → {@code {token, userId, channel}}: mints a token for anyone on this machine (loopback callers only),
 * signed with dev mode's own key ({@code Tokens}), never with the real secret. Registered only in dev mode.
 */
public final class DevTokenService implements HttpService {
    private static final Duration VALIDITY = Duration.ofHours(12);
    private static final long MAX_TTL_SECONDS = VALIDITY.toSeconds();
    private final TokenIssuer issuer;

    DevTokenService(TokenIssuer issuer) {
        this.issuer = issuer;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/token", this::token);
    }

    private void token(ServerRequest req, ServerResponse res) {
        // tokens for anyone, so only for someone on this machine: elsewhere the endpoint does not exist
        if (!(req.remotePeer().address() instanceof InetSocketAddress peer) || !peer.getAddress().isLoopbackAddress()) {
            throw new ApiException(Status.NOT_FOUND_404, "not_found", "no such endpoint");
        }
        ObjectNode body = JsonBody.read(req, 4096);
        String userId = JsonBody.text(body, "userId");
        // the rule every verified sub meets (TokenVerifier): no control characters, a user channel that fits
        String noChannel = ChannelName.userChannelProblem(userId);
        if (userId.chars().anyMatch(Character::isISOControl) || noChannel != null) {
            throw ApiException.badRequest("'userId' must have no control characters and a user channel: "
                                          + (noChannel == null ? "it has a control character" : noChannel));
        }
        JsonNode nameNode = body.get("name");
        String name = nameNode != null && nameNode.isTextual() && !nameNode.textValue().isBlank()
                ? nameNode.textValue() : userId;
        if (name.length() > 128) {
            throw ApiException.badRequest("'name' must be at most 128 characters");
        }
        List<String> roles = new ArrayList<>();
        JsonNode rolesNode = body.get("roles");
        if (rolesNode != null && rolesNode.isArray()) {
            rolesNode.forEach(r -> roles.add(r.asText()));
        }
        Duration validity = VALIDITY;
        JsonNode ttlNode = body.get("ttlSeconds");
        if (ttlNode != null) {
            if (!ttlNode.canConvertToLong() || !ttlNode.isIntegralNumber() || ttlNode.longValue() < 1
                || ttlNode.longValue() > MAX_TTL_SECONDS) {
                throw ApiException.badRequest("'ttlSeconds' must be a whole number from 1 to " + MAX_TTL_SECONDS);
            }
            validity = Duration.ofSeconds(ttlNode.longValue());
        }
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        answer.put("token", issuer.issue(userId, name, roles, validity));
        answer.put("userId", userId);
        answer.put("channel", ChannelName.user(userId));
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.header(HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-store"));
        res.send(EventJson.bytes(answer));
    }
}
