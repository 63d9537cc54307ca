-- One transition of a job, and its event on the owner's channel, atomically (after token-bucket.lua and append.lua):
-- the state a reader gets is never behind the events, a refused transition changes and publishes nothing.
-- KEYS: 1 the job's hash, 2 the owner's job index (zset id -> creation order: microseconds, strictly increasing), 3
-- the owner's running jobs (set), then the
-- owner channel's 4 sequence, 5 history, 6 epoch, 7 token bucket: one hash tag, one slot.
-- ARGV: 1 op (create, progress, complete, fail, expire), 2 the owner's channel, 3 the job id, 4 the SHA-256 of the
-- worker token presented, or '' for a trusted caller, 5 how long a finished job is kept (ms), 6-11 append.lua's
-- arguments (history max length, history TTL ms, pub/sub channel, fresh epoch, sequence TTL ms, PUBLISH/SPUBLISH), then
-- create: 12 user id, 13 kind, 14 lease ms, 15 meta JSON or '', 16 the worker token's SHA-256, 17 most running jobs
--   per user, 18 most jobs in the index;
-- progress: 12 progress (a number's text), 13 message, 14 '1' when a message was given, 15 the channel budget's rate
--   per second or '' for none, 16 its burst;
-- complete: 12 result JSON or '';  fail: 12 error code, 13 message;  expire: nothing (fails the job with worker_lost
--   when its lease deadline has passed).
-- Returns {'ok', event id, fields...} (published), {'refused', code, fields...}, {'gone'} (no such job), {'alive',
-- lease deadline ms} (expire of a renewed lease), {'wait', ms} (progress over the channel budget), {'too_many'}.
local FIELDS = {'jobId', 'userId', 'kind', 'status', 'progress', 'message', 'result', 'error', 'meta', 'version',
                'createdAt', 'updatedAt', 'lease', 'leaseUntil', 'token'}

local function iso(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local secs = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then
    y = y + 1
  end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(secs / 3600),
                       math.floor((secs % 3600) / 60), secs % 60, ms % 1000)
end

local function job_json(h)
  local out = '"jobId":' .. cjson.encode(h.jobId) .. ',"userId":' .. cjson.encode(h.userId) .. ',"kind":'
      .. cjson.encode(h.kind) .. ',"status":"' .. h.status .. '","progress":' .. h.progress .. ',"message":'
      .. cjson.encode(h.message)
  if h.result ~= '' then
    out = out .. ',"result":' .. h.result
  end
  if h.error ~= '' then
    out = out .. ',"error":' .. cjson.encode(h.error)
  end
  if h.meta ~= '' then
    out = out .. ',"meta":' .. h.meta
  end
  return out .. ',"version":' .. h.version .. ',"createdAt":"' .. iso(tonumber(h.createdAt)) .. '","updatedAt":"'
      .. iso(tonumber(h.updatedAt)) .. '"'
end

-- {head, second, the job's fields in FIELDS order}
local function answer(head, second, h)
  local out = {head, second}
  for _, name in ipairs(FIELDS) do
    out[#out + 1] = h[name] or ''
  end
  return out
end

local op = ARGV[1]
local retention = tonumber(ARGV[5])
local h = {}
local event
if op == 'create' then
  -- at the cap: the pod drops the members whose job is gone or finished (a restore) and asks again
  if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[17]) then
    return {'too_many'}
  end
  h = {jobId = ARGV[3], userId = ARGV[12], kind = ARGV[13], status = 'running', progress = '0', message = '',
       result = '', error = '', meta = ARGV[15], version = '1', createdAt = string.format('%d', now),
       updatedAt = string.format('%d', now), lease = ARGV[14],
       leaseUntil = string.format('%d', now + tonumber(ARGV[14])), token = ARGV[16]}
  event = 'generation_started'
  redis.call('SADD', KEYS[3], ARGV[3])
  -- scored in microseconds (t: token-bucket.lua's TIME), strictly after the newest: creation order even within one
  -- millisecond
  local order = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if newest[2] and tonumber(newest[2]) >= order then
    order = tonumber(newest[2]) + 1
  end
  redis.call('ZADD', KEYS[2], string.format('%d', order), ARGV[3])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[18]) - 1)
else
  local stored = redis.call('HGETALL', KEYS[1])
  if #stored == 0 then
    return {'gone'}
  end
  for i = 1, #stored, 2 do
    h[stored[i]] = stored[i + 1]
  end
  if ARGV[4] ~= '' and ARGV[4] ~= h.token then
    return answer('refused', 'forbidden', h)
  end
  if h.status ~= 'running' then
    return answer('refused', 'job_finished', h)
  end
  if op == 'expire' then
    if tonumber(h.leaseUntil) > now then
      return {'alive', h.leaseUntil}
    end
    h.status = 'failed'
    h.error = 'worker_lost'
    h.message = 'the worker stopped reporting'
    event = 'generation_failed'
  elseif op == 'progress' then
    if tonumber(ARGV[12]) < tonumber(h.progress) then
      return answer('refused', 'progress_regressed', h)
    end
    if ARGV[15] ~= '' then
      local wait = take(KEYS[7], tonumber(ARGV[15]), tonumber(ARGV[16]))
      if wait > 0 then
        return {'wait', wait}
      end
    end
    h.progress = ARGV[12]
    if ARGV[14] == '1' then
      h.message = ARGV[13]
    end
    event = 'generation_progress'
  elseif op == 'complete' then
    h.status = 'complete'
    h.progress = '100'
    h.result = ARGV[12]
    event = 'generation_complete'
  elseif op == 'fail' then
    h.status = 'failed'
    h.error = ARGV[12]
    h.message = ARGV[13]
    event = 'generation_failed'
  else
    return redis.error_reply('unknown job operation ' .. op)
  end
  h.version = string.format('%d', tonumber(h.version) + 1)
  h.updatedAt = string.format('%d', math.max(now, tonumber(h.updatedAt)))
  h.leaseUntil = string.format('%d', now + tonumber(h.lease))
end
local ttl = retention
if h.status == 'running' then
  ttl = tonumber(h.lease) + retention
else
  redis.call('SREM', KEYS[3], ARGV[3])
end
local kv = {}
for _, name in ipairs(FIELDS) do
  kv[#kv + 1] = name
  kv[#kv + 1] = h[name] or ''
end
redis.call('HSET', KEYS[1], unpack(kv))
redis.call('PEXPIRE', KEYS[1], ttl)
-- the index and the running set outlive every job they name: stretched to twice the job's lifetime whenever they
-- would end before it (so about once per lifetime, not at every report)
for k = 2, 3 do
  if redis.call('PTTL', KEYS[k]) < ttl then
    redis.call('PEXPIRE', KEYS[k], 2 * ttl)
  end
end
local body = '"type":"' .. event .. '","channel":' .. cjson.encode(ARGV[2]) .. ',"timestamp":"' .. iso(now) .. '",'
    .. job_json(h) .. '}'
local id = append({KEYS[4], KEYS[5], KEYS[6]}, body, {ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]})
return answer('ok', id, h)
