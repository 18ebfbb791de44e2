-- Settles an answered call once at its real duration: what its reservation
-- held beyond its real cost is given back to the spend counters of the
-- call's day and month, to the prepaid balance when it paid, and to the
-- day's `spend:call` report counters, as one `call_settled` entry; the
-- record is marked settled. Mirrors sqlite/calls.rs `settle`. The caller
-- read the record first (its fields never change but `settled`) to name
-- the counters and compute the amounts; the script checks the record is
-- still the one read and not settled, then writes. Counters that expired
-- are left alone; one that holds less than the amount goes to 0 (its TTL
-- kept).
--
-- KEYS: 1 the call's record (hash, see decide.lua), 2 number/day,
--       3 tenant/month, 4 deployment/month, 5 balances (hash),
--       6 entry id counter, 7 entries (stream), 8 the call day's report
--       counters (hash, see reports.rs)
-- ARGV: 1 tenant, 2 number, 3 call id, 4 now micros, 5 seconds,
--       6 reserved, 7 day, 8 month (as read), 9 given back, 10 -given back,
--       11 given back to the balance, 12 stream MAXLEN, 13 spend field,
--       14 the number's spend field, 15 report counters TTL seconds,
--       16 events channel, 17 event payload
-- Returns {0, entry id} settled now, {1} already settled, {2} unknown
-- (expired, or not the record read).
local call = redis.call('HMGET', KEYS[1], 'tenant', 'reserved', 'day', 'month', 'settled')
if call[1] ~= ARGV[1] or call[2] ~= ARGV[6] or call[3] ~= ARGV[7] or call[4] ~= ARGV[8] then
  return {2}
end
if call[5] then
  return {1}
end
if ARGV[9] ~= '0' then
  for i = 2, 4 do
    local spent = redis.call('GET', KEYS[i])
    if spent then
      if tonumber(spent) >= tonumber(ARGV[9]) then
        redis.call('DECRBY', KEYS[i], ARGV[9])
      else
        redis.call('DECRBY', KEYS[i], spent)
      end
    end
  end
  if ARGV[11] ~= '0' then
    redis.call('HINCRBY', KEYS[5], ARGV[1], ARGV[11])
  end
  redis.call('HINCRBY', KEYS[8], ARGV[13], ARGV[10])
  redis.call('HINCRBY', KEYS[8], ARGV[14], ARGV[10])
  redis.call('EXPIRE', KEYS[8], ARGV[15])
end
local id = redis.call('INCR', KEYS[6])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[12], '*',
  'id', id, 'at', ARGV[4], 'tenant', ARGV[1], 'number', ARGV[2],
  'kind', 'call_settled', 'amount', ARGV[9], 'count', '1', 'ref', ARGV[3])
redis.call('HSET', KEYS[1], 'settled', id, 'seconds', ARGV[5])
if ARGV[9] ~= '0' then
  redis.call('PUBLISH', ARGV[16], ARGV[17])
end
return {0, id}
