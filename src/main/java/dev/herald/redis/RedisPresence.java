package dev.herald.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.herald.hub.BrokerUnavailableException;
import dev.herald.hub.EventJson;
import dev.herald.hub.Presence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.params.ZRangeParams;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Presence shared by every pod through Redis. Each pod counts its own connections per (channel, user) and holds
 * one Redis entry per pair, refreshed every third of the TTL; entries of a pod that stops refreshing expire
 * and the sweep (by whichever pod runs it first) announces those users offline once. Thread-safe: a concurrent
 * map of local counts; every Redis step is one atomic script.
 */
final class RedisPresence implements Presence {
    private static final int SWEEP_BATCH = 500;

    private final RedisConnection redis;
    private final RedisKeys keys;
    private final String podId;
    private final long ttlMillis;
    /** "channel \n user" → this pod's connections of that user in that channel. */
    private final Map<String, Integer> local = new ConcurrentHashMap<>();
    /**
     * "channel \n user" → user name, for the pairs whose Redis entry this pod created: only these are refreshed,
     * so a refresh can never create an entry ahead of the join script (which decides who announces).
     */
    private final Map<String, String> registered = new ConcurrentHashMap<>();

    RedisPresence(RedisConnection redis, String podId, Duration ttl) {
        this.redis = redis;
        this.keys = redis.keys();
        this.podId = podId;
        this.ttlMillis = ttl.toMillis();
    }

    @Override
    public boolean join(String channel, String userId, String userName) {
        boolean[] firstHere = {false};
        local.compute(pair(channel, userId), (k, n) -> {
            firstHere[0] = n == null;
            return n == null ? 1 : n + 1;
        });
        if (!firstHere[0]) {
            return false;
        }
        try {
            boolean first = register(channel, userId, userName);
            registered.put(pair(channel, userId), userName);
            return first;
        } catch (BrokerUnavailableException e) {
            // not counted here either, so that a later leave does not announce what was never announced
            local.computeIfPresent(pair(channel, userId), (k, n) -> n <= 1 ? null : n - 1);
            throw e;
        }
    }

    /** Runs the join script: this pod's entry for the pair; true when no pod held the user (announce online). */
    private boolean register(String channel, String userId, String userName) {
        long now = System.currentTimeMillis();
        ObjectNode info = EventJson.MAPPER.createObjectNode();
        info.put("userName", userName);
        info.put("since", EventJson.timestamp(Instant.ofEpochMilli(now)));
        Object result = eval(RedisScript.PRESENCE_JOIN,
                             List.of(keys.presenceUser(channel, userId), keys.presenceUsers(channel)),
                             List.of(podId, Long.toString(expiry(now)), Long.toString(now), userId,
                                     info.toString(), Long.toString(keyTtlMillis())));
        // the sweep index is in a slot of its own (Redis Cluster): indexed after the entry exists, so a pod that dies
        // in between leaves an entry no sweep finds, whose keys expire with it (2 x TTL) without an announcement
        try {
            redis.client().zadd(keys.presenceAll(), (double) expiry(now), member(channel, userId));
            redis.client().pexpire(keys.presenceAll(), keyTtlMillis());
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis presence is unreachable: " + e.getMessage(), e);
        }
        return Long.valueOf(1).equals(result);
    }

    @Override
    public boolean leave(String channel, String userId) {
        boolean[] lastHere = {false};
        local.computeIfPresent(pair(channel, userId), (k, n) -> {
            lastHere[0] = n <= 1;
            return n <= 1 ? null : n - 1;
        });
        if (!lastHere[0]) {
            return false;
        }
        registered.remove(pair(channel, userId));
        Object result = eval(RedisScript.PRESENCE_LEAVE,
                             List.of(keys.presenceUser(channel, userId), keys.presenceUsers(channel)),
                             List.of(podId, Long.toString(System.currentTimeMillis()), userId));
        try {
            redis.client().zrem(keys.presenceAll(), member(channel, userId));
        } catch (JedisException e) {
            // the entry is gone; the index member left behind expires and the sweep drops it
            throw new BrokerUnavailableException("Redis presence is unreachable: " + e.getMessage(), e);
        }
        return Long.valueOf(1).equals(result);
    }

    @Override
    public List<Member> members(String channel) {
        Map<String, String> users;
        try {
            users = redis.client().hgetAll(keys.presenceUsers(channel));
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis presence is unreachable: " + e.getMessage(), e);
        }
        List<Member> members = new ArrayList<>();
        users.forEach((userId, json) -> {
            JsonNode info = parse(json);
            members.add(new Member(userId, info.path("userName").asText(userId), info.path("since").asText("")));
        });
        members.sort(Comparator.comparing(Member::since).thenComparing(Member::userId));
        return members;
    }

