-- snapshot.lua: the open incidents and the id of the last update they
-- include, read atomically so that a console given this snapshot and then
-- every update after that id misses nothing and sees nothing twice.
--
-- KEYS[1] open incidents zset     siaga:{R}:open
-- KEYS[2] updates stream          siaga:{R}:updates
-- ARGV[1] incident hash prefix    siaga:{R}:incident:
-- ARGV[2] most incidents to return
--
-- Returns {last update id ("0-0" if none), packed Incident...}, highest
-- score first. Incident hashes share the region's hash tag with KEYS, so the
-- script stays on one Redis Cluster slot.

local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local out = {'0-0'}
if last[1] then
  out[1] = last[1][1]
end
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
for _, id in ipairs(ids) do
  local pb = redis.call('HGET', ARGV[1] .. id, 'pb')
  if pb then
    out[#out + 1] = pb
  end
end
return out
