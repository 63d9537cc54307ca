-- Assigns the next id, appends to history and publishes, atomically: the id stored is the id delivered
-- (after token-bucket.lua). With an idempotency record, a request seen before publishes nothing and gets the first
-- answer; with a budget, the channel's token bucket must give a token first.
-- KEYS: sequence, history, epoch (on a Redis Cluster the epoch of the channel's slot), the channel's token bucket, the idempotency record (both always named, so that
-- Redis Cluster sees every key; used only when ARGV says so).
-- ARGV: 1 body after its '{', 2 history max length, 3 history TTL ms, 4 pub/sub channel, 5 an epoch to create if
-- Redis has none (it lost its data), 6 the budget's rate per second or '' for none, 7 its burst, 8 the request's
-- digest or '' for no idempotency key, 9 how long the record is kept (ms), 10 how long the sequence is kept (ms;
-- every pod reading the channel refreshes it too, so it outlives every cursor still honoured), 11 PUBLISH, or
-- SPUBLISH on a Redis Cluster (the shard channel carries the channel's hash tag: the script stays in one slot).
-- Returns {id, published-at ms, epoch, 0} for a new event; {id, published-at ms, epoch, 1} when the idempotency
-- record answered (nothing published, no budget taken); {-ms to wait} when the bucket is empty (nothing published);
-- {0} when the key was used for another request. The message is "epoch id ms json", or with 12 the W3C traceparent of
-- the publish (tracing on) "epoch id ms json\ntraceparent": the JSON never holds a raw newline.
if ARGV[8] ~= '' then
  local seen = redis.call('GET', KEYS[5])
  if seen then
    local request, sid, sms = string.match(seen, '^(%S+) (%d+) (%d+)$')
    if request ~= ARGV[8] then
      return {0}
    end
    return {tonumber(sid), sms, redis.call('GET', KEYS[3]) or '', 1}
  end
end
if ARGV[6] ~= '' then
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
redis.call('SET', KEYS[1], sid, 'PX', ARGV[10])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[8] ~= '' then
  redis.call('SET', KEYS[5], ARGV[8] .. ' ' .. sid .. ' ' .. sms, 'PX', ARGV[9])
end
local message = epoch .. ' ' .. sid .. ' ' .. sms .. ' ' .. data
if ARGV[12] then
  message = message .. '\n' .. ARGV[12]
end
redis.call(ARGV[11], ARGV[4], message)
return {id, sms, epoch, 0}
