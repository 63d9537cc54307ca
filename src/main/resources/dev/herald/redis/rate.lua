-- A token bucket (after token-bucket.lua). KEYS: the bucket hash. ARGV: tokens per second, burst.
-- Returns 0 when a token was taken, else the milliseconds until one will be there.
return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
