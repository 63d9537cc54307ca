-- Shared prelude of rate.lua and publish.lua (prepended by RedisScript): Redis' clock in ms as `now`, and
-- take(key, rate, burst), which takes a token from a token bucket (a hash of `tokens` and `ts`, the last refill in
-- ms) and returns 0, or returns the ms until a token will be there and changes nothing.
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
