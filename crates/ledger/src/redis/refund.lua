-- Debits a refunded donation once: the balance down to zero at most, a
-- `refund` entry of the whole credited amount, the payment marked refunded.
-- A payment never credited is recorded as refunded (amount 0), so that a
-- later credit of it is refused. Mirrors sqlite/donations.rs `refund`.
--
-- KEYS: 1 balances (hash), 2 entry id counter, 3 entries (stream),
--       4 the tenant's donations (hash, see donate.lua)
-- ARGV: 1 tenant, 2 "source:payment id", 3 now micros, 4 stream MAXLEN
-- Returns {0, entry id, amount, balance} debited, {1} already refunded,
-- {2} never credited (now recorded as refunded).
local known = redis.call('HGET', KEYS[4], ARGV[2])
if not known then
  redis.call('HSET', KEYS[4], ARGV[2], '0:::' .. ARGV[3])
  return {2}
end
local amount, entry, at, refunded = string.match(known, '^([^:]*):([^:]*):([^:]*):(.*)$')
if refunded ~= '' then
  return {1}
end
local balance = redis.call('HINCRBY', KEYS[1], ARGV[1], '-' .. amount)
if balance < 0 then
  redis.call('HSET', KEYS[1], ARGV[1], '0')
  balance = 0
end
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',
  'id', id, 'at', ARGV[3], 'tenant', ARGV[1], 'number', '',
  'kind', 'refund', 'amount', amount, 'count', '1', 'ref', ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], amount .. ':' .. entry .. ':' .. at .. ':' .. ARGV[3])
return {0, id, amount, balance}
