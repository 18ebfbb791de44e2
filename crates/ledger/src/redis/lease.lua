-- Takes a lease for a holder, or renews it if the holder has it.
-- KEYS: 1 lease   ARGV: 1 holder, 2 TTL ms
-- Returns 1 when the holder has the lease, 0 when another holder does.
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
