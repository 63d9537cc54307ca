-- Assigns the next id, appends to history and publishes, atomically (append.lua, after token-bucket.lua). With an idempotency record, a request seen before publishes nothing and gets the first
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
local id, sms, epoch = append({KEYS[1], KEYS[2], KEYS[3]}, ARGV[1],
                              {ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[10], ARGV[11], ARGV[12]})
if ARGV[8] ~= '' then
  redis.call('SET', KEYS[5], ARGV[8] .. ' ' .. string.format('%d', id) .. ' ' .. sms, 'PX', ARGV[9])
end
return {id, sms, epoch, 0}
