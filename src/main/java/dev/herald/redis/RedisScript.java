package dev.herald.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Lua script of {@code src/main/resources/dev/herald/redis/}, run by its SHA-1 ({@code EVALSHA}) and loaded
 * again when Redis answers {@code NOSCRIPT} (a restart or {@code SCRIPT FLUSH} emptied its script cache): every
 * script Herald runs goes through here. The scripts that make Herald's multi-key steps atomic are the constants.
 * Immutable and thread-safe.
 */
final class RedisScript {
    /** id, history and publish in one step; with the channel's budget when given. */
    static final RedisScript PUBLISH = load("token-bucket.lua", "append.lua", "publish.lua");
    /** A job's transition and its event on the owner's channel in one step. */
    static final RedisScript JOB = load("token-bucket.lua", "append.lua", "job.lua");
    /** A token bucket. */
    static final RedisScript RATE = load("token-bucket.lua", "rate.lua");
    /** A user's connection slot across pods. */
    static final RedisScript LEASE = load("lease.lua");
    static final RedisScript PRESENCE_JOIN = load("presence-join.lua");
    static final RedisScript PRESENCE_LEAVE = load("presence-leave.lua");
    static final RedisScript PRESENCE_SWEEP = load("presence-sweep.lua");
    /** A user's token revocation, merged with the stored one. */
    static final RedisScript REVOKE = load("revoke.lua");

    private final String name;
    private final String source;
    private final String sha;

    private RedisScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
    }

    /** The script made of these resource files, in order (a shared prelude first). */
    static RedisScript load(String... files) {
        StringBuilder source = new StringBuilder();
        for (String file : files) {
            try (InputStream in = RedisScript.class.getResourceAsStream(file)) {
                if (in == null) {
                    throw new IllegalStateException("missing script resource " + file);
                }
                source.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new RedisScript(files[files.length - 1], source.toString());
    }

    /** Runs the script; loads it first when Redis does not have it. */
    Object eval(UnifiedJedis redis, List<String> keys, List<String> args) {
        try {
            return redis.evalsha(sha, keys, args);
        } catch (JedisNoScriptException e) {
            // loaded where the first key lives: on a Redis Cluster that is the node the call goes to
            redis.scriptLoad(source, keys.get(0));
            return redis.evalsha(sha, keys, args);
        }
    }

    /**
     * Queues the script in a pipeline. Its response throws {@link JedisNoScriptException} when Redis did not have
     * it: the caller then {@link #loadInto loads it} and sends that call again (a NOSCRIPT call changed nothing).
     */
    Response<Object> eval(AbstractPipeline pipeline, List<String> keys, List<String> args) {
        return pipeline.evalsha(sha, keys, args);
    }

    /** Loads the script where each of these keys lives (on a Redis Cluster, each key's node). */
    void loadInto(UnifiedJedis redis, Collection<String> sampleKeys) {
        for (String key : sampleKeys) {
            redis.scriptLoad(source, key);
        }
    }

    String sha() {
        return sha;
    }

    String source() {
        return source;
    }

    @Override
    public String toString() {
        return name;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }
}
