package dev.herald.redis;

/** The Lua scripts that make Herald's multi-key steps atomic in Redis. */
final class RedisScripts {
    private RedisScripts() {
    }

    /**
     * Redis' clock in ms as {@code now}, and {@code take(key, rate, burst)}: takes a token from a token bucket (a hash
     * of {@code tokens} and {@code ts}, the last refill in ms) and returns 0, or returns the ms until a token will be
     * there and changes nothing. Shared by {@link #RATE} and {@link #PUBLISH}, so both keep buckets the same way.
     */
    private static final String NOW_AND_TAKE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local function take(key, rate, burst)
              local b = redis.call('HMGET', key, 'tokens', 'ts')
              local tokens = tonumber(b[1]) or burst
              local ts = tonumber(b[2]) or now
              tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
              if tokens < 1 then
                return math.ceil((1 - tokens) * 1000 / rate)
              end
              redis.call('HSET', key, 'tokens', tostring(tokens - 1), 'ts', string.format('%d', now))
              redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
              return 0
            end
            """;

    /**
     * Assigns the next id, appends to history and publishes, atomically: the id stored is the id delivered.
     * KEYS: sequence, history, epoch, and optionally the channel's token bucket. ARGV: body after its '{', history
     * max length, history TTL ms, pub/sub channel, an epoch to create if Redis has none (it lost its data), and with
     * the bucket its rate per second and burst (the same bucket as {@link #RATE}).
     * Returns {id, published-at ms, epoch}, or {-ms to wait} when the bucket is empty (nothing published).
     * The message is "epoch id ms json".
     */
    static final String PUBLISH = NOW_AND_TAKE + """
            if KEYS[4] then
              local wait = take(KEYS[4], tonumber(ARGV[6]), tonumber(ARGV[7]))
              if wait > 0 then
                return {-wait}
              end
            end
            local epoch = redis.call('GET', KEYS[3])
            if not epoch then
              redis.call('SET', KEYS[3], ARGV[5])
              epoch = ARGV[5]
            end
            local id = redis.call('INCR', KEYS[1])
            local sid = string.format('%d', id)
            local sms = string.format('%d', now)
            local data = '{"id":' .. sid .. ',' .. ARGV[1]
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-' .. sid, 'd', data, 't', sms)
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            redis.call('PUBLISH', ARGV[4], epoch .. ' ' .. sid .. ' ' .. sms .. ' ' .. data)
            return {id, sms, epoch}
            """;

    /**
     * A pod's first connection of a user in a channel. KEYS: presence-user zset, users hash, all zset.
     * ARGV: pod, expiry ms, now ms, user id, user JSON, all-member. Returns 1 when the user was offline.
     */
    static final String PRESENCE_JOIN = """
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
            local before = redis.call('ZCARD', KEYS[1])
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
            if before == 0 then
              redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
              return 1
            end
            return 0
            """;

    /**
     * A pod's last connection of a user in a channel ended. KEYS as join. ARGV: pod, now ms, user id, all-member.
     * Returns 1 when no pod holds the user any more and this call removed them (so one pod announces).
     */
    static final String PRESENCE_LEAVE = """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[3], ARGV[4])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
            if redis.call('ZCARD', KEYS[1]) == 0 then
              return redis.call('HDEL', KEYS[2], ARGV[3])
            end
            return 0
            """;

    /**
     * Removes entries whose pods stopped refreshing. KEYS: all zset. ARGV: now ms, key prefix, batch size.
     * Returns a flat list channel, user id, user JSON for each user now offline everywhere.
     */
    static final String PRESENCE_SWEEP = """
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
            local gone = {}
            for _, member in ipairs(expired) do
              redis.call('ZREM', KEYS[1], member)
              local a = string.find(member, '\\n', 1, true)
              local b = string.find(member, '\\n', a + 1, true)
              local channel = string.sub(member, 1, a - 1)
              local user = string.sub(member, a + 1, b - 1)
              local userKey = ARGV[2] .. ':presence:{' .. channel .. '}:u:' .. user
              redis.call('ZREMRANGEBYSCORE', userKey, '-inf', ARGV[1])
              if redis.call('ZCARD', userKey) == 0 then
                local usersKey = ARGV[2] .. ':presence:{' .. channel .. '}:users'
                local info = redis.call('HGET', usersKey, user)
                if info then
                  redis.call('HDEL', usersKey, user)
                  table.insert(gone, channel)
                  table.insert(gone, user)
                  table.insert(gone, info)
                end
              end
            end
            return gone
            """;

    /**
     * A token bucket. KEYS: the bucket hash. ARGV: tokens per second, burst.
     * Returns 0 when a token was taken, else the milliseconds until one will be there.
     */
    static final String RATE = NOW_AND_TAKE + """
            return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
            """;

    /**
     * A connection slot of a user, across pods. KEYS: the user's lease zset. ARGV: lease id, expiry ms, now ms, max.
     * Returns 1 when granted.
     */
    static final String LEASE = """
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
              return 0
            end
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) - tonumber(ARGV[3]))
            return 1
            """;
}
