package dev.herald.redis;

/**
 * Every Redis name Herald uses, under one prefix (default {@code realtime}); documented in {@code docs/redis.md}.
 * The channel part of key names sits in braces (a Redis Cluster hash tag), so one channel's keys share a slot.
 */
final class RedisKeys {
    /** Between the channel and the user id in a presence-user key; passed to the sweep script with the others. */
    static final String PRESENCE_USER_INFIX = "}:u:";
    /** After the channel in a presence users key. */
    static final String PRESENCE_USERS_SUFFIX = "}:users";

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** Pub/sub channel of a Herald channel: {@code realtime:channel:general}, {@code realtime:user:alice}. */
    String pubsub(String channel) {
        return prefix + ":" + channel;
    }

    /** The Herald channel of a pub/sub channel, or null when it is not one of ours. */
    String channelOf(String pubsub) {
        return pubsub.startsWith(prefix + ":") ? pubsub.substring(prefix.length() + 1) : null;
    }

    /** The pod-internal control channel every subscriber connection holds, so it is never without a channel. */
    String control() {
        return prefix + ":__herald__";
    }

    /** Stream of the channel's recent events, entry ids {@code 0-<event id>}. */
    String history(String channel) {
        return prefix + ":history:{" + channel + "}";
    }

    /** The channel's last assigned event id (INCR). Never expires, so ids never start over under a cursor. */
    String sequence(String channel) {
        return prefix + ":seq:{" + channel + "}";
    }

    /** The history's epoch: a new value means Redis lost its data and every cursor must resync. */
    String epoch() {
        return prefix + ":epoch";
    }

    /** Per (channel, user): sorted set of pod ids holding a connection, scored by the entry's expiry (ms). */
    String presenceUser(String channel, String userId) {
        return presenceHead() + channel + PRESENCE_USER_INFIX + userId;
    }

    /** Per channel: hash of online user id → {"userName", "since"}. */
    String presenceUsers(String channel) {
        return presenceHead() + channel + PRESENCE_USERS_SUFFIX;
    }

    /** What every presence key of a channel starts with, up to the channel. */
    String presenceHead() {
        return prefix + ":presence:{";
    }

    /** Every presence entry of every pod, {@code channel \n user \n pod}, scored by expiry: what the sweep reads. */
    String presenceAll() {
        return prefix + ":presence:all";
    }

    /** Token bucket of a rate limit, e.g. {@code chat} of {@code user:alice}, {@code channel} of a channel. */
    String rate(String limit, String subject) {
        return prefix + ":rate:" + limit + ":{" + subject + "}";
    }

    /**
     * An idempotency record of a publish on the channel: {@code "<request digest> <id> <ms>"}, expiring after
     * {@code herald.publish.idempotency-ttl}. {@code keyId} names publisher and key ({@code Idempotency#id}).
     */
    String idempotency(String channel, String keyId) {
        return prefix + ":idem:{" + channel + "}:" + keyId;
    }

    /** A user's open SSE connections on every pod: sorted set of lease ids scored by expiry (ms). */
    String leases(String userId) {
        return prefix + ":conn:{user:" + userId + "}";
    }

    String prefix() {
        return prefix;
    }
}
