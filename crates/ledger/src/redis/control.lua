-- One runtime control change, its version and its audit record, then the
-- announcement to every replica. A hash field is set or deleted; a
-- blocklist addition is refused when the list is full. The audit is
-- append-only: a change is refused when its maker's records (the
-- operator's, or the tenant's tokens') already fill the tenant's trail.
--
-- KEYS: 1 control version, 2 the hash changed (a number's controls or a
--       tenant's blocklist), 3 the tenant's audit sorted set, 4 the
--       tenant's audit counts (hash: `operator`, `tenant`)
-- ARGV: 1 op (`set`, `add`: set, refused beyond the cap; `del`),
--       2 field, 3 value, 4 cap (`add`), 5 audit note (JSON),
--       6 records of this maker the trail may hold, 7 events channel,
--       8 maker (`operator` or `tenant`)
-- Returns {status, version}: status 1 the field existed, 0 it did not,
--       -1 refused (full), -2 refused (audit trail full); version 0 when
--       nothing was written.
local op = ARGV[1]
local maker = ARGV[8]
-- Counts of a trail written before they were kept: counted once.
if redis.call('EXISTS', KEYS[4]) == 0 then
  local operator, tenant = 0, 0
  for _, record in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    local note = cjson.decode(string.sub(record, string.find(record, ':', 1, true) + 1))
    if note['who'] == 'operator' then
      operator = operator + 1
    else
      tenant = tenant + 1
    end
  end
  redis.call('HSET', KEYS[4], 'operator', operator, 'tenant', tenant)
end
if tonumber(redis.call('HGET', KEYS[4], maker) or '0') >= tonumber(ARGV[6]) then
  return {-2, 0}
end
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
redis.call('HINCRBY', KEYS[4], maker, 1)
redis.call('PUBLISH', ARGV[7], '{"kind":"control","version":' .. version .. '}')
local status = 0
if existed then
  status = 1
end
return {status, version}
