-- Provider charges for received messages (kind `inbound`), once per provider
-- message id: counted against the caps, never refused; a prepaid balance is
-- debited down to zero at most. Mirrors sqlite/decide.rs `record_inbound`.
-- The ids seen are a sorted set scored by their expiry (pruned here), so a
-- replayed or retried webhook is never charged twice within the id TTL.
--
-- KEYS: 1 number/day, 2 tenant/month, 3 deployment/month, 4 balances (hash),
--       5 entry id counter, 6 entries (stream), 7 inbound ids (sorted set)
-- ARGV: 1 now micros, 2 tenant, 3 number, 4 unit price micros, 5 prepaid '1'|'0',
--       6 day counter TTL ms, 7 month counter TTL ms, 8 stream MAXLEN,
--       9 id expiry micros, 10 ids key TTL ms, 11.. message ids
-- Returns {messages charged, amount micros (string)}.
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', ARGV[1])
local fresh = 0
for i = 11, #ARGV do
  fresh = fresh + redis.call('ZADD', KEYS[7], 'NX', ARGV[9], ARGV[i])
end
redis.call('PEXPIRE', KEYS[7], ARGV[10])
-- Exact: unit price and count are small integers (the caller checks the
-- product fits in 2^53); %.0f prints it without an exponent.
local amount = string.format('%.0f', fresh * tonumber(ARGV[4]))
if fresh == 0 or amount == '0' then
  return {fresh, '0'}
end

local prepaid = ARGV[5] == '1' and redis.call('HEXISTS', KEYS[4], ARGV[2]) == 1
redis.call('INCRBY', KEYS[1], amount)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('INCRBY', KEYS[2], amount)
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('INCRBY', KEYS[3], amount)
redis.call('PEXPIRE', KEYS[3], ARGV[7])
if prepaid and redis.call('HINCRBY', KEYS[4], ARGV[2], '-' .. amount) < 0 then
  redis.call('HSET', KEYS[4], ARGV[2], '0')
end
local id = redis.call('INCR', KEYS[5])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[8], '*',
  'id', id, 'at', ARGV[1], 'tenant', ARGV[2], 'number', ARGV[3],
  'kind', 'inbound', 'amount', amount, 'count', fresh, 'ref', '')
return {fresh, amount}
