-- Claims one alert, once across replicas, and keeps it in its owner's list.
-- KEYS[1] the claim, KEYS[2] the owner's alert list
-- ARGV[1] the claim's TTL (ms), ARGV[2] the record (JSON), ARGV[3] how many records the list keeps, ARGV[4] the list's TTL (s)
-- Returns 1 when this call claimed it, 0 when it was claimed before.
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
