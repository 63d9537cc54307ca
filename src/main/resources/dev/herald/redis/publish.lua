-- Assigns the next id, appends to history and publishes, atomically: the id stored is the id delivered
-- (after token-bucket.lua).
-- KEYS: sequence, history, epoch, and optionally the channel's token bucket.
-- ARGV: body after its '{', history max length, history TTL ms, pub/sub channel, an epoch to create if Redis has
-- none (it lost its data), and with the bucket its rate per second and burst (the same bucket as rate.lua).
-- Returns {id, published-at ms, epoch}, or {-ms to wait} when the bucket is empty (nothing published).
-- The message is "epoch id ms json".
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
-- The next id: one past the counter, and past the newest event history holds. After a restore the counter can be
-- behind the history; taking an id history already has would make XADD fail on every publish (a wedged channel).
-- The counter is written only after XADD succeeded, so a failed publish takes no id.
local id = (tonumber(redis.call('GET', KEYS[1])) or 0) + 1
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if newest[1] then
  local held = tonumber(string.sub(newest[1][1], 3))
  if held and held >= id then
    id = held + 1
  end
end
local sid = string.format('%d', id)
local sms = string.format('%d', now)
local data = '{"id":' .. sid .. ',' .. ARGV[1]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-' .. sid, 'd', data, 't', sms)
redis.call('SET', KEYS[1], sid)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], epoch .. ' ' .. sid .. ' ' .. sms .. ' ' .. data)
return {id, sms, epoch}
