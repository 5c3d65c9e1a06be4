-- auth_session_check.lua: who holds this session, and one more idle period
-- for it (the expiry slides with use).
--
-- KEYS[1] session hash        siaga:{R}:session:DIGEST
-- ARGV[1] idle expiry, ms
--
-- Returns {name, role} or nil when the session is unknown or has expired.
-- A disabled account has no sessions left (account.lua removes them).
local s = redis.call('HMGET', KEYS[1], 'user', 'role')
if not s[1] then
  return nil
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {s[1], s[2]}
