-- Writes (or rewrites) one sealed part of an incident. Mirrors
-- sqlite/evidence.rs `put_part`.
--
-- KEYS: 1 the part (hash, expires with it), 2 the incident's parts
--       (sorted set: part name, score = expiry micros)
-- ARGV: 1 part name, 2 sealed bytes, 3 tenant, 4 senders, 5 written micros,
--       6 expiry micros, 7 TTL ms, 8 now micros, 9 parts an incident keeps
-- Returns 1, or 0 when the incident has its parts already (nothing written).
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[8])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[9]) then
  return 0
end
redis.call('HSET', KEYS[1], 'sealed', ARGV[2], 'tenant', ARGV[3], 'senders', ARGV[4], 'written', ARGV[5],
  'expires', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[7]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
return 1
