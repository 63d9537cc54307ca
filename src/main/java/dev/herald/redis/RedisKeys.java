package dev.herald.redis;

import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Every Redis name Herald uses, under one prefix (default {@code realtime}); documented in {@code docs/redis.md}.
 * The channel part of key names sits in braces (a Redis Cluster hash tag), so one channel's keys share a slot. On a
 * Redis Cluster ({@code sharded}) the pub/sub channel and the epoch of a channel are in its slot too, so that the
 * publish script touches one slot and can {@code SPUBLISH}; the epoch is then one per hash slot.
 */
final class RedisKeys {
    /** Hash slots of a Redis Cluster. */
    static final int SLOTS = 16384;
    /** For each slot, a short text whose hash is that slot: the tag of the slot's epoch and keep-alive channel. */
    private static final String[] SLOT_TAGS = slotTags();

    /** Between the channel and the user id in a presence-user key. */
    private static final String PRESENCE_USER_INFIX = "}:u:";
    /** After the channel in a presence users key. */
    private static final String PRESENCE_USERS_SUFFIX = "}:users";

    /** The Herald channel name under which the cluster's probe messages travel ({@link #pubsub} of it). */
    static final String PROBE_CHANNEL = "__herald__";

    private final String prefix;
    private final boolean sharded;

    RedisKeys(String prefix) {
        this(prefix, false);
    }

    /**
     * @param sharded a Redis Cluster: pub/sub channels carry the channel's hash tag and each slot has its epoch
     */
    RedisKeys(String prefix, boolean sharded) {
        this.prefix = prefix;
        this.sharded = sharded;
    }

    boolean sharded() {
        return sharded;
    }

    /**
     * Pub/sub channel of a Herald channel: {@code realtime:channel:general}, {@code realtime:user:alice}; on a
     * cluster {@code realtime:{channel:general}} (a shard channel in the channel's slot).
     */
    String pubsub(String channel) {
        return sharded ? prefix + ":{" + channel + "}" : prefix + ":" + channel;
    }

    /** The Herald channel of a pub/sub channel, or null when it is not one of ours. */
    String channelOf(String pubsub) {
        if (!pubsub.startsWith(prefix + ":")) {
            return null;
        }
        String rest = pubsub.substring(prefix.length() + 1);
        if (!sharded) {
            return rest;
        }
        return rest.startsWith("{") && rest.endsWith("}") ? rest.substring(1, rest.length() - 1) : null;
    }

    /** The hash slot of a channel's keys (on a cluster). */
    static int slot(String channel) {
        return JedisClusterCRC16.getSlot(channel);
    }

    /** A shard connection's own channel in {@code slot}, held so that the connection always has one. */
    String keepAlive(int slot) {
        return prefix + ":__herald__:{" + SLOT_TAGS[slot] + "}";
    }

    /** True for a {@link #keepAlive} channel. */
    boolean isKeepAlive(String pubsub) {
        return pubsub.startsWith(prefix + ":__herald__:{");
    }

    /** The pod-internal control channel every subscriber connection holds, so it is never without a channel. */
    String control() {
        return prefix + ":__herald__";
    }

    /** Sorted set of the pods reporting channel counts: pod id → until when its report holds (epoch ms). */
    String directoryPods() {
        return prefix + ":pods";
    }

    /** Hash of one pod's channels with local streams: channel → how many (hash tag: the pod, so one slot). */
    String podChannelCounts(String podId) {
        return prefix + ":pod:{" + podId + "}:counts";
    }

    /** Sorted set (all scores 0, so in name order) of the same channels, for paging by name. */
    String podChannelNames(String podId) {
        return prefix + ":pod:{" + podId + "}:names";
    }

    /** Hash of the users whose tokens issued before an instant are refused: user id → {@code "<before> <until>"}. */
    String revocations() {
        return prefix + ":revoked";
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

    /**
     * The epoch the channel's history lives under: {@link #epoch()} on one Redis; on a cluster the epoch of the
     * channel's slot, {@code realtime:epoch:{<tag>}}, so that a shard that lost its data resyncs its channels only.
     */
    String epoch(String channel) {
        return sharded ? slotEpoch(slot(channel)) : epoch();
    }

    /** The epoch of one hash slot (on a cluster). */
    String slotEpoch(int slot) {
        return prefix + ":epoch:{" + SLOT_TAGS[slot] + "}";
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
    private String presenceHead() {
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

    /** Hash of one job's fields (job.lua), in its owner's channel's slot ({@code userChannel}: {@code user:<id>}). */
    String job(String userChannel, String jobId) {
        return prefix + ":job:{" + userChannel + "}:" + jobId;
    }

    /** Sorted set of a user's job ids by creation (ms), in the user channel's slot. */
    String jobIndex(String userChannel) {
        return prefix + ":jobs:{" + userChannel + "}";
    }

    /** Set of a user's running job ids, in the user channel's slot. */
    String jobsRunning(String userChannel) {
        return prefix + ":jobs:{" + userChannel + "}:running";
    }

    /** Sorted set of every running job id by its lease deadline (ms): the index the lease sweepers read. */
    String jobLeases() {
        return prefix + ":jobs:leases";
    }

    String prefix() {
        return prefix;
    }

    /** Short base-36 texts, the first found for each slot (about 160,000 hashes, once per JVM). */
    private static String[] slotTags() {
        String[] tags = new String[SLOTS];
        int missing = SLOTS;
        for (int i = 0; missing > 0; i++) {
            String tag = Integer.toString(i, 36);
            int slot = JedisClusterCRC16.getSlot(tag);
            if (tags[slot] == null) {
                tags[slot] = tag;
                missing--;
            }
        }
        return tags;
    }
}
