-- Credits a tenant's prepaid balance, records the entry and tells every
-- replica (pub/sub). Mirrors sqlite/entries.rs `top_up`; the caller refuses
-- amounts that are not positive or above rules::MAX_TOP_UP.
--
-- KEYS: 1 balances (hash), 2 entry id counter, 3 entries (stream),
--       4 last top-ups (hash: tenant -> "entry id:balance after:at micros")
-- ARGV: 1 tenant, 2 amount, 3 now micros, 4 note, 5 stream MAXLEN,
--       6 events channel, 7 event payload, 8 largest balance allowed
-- Returns {1, new balance} or {0, current balance} when the balance would
-- pass the largest allowed (nothing written).
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current + tonumber(ARGV[2]) > tonumber(ARGV[8]) then
  return {0, current}
end
local balance = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*',
  'id', id, 'at', ARGV[3], 'tenant', ARGV[1], 'number', '',
  'kind', 'top_up', 'amount', ARGV[2], 'count', '1', 'ref', ARGV[4])
redis.call('HSET', KEYS[4], ARGV[1], id .. ':' .. balance .. ':' .. ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return {1, balance}
