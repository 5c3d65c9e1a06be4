-- auth_session_close.lua: signs one session out.
--
-- KEYS[1] session hash        siaga:{R}:session:DIGEST
-- KEYS[2] sign-out epoch      siaga:{R}:auth:epoch
-- ARGV[1] account's sessions prefix  siaga:{R}:sessions:
--
-- Bumps the epoch so that every siagad checks its open WebSockets again.
-- Returns 1 if a session was closed, 0 if there was none.
local user = redis.call('HGET', KEYS[1], 'user')
if not user then
  return 0
end
-- The sessions set is named from the data, not KEYS: written first, so on a
-- Redis Cluster migrating the slot a set not here any more fails the call
-- before anything is written.
redis.call('SREM', ARGV[1] .. user, KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
return 1
