-- Notes the state a replica computed for a number. Mirrors sqlite/health.rs
-- `note_health_state`.
--
-- KEYS: 1 the number's health (hash, see health_observe.lua)
-- ARGV: 1 the state's field (`state:<name>`), 2 at micros, 3 retention seconds
-- Returns since when the state holds (micros).
local since = redis.call('HGET', KEYS[1], ARGV[1])
if not since then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 6) == 'state:' then
      redis.call('HDEL', KEYS[1], field)
    end
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  since = ARGV[2]
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return tonumber(since)
