package dev.herald.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.hub.ChannelDirectory;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;
import dev.herald.hub.PresenceTracker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Channel info for backends holding a service token: {@code GET /api/channels/{channel}} (streams on every pod,
 * distinct online users of a {@code channel:} channel, last id, retained history) and
 * {@code GET /api/channels?prefix=&limit=&cursor=} (active channels in name order with their stream counts,
 * cursor-paged). Counts come from the {@link ChannelDirectory}, ids and history from the broker: no scan of Redis
 * keys. Stateless and thread-safe.
 */
final class ChannelsService implements HttpService {
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;
    /** A prefix of a channel name: its characters, at most a name's length. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9:._~@-]{0,136}");

    private final ChannelDirectory directory;
    private final Broker broker;
    private final PresenceTracker presence;

    ChannelsService(ChannelDirectory directory, Broker broker, PresenceTracker presence) {
        this.directory = directory;
        this.broker = broker;
        this.presence = presence;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .get("/{channel}", this::info);
    }

    private void info(ServerRequest req, ServerResponse res) {
        requireService(req);
        String channel = req.path().pathParameters().get("channel");
        if (!ChannelName.isValid(channel)) {
            throw ApiException.badRequest("not a channel name: channel:<id> or user:<id>, the id 1-128 characters of "
                                          + "A-Z a-z 0-9 . _ ~ @ -");
        }
        Broker.ChannelState state = broker.state(channel);
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        body.put("channel", channel);
        body.put("subscribers", directory.subscribers(channel));
        if (ChannelName.isShared(channel)) {
            body.put("users", presence.members(channel).size());
        }
        body.put("lastId", state.lastId());
        ObjectNode history = body.putObject("history");
        history.put("size", state.historySize());
        if (state.oldestId() == null) {
            history.putNull("oldestId");
        } else {
            history.put("oldestId", state.oldestId());
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(body));
    }

    private void list(ServerRequest req, ServerResponse res) {
        requireService(req);
        String prefix = req.query().first("prefix").orElse("");
        if (!PREFIX.matcher(prefix).matches()) {
            throw ApiException.badRequest("'prefix' must be the start of a channel name (at most 136 characters of "
                                          + "A-Z a-z 0-9 : . _ ~ @ -)");
        }
        int limit = limit(req.query().first("limit").orElse(null));
        String after = after(req.query().first("cursor").orElse(null));
        ChannelDirectory.Page page = directory.list(prefix, after, limit);
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        ArrayNode channels = body.putArray("channels");
        for (ChannelDirectory.Entry entry : page.channels()) {
            channels.addObject().put("channel", entry.channel()).put("subscribers", entry.subscribers());
        }
        if (page.next() == null) {
            body.putNull("next");
        } else {
            body.put("next", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(page.next().getBytes(StandardCharsets.UTF_8)));
        }
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(EventJson.bytes(body));
    }

    private static void requireService(ServerRequest req) {
        Principal principal = AuthFilter.principal(req);
        if (!principal.service()) {
            throw ApiException.forbidden("channel info needs a token with the 'service' role");
        }
    }

    private static int limit(String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("'limit' must be a whole number from 1 to " + MAX_LIMIT);
    }

    /** The channel a cursor continues after, or null for the first page. */
    private static String after(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            String channel = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (ChannelName.isValid(channel)) {
                return channel;
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiException.badRequest("'cursor' must be the 'next' of an earlier page");
    }
}
