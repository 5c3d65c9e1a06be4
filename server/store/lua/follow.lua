-- follow.lua: where the updates stream stands, for a follower that must
-- notice when it fell so far behind that entries it never read were trimmed
-- (XREAD would skip them without a word).
--
-- KEYS[1] updates stream          siaga:{R}:updates
--
-- Returns {last id ("0-0" if none), entries ever added, entries retained}.
-- A follower that has read R of the entries ever added lost some to trimming
-- when added - R > retained.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'0-0', 0, 0}
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local f = {}
for i = 1, #info, 2 do
  f[info[i]] = info[i + 1]
end
return {f['last-generated-id'], f['entries-added'], f['length']}
