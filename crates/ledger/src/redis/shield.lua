-- Records that a number is shielded until ARGV[1] (unix seconds), keeping the
-- later end, and tells every replica (pub/sub).
--
-- KEYS: 1 shield key
-- ARGV: 1 until seconds, 2 TTL ms (until - now; 0 or less: nothing to keep),
--       3 events channel, 4 event payload
local current = redis.call('GET', KEYS[1])
if tonumber(ARGV[2]) > 0 and (not current or tonumber(current) < tonumber(ARGV[1])) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
