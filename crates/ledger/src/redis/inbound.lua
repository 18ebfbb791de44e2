-- Provider charges for received messages (kind `inbound`): counted against
-- the caps, never refused; a prepaid balance is debited down to zero at most.
-- Mirrors sqlite.rs `record_inbound`. The caller skips empty batches.
--
-- KEYS: 1 number/day, 2 tenant/month, 3 deployment/month, 4 balances (hash),
--       5 entry id counter, 6 entries (stream)
-- ARGV: 1 now micros, 2 tenant, 3 number, 4 amount, 5 -amount, 6 count,
--       7 prepaid '1'|'0', 8 day counter TTL ms, 9 month counter TTL ms,
--       10 stream MAXLEN
-- Returns the entry id.
local prepaid = ARGV[7] == '1' and redis.call('HEXISTS', KEYS[4], ARGV[2]) == 1

redis.call('INCRBY', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('INCRBY', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[9])
redis.call('INCRBY', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[9])
if prepaid and redis.call('HINCRBY', KEYS[4], ARGV[2], ARGV[5]) < 0 then
  redis.call('HSET', KEYS[4], ARGV[2], '0')
end
local id = redis.call('INCR', KEYS[5])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[10], '*',
  'id', id, 'at', ARGV[1], 'tenant', ARGV[2], 'number', ARGV[3],
  'kind', 'inbound', 'amount', ARGV[4], 'count', ARGV[6], 'ref', '')
return id
