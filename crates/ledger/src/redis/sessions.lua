-- Aligns the console's session generations with the tokens in force (the
-- rule of `control::session_changes`): a caller seen for the first time
-- starts at 0, a changed fingerprint takes the next generation, and a
-- recorded caller absent from the tokens given is marked removed (the
-- next generation, an empty fingerprint) once.
--
-- KEYS: 1 fingerprints (hash: who -> keyed fingerprint, "" once removed),
--       2 generations (hash: who -> generation)
-- ARGV: who, fingerprint, who, fingerprint, ... (every caller in force)
-- Returns the number of callers whose generation was written.
local current = {}
local written = 0
for i = 1, #ARGV, 2 do
  local who, fingerprint = ARGV[i], ARGV[i + 1]
  current[who] = true
  local recorded = redis.call('HGET', KEYS[1], who)
  if not recorded then
    redis.call('HSET', KEYS[1], who, fingerprint)
    redis.call('HSET', KEYS[2], who, 0)
    written = written + 1
  elseif recorded ~= fingerprint then
    redis.call('HSET', KEYS[1], who, fingerprint)
    redis.call('HINCRBY', KEYS[2], who, 1)
    written = written + 1
  end
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local who, fingerprint = all[i], all[i + 1]
  if fingerprint ~= '' and not current[who] then
    redis.call('HSET', KEYS[1], who, '')
    redis.call('HINCRBY', KEYS[2], who, 1)
    written = written + 1
  end
end
return written