    @Override
    public Duration maintenancePeriod() {
        return Duration.ofMillis(Math.max(100, ttlMillis / 6));
    }

    /**
     * Refreshes this pod's entries (only existing ones: {@code ZADD XX}, so a refresh racing a leave never revives
     * an entry), re-registers entries that expired while this pod still holds the connection, then sweeps the
     * expired entries of any pod.
     */
    @Override
    public List<Change> maintain() {
        long now = System.currentTimeMillis();
        List<Change> changes = new ArrayList<>();
        try {
            if (!registered.isEmpty()) {
                List<String> pairs = new ArrayList<>(registered.keySet());
                List<Response<Long>> refreshed = new ArrayList<>();
                try (AbstractPipeline pipeline = redis.client().pipelined()) {
                    for (String pair : pairs) {
                        int cut = pair.indexOf('\n');
                        String channel = pair.substring(0, cut);
                        String userId = pair.substring(cut + 1);
                        ZAddParams existing = ZAddParams.zAddParams().xx().ch();
                        refreshed.add(pipeline.zadd(keys.presenceUser(channel, userId), (double) expiry(now), podId,
                                                    existing));
                        pipeline.zadd(keys.presenceAll(), (double) expiry(now), member(channel, userId), existing);
                        pipeline.pexpire(keys.presenceUser(channel, userId), keyTtlMillis());
                        pipeline.pexpire(keys.presenceUsers(channel), keyTtlMillis());
                    }
                    pipeline.pexpire(keys.presenceAll(), keyTtlMillis());
                    pipeline.sync();
                }
                for (int i = 0; i < pairs.size(); i++) {
                    String pair = pairs.get(i);
                    String userName = registered.get(pair);
                    if (refreshed.get(i).get() == 0 && userName != null) {
                        int cut = pair.indexOf('\n');
                        String channel = pair.substring(0, cut);
                        String userId = pair.substring(cut + 1);
                        if (register(channel, userId, userName)) {
                            changes.add(new Change(channel, new Member(userId, userName, ""), "online"));
                        }
                    }
                }
            }
            changes.addAll(sweep(now));
            return changes;
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis presence maintenance failed: " + e.getMessage(), e);
        }
    }

    /**
     * The expired entries of the sweep index, each swept by a script on its channel's keys (one slot each, so it runs
     * on a Redis Cluster) and only then dropped from the index: a sweep cut short is finished by the next one, and a
     * user is announced offline by the one call that removed them.
     */
    private List<Change> sweep(long now) {
        List<Change> changes = new ArrayList<>();
        ZRangeParams expired = ZRangeParams.zrangeByScoreParams(0, (double) now).limit(0, SWEEP_BATCH);
        for (String member : redis.client().zrange(keys.presenceAll(), expired)) {
            String[] parts = member.split("\n", 3);
            if (parts.length == 3) {
                Object info = RedisScript.PRESENCE_SWEEP.eval(
                        redis.client(), List.of(keys.presenceUser(parts[0], parts[1]), keys.presenceUsers(parts[0])),
                        List.of(Long.toString(now), parts[1]));
                if (info instanceof String json) {
                    JsonNode node = parse(json);
                    changes.add(new Change(parts[0], new Member(parts[1], node.path("userName").asText(parts[1]),
                                                                node.path("since").asText("")), "offline"));
                }
            }
            redis.client().zrem(keys.presenceAll(), member);
        }
        return changes;
    }

    /**
     * How long a presence key lives after the last pod that holds an entry in it refreshed it: twice the presence
     * TTL, past the expiry of every entry in it and the sweep that announces them offline. So the keys of a channel
     * whose pods all stopped do not stay in Redis for ever.
     */
    private long keyTtlMillis() {
        return ttlMillis * 2;
    }

    /** An entry lives two thirds of the TTL; refreshed every sixth, a dead pod's users are gone within the TTL. */
    private long expiry(long now) {
        return now + ttlMillis * 2 / 3;
    }

    private String member(String channel, String userId) {
        return channel + "\n" + userId + "\n" + podId;
    }

    private Object eval(RedisScript script, List<String> keyList, List<String> args) {
        try {
            return script.eval(redis.client(), keyList, args);
        } catch (JedisException e) {
            throw new BrokerUnavailableException("Redis presence is unreachable: " + e.getMessage(), e);
        }
    }

    private static String pair(String channel, String userId) {
        return channel + "\n" + userId;
    }

    private static JsonNode parse(String json) {
        try {
            return EventJson.MAPPER.readTree(json);
        } catch (Exception e) {
            return EventJson.MAPPER.createObjectNode();
        }
    }
}
