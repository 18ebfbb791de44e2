-- Credits a confirmed donation once per payment: the balance, the entry,
-- the tenant's last top-up (balance alerts count from it), the payment's
-- record and its place in the tenant's list; tells every replica (pub/sub).
-- Mirrors sqlite/donations.rs `credit`; the caller refuses bad amounts and ids.
--
-- KEYS: 1 balances (hash), 2 entry id counter, 3 entries (stream),
--       4 last top-ups (hash), 5 the tenant's donations (hash: "source:id" ->
--       "amount:credit entry:credited at:refunded at"), 6 the tenant's
--       credited donations (sorted set scored by credit entry id)
-- ARGV: 1 tenant, 2 "source:payment id", 3 amount micros, 4 now micros,
--       5 stream MAXLEN, 6 events channel, 7 event payload, 8 largest balance
-- Returns {0, entry id, balance} credited, {1} already credited,
-- {2} already refunded, {3, balance} the balance would pass the largest.
local known = redis.call('HGET', KEYS[5], ARGV[2])
if known then
  local refunded = string.match(known, '^[^:]*:[^:]*:[^:]*:(.*)$')
  if refunded ~= nil and refunded ~= '' then
    return {2}
  end
  return {1}
end
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current + tonumber(ARGV[3]) > tonumber(ARGV[8]) then
  return {3, current}
end
local balance = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[3])
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*',
  'id', id, 'at', ARGV[4], 'tenant', ARGV[1], 'number', '',
  'kind', 'donation', 'amount', ARGV[3], 'count', '1', 'ref', ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], id .. ':' .. balance .. ':' .. ARGV[4])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[3] .. ':' .. id .. ':' .. ARGV[4] .. ':')
redis.call('ZADD', KEYS[6], id, ARGV[2])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return {0, id, balance}
