-- Adds counters to an incident and to one slot of its timeline. Mirrors
-- sqlite/evidence.rs `add_activity`. Each slot has every counter, so the
-- slots hash holds (fields per slot) x (slots) fields.
--
-- KEYS: 1 the incident (hash), 2 its slots (hash: `slot:counter` -> value)
-- ARGV: 1 slot, 2 fields the slots hash may hold, then counter, value pairs
-- Returns 1, or 0 for an unknown (or expired) incident.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
local first = ARGV[1] .. ':' .. ARGV[3]
if redis.call('HEXISTS', KEYS[2], first) == 1 or redis.call('HLEN', KEYS[2]) < tonumber(ARGV[2]) then
  for i = 3, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1])
  end
  redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]))
end
return 1
