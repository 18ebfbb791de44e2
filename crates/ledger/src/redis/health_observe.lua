-- Records one observation of a number's provider link. Mirrors
-- sqlite/health.rs `observe_health`.
--
-- KEYS: 1 the number's health (hash: `problem:<code>`, `ok:<code>`,
--       `failing`, `state:<name>` -> micros)
-- ARGV: 1 code, 2 ok (1 or 0), 3 at micros, 4 grace micros, 5 retention seconds
-- Returns the hash, as HGETALL does.
local code, at = ARGV[1], tonumber(ARGV[3])
local problem = 'problem:' .. code
if ARGV[2] == '1' then
  redis.call('HDEL', KEYS[1], problem)
  redis.call('HSET', KEYS[1], 'ok:' .. code, ARGV[3])
  local left = false
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 8) == 'problem:' then
      left = true
      break
    end
  end
  if not left then
    redis.call('HDEL', KEYS[1], 'failing')
  end
else
  local fine = tonumber(redis.call('HGET', KEYS[1], 'ok:' .. code) or 'nil')
  if not (fine and at - fine < tonumber(ARGV[4])) then
    redis.call('HSETNX', KEYS[1], problem, ARGV[3])
    redis.call('HSETNX', KEYS[1], 'failing', ARGV[3])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return redis.call('HGETALL', KEYS[1])
