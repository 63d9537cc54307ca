package dev.herald.http;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.hub.EventJson;
import dev.herald.hub.Idempotency;

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
 * {@code POST /api/broadcast {channels: […], type, …}}: the same event to up to {@code herald.publish.max-broadcast}
 * channels, from a backend holding a service token. Each channel is a publish of its own: its budget, its id, its
 * failure, reported per channel (202 when all were published, 207 with {@code errors} when some were not, the
 * common status when none was). With an {@code Idempotency-Key}, a retry publishes nothing that was published and
 * answers the same ids. Stateless and thread-safe.
 */
public final class BroadcastService implements HttpService {
    private static final Status MULTI_STATUS_207 = Status.create(207, "Multi-Status");
    /** Room in a body for each channel named, beyond the event's own bytes. */
    private static final int BYTES_PER_CHANNEL = 160;

    private final Publisher publisher;
    private final int maxChannels;

    BroadcastService(Publisher publisher, int maxChannels) {
        this.publisher = publisher;
        this.maxChannels = maxChannels;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::broadcast);
    }

    private void broadcast(ServerRequest req, ServerResponse res) {
        Principal principal = AuthFilter.principal(req);
        if (!principal.service()) {
            throw ApiException.forbidden("broadcasting needs a token with the 'service' role");
        }
        ObjectNode body = JsonBody.read(req, publisher.maxBytes() + maxChannels * BYTES_PER_CHANNEL);
        Set<String> channels = channels(body, principal);
        ObjectNode ids = EventJson.MAPPER.createObjectNode();
        ObjectNode errors = EventJson.MAPPER.createObjectNode();
        Map<Integer, ApiException> failures = new LinkedHashMap<>();
        int replayed = 0;
        for (String channel : channels) {
            ObjectNode event = PublishService.event(body, channel, "channels");
            try {
                Broker.Published published = publisher.publish(channel, event, null, idempotency(req, principal,
                                                                                                   channel, body));
                ids.put(channel, published.id());
                replayed += published.replayed() ? 1 : 0;
            } catch (ApiException e) {
                ObjectNode error = errors.putObject(channel);
                error.put("error", e.error());
                error.put("message", e.getMessage());
                failures.putIfAbsent(e.status().code(), e);
            }
        }
        if (replayed == channels.size()) {
            res.header(Publisher.REPLAYED, "true");
        }
        ObjectNode answer = EventJson.MAPPER.createObjectNode();
        if (errors.isEmpty()) {
            res.status(Status.ACCEPTED_202);
        } else if (ids.isEmpty() && failures.size() == 1) {
            // nothing was published, all for one reason: that reason's answer, with each channel's
            ApiException only = failures.values().iterator().next();
            only.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
            res.status(only.status());
            answer.put("error", only.error());
            answer.put("message", "no channel was published to: " + only.getMessage());
        } else {
            failures.values().forEach(e -> e.headers().forEach((name, value) -> res.header(HeaderNames.create(name),
                                                                                           value)));
            res.status(MULTI_STATUS_207);
        }
        answer.set("ids", ids);
        if (!errors.isEmpty()) {
            answer.set("errors", errors);
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(answer));
    }

    /** The {@code channels} array: 1 to {@link #maxChannels} distinct channel names, each one the token may publish to. */
    private Set<String> channels(ObjectNode body, Principal principal) {
        JsonNode array = body.get("channels");
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw ApiException.badRequest("'channels' must be an array of 1 to " + maxChannels + " channel names");
        }
        if (array.size() > maxChannels) {
            throw ApiException.badRequest("at most " + maxChannels + " channels per broadcast");
        }
        Set<String> channels = new LinkedHashSet<>();
        for (JsonNode item : array) {
            if (!item.isTextual()) {
                throw ApiException.badRequest("'channels' must hold channel names (strings)");
            }
            ObjectNode one = EventJson.MAPPER.createObjectNode().put("channel", item.asText());
            String channel = Publisher.channel(one, principal);
            if (!channels.add(channel)) {
                throw ApiException.badRequest("'channels' names " + channel + " twice");
            }
        }
        return channels;
    }

    /** The request's key for one channel: each channel's publish is remembered on its own. */
    private static Idempotency idempotency(ServerRequest req, Principal principal, String channel, ObjectNode body) {
        Idempotency request = Publisher.idempotency(req, principal, "broadcast", channel, body);
        // a space never occurs in a client's key: no broadcast's key meets a publish's
        return request == null ? null : new Idempotency(request.publisher(), request.key() + " " + channel,
                                                        request.request());
    }
}
