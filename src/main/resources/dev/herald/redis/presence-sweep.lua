-- Removes entries whose pods stopped refreshing. KEYS: all zset.
-- ARGV: now ms, batch size, and the presence key layout from RedisKeys: the part before the channel, the part
-- between channel and user id of a presence-user key, the suffix of a users key (so the layout lives in one place).
-- Returns a flat list channel, user id, user JSON for each user now offline everywhere.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[1], member)
  local a = string.find(member, '\n', 1, true)
  local b = string.find(member, '\n', a + 1, true)
  local channel = string.sub(member, 1, a - 1)
  local user = string.sub(member, a + 1, b - 1)
  local userKey = ARGV[3] .. channel .. ARGV[4] .. user
  redis.call('ZREMRANGEBYSCORE', userKey, '-inf', ARGV[1])
  if redis.call('ZCARD', userKey) == 0 then
    local usersKey = ARGV[3] .. channel .. ARGV[5]
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
