-- A connection slot of a user, across pods. KEYS: the user's lease zset. ARGV: lease id, expiry ms, now ms, max.
-- Returns 1 when granted.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) - tonumber(ARGV[3]))
return 1
