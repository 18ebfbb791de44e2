-- Defers a new sender (queue item + arrival index + hourly marks), or
-- counts one more message of a sender already pending. Mirrors
-- sqlite/queue.rs `defer`. Reads come before the first write.
--
-- KEYS: 1 item (hash), 2 arrival index of the number (sorted set, score =
--       first message micros), 3 marks of the arrival hour (hash)
-- ARGV: 1 sender hex (index member), 2 tenant, 3 first message id,
--       4 sealed sender (bytes), 5 first micros, 6 slot, 7 fingerprint hex|'',
--       8 block hex, 9 judge-by micros, 10 item TTL ms, 11 queue limit,
--       12 index/marks TTL ms, 13 events channel, 14 event payload
-- Returns 0 new | 1 pending (counted) | 2 full. A new judgement is
-- published, so every replica knows the number's queue needs a judge.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'messages', 1)
  return 1
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[11]) then
  -- Drop index entries whose item expired before counting again.
  local members = redis.call('ZRANGE', KEYS[2], 0, -1)
  local prefix = string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[1])
  for _, member in ipairs(members) do
    if redis.call('EXISTS', prefix .. member) == 0 then
      redis.call('ZREM', KEYS[2], member)
    end
  end
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[11]) then
    return 2
  end
end
redis.call('HSET', KEYS[1], 'tenant', ARGV[2], 'mid', ARGV[3], 'sealed', ARGV[4], 'first', ARGV[5],
  'slot', ARGV[6], 'messages', 1, 'fp', ARGV[7], 'blk', ARGV[8], 'state', 'pending', 'judge_by', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[10])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[12])
redis.call('HINCRBY', KEYS[3], 'b:' .. ARGV[8], 1)
if ARGV[7] ~= '' then
  redis.call('HINCRBY', KEYS[3], 'f:' .. ARGV[7], 1)
end
redis.call('PEXPIRE', KEYS[3], ARGV[12])
redis.call('PUBLISH', ARGV[13], ARGV[14])
return 0
