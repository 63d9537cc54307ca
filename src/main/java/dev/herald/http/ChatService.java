package dev.herald.http;

import dev.herald.auth.Principal;
import dev.herald.hub.EventJson;
import dev.herald.hub.Idempotency;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code POST /api/chat/messages {channel, content}}: a chat event from the token's user. */
public final class ChatService implements HttpService {
    private final Publisher publisher;

    ChatService(Publisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/messages", this::post);
    }

    private void post(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        ObjectNode body = JsonBody.read(req, publisher.maxBytes());
        String channel = Publisher.channel(body, principal);
        String content = JsonBody.text(body, "content");
        if (content.isBlank()) {
            throw ApiException.badRequest("'content' must not be blank");
        }
        ObjectNode event = EventJson.body("chat", channel);
        event.put("userId", principal.userId());
        event.put("userName", principal.userName());
        event.put("content", content);
        Idempotency idempotency = Publisher.idempotency(req, principal, "chat", channel, body);
        // the chat budget is taken in the publish path, so a failure to check it counts as a publish error there
        publisher.publish(channel, event, publisher.rateLimits().chat(principal.userId()), idempotency, res);
        res.status(Status.NO_CONTENT_204).send();
    }
}
