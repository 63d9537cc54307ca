-- Shared prelude of publish.lua and job.lua (prepended by RedisScript, after token-bucket.lua, whose `now` it uses):
-- append(keys, body, a) assigns the channel's next id, appends the event to its history and publishes it, atomically
-- (the id stored is the id delivered). keys: sequence, history, epoch (on a Redis Cluster the epoch of the channel's
-- slot). body: the event JSON after its '{', without "id". a: history max length, history TTL ms, pub/sub channel, an
-- epoch to create if Redis has none (it lost its data), how long the sequence is kept (ms; every pod reading the
-- channel refreshes it too, so it outlives every cursor still honoured), PUBLISH or SPUBLISH (on a Redis Cluster the
-- shard channel carries the channel's hash tag: the script stays in one slot), and optionally the W3C traceparent.
-- Returns id, published-at ms (text), epoch. The message is "epoch id ms json" or "epoch id ms json\ntraceparent":
-- the JSON never holds a raw newline.
local function append(keys, body, a)
  local epoch = redis.call('GET', keys[3])
  if not epoch then
    redis.call('SET', keys[3], a[4])
    epoch = a[4]
  end
  -- The next id: one past the counter, and past the newest event history holds. After a restore the counter can be
  -- behind the history; taking an id history already has would make XADD fail on every publish (a wedged channel).
  -- The counter is written only after XADD succeeded, so a failed publish takes no id.
  local id = (tonumber(redis.call('GET', keys[1])) or 0) + 1
  local newest = redis.call('XREVRANGE', keys[2], '+', '-', 'COUNT', 1)
  if newest[1] then
    local held = tonumber(string.sub(newest[1][1], 3))
    if held and held >= id then
      id = held + 1
    end
  end
  local sid = string.format('%d', id)
  local sms = string.format('%d', now)
  local data = '{"id":' .. sid .. ',' .. body
  redis.call('XADD', keys[2], 'MAXLEN', '~', a[1], '0-' .. sid, 'd', data, 't', sms)
  redis.call('SET', keys[1], sid, 'PX', a[5])
  redis.call('PEXPIRE', keys[2], a[2])
  local message = epoch .. ' ' .. sid .. ' ' .. sms .. ' ' .. data
  if a[7] then
    message = message .. '\n' .. a[7]
  end
  redis.call(a[6], a[3], message)
  return id, sms, epoch
end
