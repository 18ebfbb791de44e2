-- Writes a number's baseline if its version is still the one read.
-- Mirrors sqlite/baselines.rs `put_baseline`.
--
-- KEYS: 1 the baseline (hash: v, bytes)
-- ARGV: 1 expected version (0: none yet), 2 bytes, 3 TTL seconds
-- Returns 1 when written (the version is then expected + 1), 0 otherwise.
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'v', version + 1, 'bytes', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
