-- One runtime control change, its version and its audit record, then the
-- announcement to every replica. A hash field is set or deleted; a
-- blocklist addition is refused when the list is full.
--
-- KEYS: 1 control version, 2 the hash changed (a number's controls or a
--       tenant's blocklist), 3 the tenant's audit sorted set
-- ARGV: 1 op (`set`, `add`: set, refused beyond the cap; `del`),
--       2 field, 3 value, 4 cap (`add`), 5 audit note (JSON),
--       6 audit records kept, 7 events channel
-- Returns {status, version}: status 1 the field existed, 0 it did not,
--       -1 refused (full); version 0 when nothing was written.
local op = ARGV[1]
local existed = redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1
if op == 'add' and not existed and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then
  return {-1, 0}
end
if op == 'del' then
  if not existed then
    return {0, 0}
  end
  redis.call('HDEL', KEYS[2], ARGV[2])
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
local version = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[3], version, version .. ':' .. ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[6]) + 1))
redis.call('PUBLISH', ARGV[7], '{"kind":"control","version":' .. version .. '}')
local status = 0
if existed then
  status = 1
end
return {status, version}
