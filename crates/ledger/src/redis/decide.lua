-- The "may I reply" decision, atomic (docs/behaviour.md). Mirrors
-- sqlite/decide.rs `decide` and rules::budget_refusal. Deterministic: never
-- reads the clock, touches only KEYS. Every read comes before the first
-- write, so a failure (wrong type, OOM on the first write) leaves nothing
-- half-done. Money is integer micros; Lua numbers are doubles, exact up to
-- 2^53 micros (9e9 units), and the script only compares them: sums are
-- done by INCRBY/HINCRBY in Redis, and anything passed back to Redis
-- commands is an ARGV string.
--
-- KEYS: 1 message id, 2 sender memory, 3 rate (minute), 4 pacing counter of
--       the reply's arrival slot (deferred replies), 5 number/day,
--       6 tenant/month, 7 deployment/month, 8 balances (hash),
--       9 entry id counter, 10 entries (stream), 11 opt-out of the sender,
--       12 deferred item of the sender, 13 the call's record (hash; written
--       for an answered call only, see settle_call.lua)
-- ARGV: 1 now micros, 2 tenant, 3 number, 4 message id, 5 cost, 6 -cost,
--       7 message-id expiry micros, 8 message-id TTL ms,
--       9 sender expiry micros, 10 sender TTL ms (0: not remembered),
--       11 max replies per minute, 12 replies the arrival slot may pay
--       (deferred replies only), 13/14/15 number-day/tenant-month/
--       deployment-month limit (spend above it refuses: cap - cost),
--       '' for "no such rule", 16 prepaid '1'|'0', 17 day counter TTL ms,
--       18 month counter TTL ms, 19 stream MAXLEN, 20 deferred '1'|'',
--       21 pacing counter TTL ms, 22 entry kind ('reply' | 'call'),
--       23 call record expiry micros, 24 call record TTL ms, 25 day,
--       26 month (of the spend counters)
-- Returns {0, entry_id, day, tenant_month, deployment_month, balance|''}
--       | {1, replied 0|1} | {2} repeat sender | {3} rate limited
--       | {4} slot allowance spent | {6} opted out | {7} deferred sender not pending
--       | {5, scope 1..4, day, tenant_month, deployment_month, balance|''}
-- A deferred reply records its message id only when paid: a refusal may
-- be tried again (next minute, next slot).
local now = tonumber(ARGV[1])
local deferred = ARGV[20] == '1'

local earlier = redis.call('GET', KEYS[1])
if earlier then
  local sep = string.find(earlier, ':', 1, true)
  if sep and tonumber(string.sub(earlier, sep + 1)) > now then
    return {1, tonumber(string.sub(earlier, 1, sep - 1))}
  end
end

local function remember(replied)
  if deferred and replied == '0' then
    return
  end
  redis.call('SET', KEYS[1], replied .. ':' .. ARGV[7], 'PX', ARGV[8])
end

local function at_least(key, max)
  return max ~= '' and tonumber(redis.call('GET', key) or '0') >= tonumber(max)
end

if redis.call('EXISTS', KEYS[11]) == 1 then
  remember('0')
  return {6}
end
local remembered = redis.call('GET', KEYS[2])
if remembered and tonumber(remembered) > now then
  remember('0')
  return {2}
end
if deferred then
  local item = redis.call('HMGET', KEYS[12], 'state', 'judge_by')
  if item[1] ~= 'pending' or tonumber(item[2]) <= now then
    return {7}
  end
end
if at_least(KEYS[3], ARGV[11]) then
  remember('0')
  return {3}
end
if deferred and at_least(KEYS[4], ARGV[12]) then
  return {4}
end

local day = redis.call('GET', KEYS[5]) or '0'
local tenant_month = redis.call('GET', KEYS[6]) or '0'
local deployment_month = redis.call('GET', KEYS[7]) or '0'
local balance = redis.call('HGET', KEYS[8], ARGV[2])

local function over(spent, limit)
  return limit ~= '' and tonumber(spent) > tonumber(limit)
end

local scope = nil
if over(day, ARGV[13]) then
  scope = 1
elseif over(tenant_month, ARGV[14]) then
  scope = 2
elseif over(deployment_month, ARGV[15]) then
  scope = 3
elseif ARGV[16] == '1' and tonumber(balance or '0') < tonumber(ARGV[5]) then
  scope = 4
end
if scope then
  remember('0')
  return {5, scope, day, tenant_month, deployment_month, balance or ''}
end

-- Paid: debit, count, record, remember.
day = redis.call('INCRBY', KEYS[5], ARGV[5])
redis.call('PEXPIRE', KEYS[5], ARGV[17])
tenant_month = redis.call('INCRBY', KEYS[6], ARGV[5])
redis.call('PEXPIRE', KEYS[6], ARGV[18])
deployment_month = redis.call('INCRBY', KEYS[7], ARGV[5])
redis.call('PEXPIRE', KEYS[7], ARGV[18])
if ARGV[11] ~= '' then
  redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], 120000)
end
if deferred then
  redis.call('INCR', KEYS[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[21])
  redis.call('HSET', KEYS[12], 'state', 'sending')
end
local balance_paid = '0'
if ARGV[16] == '1' and balance then
  balance = redis.call('HINCRBY', KEYS[8], ARGV[2], ARGV[6])
  balance_paid = ARGV[5]
end
local id = redis.call('INCR', KEYS[9])
redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[19], '*',
  'id', id, 'at', ARGV[1], 'tenant', ARGV[2], 'number', ARGV[3],
  'kind', ARGV[22], 'amount', ARGV[5], 'count', '1', 'ref', ARGV[4])
if ARGV[10] ~= '0' then
  redis.call('SET', KEYS[2], ARGV[9], 'PX', ARGV[10])
else
  redis.call('DEL', KEYS[2])
end
if ARGV[22] == 'call' then
  redis.call('HSET', KEYS[13], 'tenant', ARGV[2], 'reserved', ARGV[5], 'balance_paid', balance_paid,
    'day', ARGV[25], 'month', ARGV[26], 'at', ARGV[1], 'expires', ARGV[23])
  redis.call('PEXPIRE', KEYS[13], ARGV[24])
end
remember('1')
return {0, id, day, tenant_month, deployment_month, balance or ''}
