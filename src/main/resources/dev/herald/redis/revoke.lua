-- A user's token revocation: tokens issued before ARGV[2] are refused until ARGV[3] (epoch ms).
-- KEYS[1]: the revocations hash (field: user id, value: "<before> <until>")
-- ARGV: user id, before, until, now (epoch ms)
-- Merges with what is stored (the later instant, the later end: a retry or a late copy never shortens one) and keeps
-- the hash as long as its longest revocation. Returns the stored "<before> <until>".
local before = tonumber(ARGV[2])
local untl = tonumber(ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
    local space = string.find(old, ' ', 1, true)
    before = math.max(before, tonumber(string.sub(old, 1, space - 1)))
    untl = math.max(untl, tonumber(string.sub(old, space + 1)))
end
local value = string.format('%.0f %.0f', before, untl)
redis.call('HSET', KEYS[1], ARGV[1], value)
local keep = untl - tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < keep then
    redis.call('PEXPIRE', KEYS[1], keep)
end
return value
