package dev.herald.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import dev.herald.auth.ChannelPolicy;
import dev.herald.auth.Principal;
import dev.herald.hub.Broker;
import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.ChannelName;
import dev.herald.hub.EventJson;
import dev.herald.hub.Idempotency;
import dev.herald.hub.IdempotencyConflictException;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimiter;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The checks every publishing route shares: channel grammar and policy, event size, the channel budget, and the
 * answer when the broker cannot store. Thread-safe.
 */
final class Publisher {
    private static final Logger LOG = Logger.getLogger(Publisher.class.getName());
    private static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    static final String REPLAYED = "Idempotent-Replayed";
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
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

    /**
     * The request's {@code Idempotency-Key}, scoped to the token's user and tied to this request (the route, the
     * channel and the body as parsed), or null when it sent none.
     *
     * @throws ApiException 400 when the key is not 1-255 visible ASCII characters (optionally in double quotes)
     */
    static Idempotency idempotency(ServerRequest req, Principal principal, String route, String channel,
                                   ObjectNode body) {
        String key = req.headers().first(IDEMPOTENCY_KEY).orElse(null);
        if (key == null) {
            return null;
        }
        if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
            key = key.substring(1, key.length() - 1);
        }
        if (!KEY.matcher(key).matches()) {
            throw ApiException.badRequest("the Idempotency-Key header must be 1-255 visible ASCII characters");
        }
        return new Idempotency(principal.userId(), key,
                               Idempotency.digest(route, channel, new String(EventJson.bytes(body), UTF_8)));
    }

    /**
     * Publishes within the sender's budget ({@link RateLimits#chat}; none when null) and the channel's, once only for
     * its idempotency key (none when null); a replay sets {@code Idempotent-Replayed: true} on the response.
     */
    Broker.Published publish(String channel, ObjectNode event, RateLimiter.Budget sender, Idempotency idempotency,
                             ServerResponse res) {
        Broker.Published published = publish(channel, event, sender, idempotency);
        if (published.replayed()) {
            res.header(REPLAYED, "true");
        }
        return published;
    }

    /** {@link #publish(String, ObjectNode, RateLimiter.Budget, Idempotency, ServerResponse)} without the answer. */
    Broker.Published publish(String channel, ObjectNode event, RateLimiter.Budget sender, Idempotency idempotency) {
        byte[] bytes = EventJson.bytes(event);
        if (bytes.length + ID_ROOM > maxBytes) {
            throw JsonBody.tooLarge(maxBytes);
        }
        try {
            return rateLimits.publish(publishing, channel, bytes, sender, idempotency);
        } catch (IdempotencyConflictException e) {
            throw new ApiException(Status.UNPROCESSABLE_CONTENT_422, "idempotency_key_reused",
                                   "this Idempotency-Key was sent before with another request; use a new key");
        } catch (BrokerUnavailableException e) {
            LOG.log(Level.WARNING, "Publish to " + channel + " failed: " + e.getMessage());
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "broker_unavailable",
                                   "the event could not be stored; retry later (with the same Idempotency-Key, a "
                                   + "retry never publishes twice)", Map.of("Retry-After", "1"));
        }
    }
}
