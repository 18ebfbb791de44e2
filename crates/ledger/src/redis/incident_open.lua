-- Opens an incident for a number entering shield mode, or joins the one
-- still open and pushes its end. Mirrors sqlite/evidence.rs `open`.
--
-- KEYS: 1 the number's open incident (string: id, expires at its end),
--       2 the incident id counter, 3 the tenant's incidents (sorted set, score = id)
-- ARGV: 1 prefix of incident hashes (`{p}:incident:`), 2 tenant, 3 number,
--       4 now micros, 5 until micros, 6 retention ms, 7 incidents kept per tenant
-- Returns the incident id.
local now, untl = tonumber(ARGV[4]), tonumber(ARGV[5])
local open_ms = math.max(1000, math.floor((untl - now) / 1000))
local keep_ms = open_ms + tonumber(ARGV[6])
local function keep(key, ttl)
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
end
local id = redis.call('GET', KEYS[1])
if id then
  local key = ARGV[1] .. id
  local current = tonumber(redis.call('HGET', key, 'until') or '0')
  if redis.call('HGET', key, 'tenant') == ARGV[2] and current > now then
    if untl > current then
      redis.call('HSET', key, 'until', ARGV[5])
      redis.call('PEXPIRE', KEYS[1], open_ms)
      keep(key, keep_ms)
    end
    return tonumber(id)
  end
end
id = redis.call('INCR', KEYS[2])
local key = ARGV[1] .. id
redis.call('HSET', key, 'tenant', ARGV[2], 'number', ARGV[3], 'started', ARGV[4], 'until', ARGV[5])
redis.call('PEXPIRE', key, keep_ms)
redis.call('SET', KEYS[1], id, 'PX', open_ms)
redis.call('ZADD', KEYS[3], id, id)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[7]) - 1)
keep(KEYS[3], keep_ms)
return id
