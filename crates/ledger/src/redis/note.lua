-- Counts more messages of pending senders. Mirrors sqlite/queue.rs
-- `note_messages`. An item that expired is not recreated (HINCRBY on a
-- missing key would make one without a TTL).
-- KEYS: items   ARGV: one count per item, in the same order
-- Returns how many items were counted.
local counted = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'messages', ARGV[i])
    counted = counted + 1
  end
end
return counted
