-- A pod's last connection of a user in a channel ended. KEYS as presence-join.lua.
-- ARGV: pod, now ms, user id.
-- Returns 1 when no pod holds the user any more and this call removed them (so one pod announces).
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('HDEL', KEYS[2], ARGV[3])
end
return 0
