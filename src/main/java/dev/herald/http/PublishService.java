package dev.herald.http;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.hub.EventJson;
import dev.herald.hub.Idempotency;
import dev.herald.tracing.Traced;
import dev.herald.tracing.Tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code POST /api/publish {channel, type, …}}: any event, from a backend holding a service token. */
public final class PublishService implements HttpService {
    private static final Pattern TYPE = Pattern.compile("[a-z0-9_.-]{1,64}");
    /** Fields the server sets; a body that sets them is refused rather than silently changed. */
    private static final Set<String> SERVER_FIELDS = Set.of("id", "timestamp", "userId", "userName");
    /** Types only the server emits, since clients act on them. */
    private static final Set<String> SERVER_TYPES = Set.of("resync", "presence", "ready", "token_expired", "disconnect",
                                                           "job_state");

    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");

    private final Publisher publisher;
    private final Tracing tracing;

    PublishService(Publisher publisher, Tracing tracing) {
        this.publisher = publisher;
        this.tracing = tracing;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::publish);
    }

    private void publish(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        if (!principal.service()) {
            throw ApiException.forbidden("publishing needs a token with the 'service' role");
        }
        ObjectNode body = JsonBody.read(req, publisher.maxBytes());
        String channel = Publisher.channel(body, principal);
        ObjectNode event = event(body, channel, "channel");
        Idempotency idempotency = Publisher.idempotency(req, principal, "publish", channel, body);
        Broker.Published published;
        if (tracing.on()) {
            // the caller's traceparent, if any, is continued: the publish, Redis and every pod's delivery join it
            try (Traced span = tracing.publish(req.headers().first(TRACEPARENT).orElse(null), channel,
                                               principal.userId())) {
                try {
                    published = publisher.publish(channel, event, null, idempotency, res);
                } catch (RuntimeException e) {
                    span.failed(e);
                    throw e;
                }
                span.attribute(Tracing.EVENT_ID, published.id());
            }
        } else {
            published = publisher.publish(channel, event, null, idempotency, res);
        }
        res.status(Status.ACCEPTED_202);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send("{\"id\":" + published.id() + "}");
    }

    /**
     * The event a publishing body describes, for {@code channel}: its {@code type} (checked) and every other field
     * but {@code target} (the field naming where it goes), refusing fields and types only the server sets.
     */
    static ObjectNode event(ObjectNode body, String channel, String target) {
        String type = JsonBody.text(body, "type");
        if (!TYPE.matcher(type).matches()) {
            throw ApiException.badRequest("'type' must be 1-64 characters of a-z 0-9 _ . -");
        }
        if (SERVER_TYPES.contains(type)) {
            throw ApiException.badRequest("type '" + type + "' is reserved for the server");
        }
        ObjectNode event = EventJson.body(type, channel);
        for (Map.Entry<String, JsonNode> field : body.properties()) {
            String name = field.getKey();
            if (SERVER_FIELDS.contains(name)) {
                throw ApiException.badRequest("'" + name + "' is set by the server");
            }
            if (!name.equals("type") && !name.equals(target)) {
                event.set(name, field.getValue());
            }
        }
        return event;
    }
}
