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
local id = redis.call('INCR', KEYS[1])
local sid = string.format('%d', id)
local sms = string.format('%d', now)
local data = '{"id":' .. sid .. ',' .. ARGV[1]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-' .. sid, 'd', data, 't', sms)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], epoch .. ' ' .. sid .. ' ' .. sms .. ' ' .. data)
return {id, sms, epoch}
