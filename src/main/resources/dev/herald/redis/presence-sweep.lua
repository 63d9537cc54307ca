-- One expired entry of the sweep index: drops the expired pods of that user in that channel and, when none is left,
-- removes the user. KEYS: presence-user zset, users hash (one channel: one slot). ARGV: now ms, user id.
-- Returns the user's JSON when this call removed them (so one pod announces them offline), else false.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  local info = redis.call('HGET', KEYS[2], ARGV[2])
  if info then
    redis.call('HDEL', KEYS[2], ARGV[2])
    return info
  end
end
return false
