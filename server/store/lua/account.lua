-- account.lua: the account changes siaga-admin makes, each atomic.
--
-- KEYS[1] account hash        siaga:{R}:user:NAME
-- KEYS[2] account's sessions  siaga:{R}:sessions:NAME
-- KEYS[3] accounts set        siaga:{R}:users
-- KEYS[4] sign-out epoch      siaga:{R}:auth:epoch
-- ARGV[1] operation: add | passwd | disable | enable
-- ARGV[2] name   ARGV[3] role (add)   ARGV[4] password hash (add, passwd)
-- ARGV[5] now, ms
--
-- passwd and disable end every session of the account at once, and bump the
-- epoch so that open WebSockets are closed too. Errors: "exists" (add),
-- "unknown" (other operations).
local op = ARGV[1]
-- The session keys come from the data, not KEYS: on a Redis Cluster
-- migrating the slot, one not here any more fails the command touching it.
-- Read each before the first write (end_sessions comes before the account's
-- own change), so the call fails whole, never halfway.
local function end_sessions()
  local ids = redis.call('SMEMBERS', KEYS[2])
  for _, k in ipairs(ids) do
    redis.call('EXISTS', k)
  end
  for _, k in ipairs(ids) do
    redis.call('DEL', k)
  end
  redis.call('DEL', KEYS[2])
  redis.call('INCR', KEYS[4])
  return #ids
end
if op == 'add' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.error_reply('exists')
  end
  redis.call('HSET', KEYS[1], 'name', ARGV[2], 'role', ARGV[3], 'pwhash', ARGV[4],
             'disabled', '0', 'created_ms', ARGV[5])
  redis.call('SADD', KEYS[3], ARGV[2])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('unknown')
end
if op == 'passwd' then
  local n = end_sessions()
  redis.call('HSET', KEYS[1], 'pwhash', ARGV[4])
  return n
elseif op == 'disable' then
  local n = end_sessions()
  redis.call('HSET', KEYS[1], 'disabled', '1')
  return n
elseif op == 'enable' then
  redis.call('HSET', KEYS[1], 'disabled', '0')
  return 0
end
return redis.error_reply('bad operation')
