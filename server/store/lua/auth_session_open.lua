-- auth_session_open.lua: opens a session once the password was verified.
-- The account is read again: it may have been disabled, or its password
-- changed, while the hash was being checked (outside Redis, for seconds).
--
-- KEYS[1] session hash        siaga:{R}:session:DIGEST (SHA-256 of the token)
-- KEYS[2] account's sessions  siaga:{R}:sessions:NAME (set of digests)
-- KEYS[3] account hash        siaga:{R}:user:NAME
-- KEYS[4] failure counter     siaga:{R}:loginfail:NAME
-- ARGV[1] name   ARGV[2] idle expiry, ms   ARGV[3] now, ms
-- ARGV[4] the password hash that was verified
--
-- Returns the role, or an error "gone" when the account cannot sign in.
local a = redis.call('HMGET', KEYS[3], 'pwhash', 'role', 'disabled')
if not a[1] or a[1] ~= ARGV[4] or a[3] == '1' then
  return redis.error_reply('gone')
end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'role', a[2], 'created_ms', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('DEL', KEYS[4])
return a[2]
