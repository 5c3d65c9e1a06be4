-- auth_fail.lua: counts one failed sign-in of a name (known or not), in a
-- window that starts with the first failure.
--
-- KEYS[1] failure counter     siaga:{R}:loginfail:NAME
-- ARGV[1] window, ms
--
-- Returns {failures now, ms until the window ends}.
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {n, redis.call('PTTL', KEYS[1])}
