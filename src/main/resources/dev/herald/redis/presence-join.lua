-- A pod's first connection of a user in a channel. KEYS: presence-user zset, users hash (one channel: one slot; the
-- pod adds its entry to the sweep index, realtime:presence:all, in a command of its own after this script).
-- ARGV: pod, expiry ms, now ms, user id, user JSON, key TTL ms (every key expires once no pod refreshes it).
-- Returns 1 when the user was offline.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local joined = 0
if before == 0 then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
  joined = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return joined
