-- auth_login.lua: what a sign-in needs before the password is checked, read
-- in one round trip: the account and how many recent failures it has.
--
-- KEYS[1] account hash        siaga:{R}:user:NAME
-- KEYS[2] failure counter     siaga:{R}:loginfail:NAME
--
-- Returns {failures, failures' ms to live (-2 none), password hash or "",
-- role or "", disabled "1"/"0"}. An unknown account answers "" for the hash:
-- the caller still checks the password against a dummy, so an unknown name
-- and a wrong password take the same time.
local fails = tonumber(redis.call('GET', KEYS[2]) or '0')
local ttl = redis.call('PTTL', KEYS[2])
local a = redis.call('HMGET', KEYS[1], 'pwhash', 'role', 'disabled')
return {fails, ttl, a[1] or '', a[2] or '', a[3] or '0'}
