package dev.herald.http;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.herald.auth.ChannelPolicy;
import dev.herald.auth.Principal;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.Event;
import dev.herald.hub.EventJson;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimiter;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;

/**
 * The checks every publishing route shares: channel grammar and policy, event size, the channel budget, and the
 * answer when the broker cannot store. Thread-safe.
 */
final class Publisher {
    private static final Logger LOG = Logger.getLogger(Publisher.class.getName());
    /** Room for {@code "id":<19 digits>,} spliced in by the broker. */
    private static final int ID_ROOM = 26;

    private final Publishing publishing;
    private final int maxBytes;
    private final RateLimits rateLimits;

    Publisher(Publishing publishing, int maxBytes, RateLimits rateLimits) {
        this.publishing = publishing;
        this.maxBytes = maxBytes;
        this.rateLimits = rateLimits;
    }

    RateLimits rateLimits() {
        return rateLimits;
    }

    int maxBytes() {
        return maxBytes;
    }

    /** Validates and authorizes a channel named in a request body. */
    static String channel(ObjectNode body, Principal principal) {
        String channel = JsonBody.text(body, "channel");
        if (!ChannelName.isValid(channel)) {
            throw ApiException.badRequest("invalid channel name; expected user:<id> or channel:<id>, "
                                          + "id of 1-128 characters A-Z a-z 0-9 . _ ~ @ -");
        }
        if (!ChannelPolicy.allows(principal, channel)) {
            throw ApiException.forbidden("not allowed to publish to " + channel);
        }
        return channel;
    }

    Event publish(String channel, ObjectNode event) {
        return publish(channel, event, null);
    }

    /** Publishes within the sender's budget ({@link RateLimits#chat}; none when null) and the channel's. */
    Event publish(String channel, ObjectNode event, RateLimiter.Budget sender) {
        byte[] bytes = EventJson.bytes(event);
        if (bytes.length + ID_ROOM > maxBytes) {
            throw JsonBody.tooLarge(maxBytes);
        }
        try {
            return rateLimits.publish(publishing, channel, bytes, sender);
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Publish to " + channel + " failed: " + e.getMessage());
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "broker_unavailable",
                                   "the event could not be stored; retry later", Map.of("Retry-After", "1"));
        }
    }
}
