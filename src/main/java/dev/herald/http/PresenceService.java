package dev.herald.http;

import dev.herald.auth.ChannelPolicy;
import dev.herald.auth.Principal;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;
import dev.herald.hub.Presence;
import dev.herald.hub.PresenceTracker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /api/channels/{channel}/presence}: who is online in a shared channel. */
public final class PresenceService implements HttpService {
    private final PresenceTracker presence;

    PresenceService(PresenceTracker presence) {
        this.presence = presence;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{channel}/presence", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        String channel = req.path().pathParameters().get("channel");
        if (!ChannelName.isValid(channel) || !ChannelName.isShared(channel)) {
            throw ApiException.badRequest("presence exists for channel:<id> channels only");
        }
        if (!ChannelPolicy.allows(principal, channel)) {
            throw ApiException.forbidden("not allowed to see " + channel);
        }
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("channel", channel);
        ArrayNode users = body.putArray("users");
        for (Presence.Member member : presence.members(channel)) {
            users.addObject().put("userId", member.userId()).put("userName", member.userName())
                    .put("since", member.since());
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(body));
    }
}
