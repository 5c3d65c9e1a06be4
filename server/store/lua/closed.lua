-- closed.lua: the incidents closed (RESOLVED or CLOSED) since a time, the
-- most recent first, for the console's "closed in the last 24 hours".
--
-- KEYS[1] closed incidents zset   siaga:{R}:closed (score: when they closed, ms)
-- ARGV[1] incident hash prefix    siaga:{R}:incident:
-- ARGV[2] since, ms
-- ARGV[3] most incidents to return
--
-- Returns {"", "", packed Incident...}: the shape of snapshot.lua's pages
-- (no position, no next cursor), so one decoder reads both. transition.lua
-- keeps the zset and trims what closed more than a day before.
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {'', ''}
for _, id in ipairs(ids) do
  local pb = redis.call('HGET', ARGV[1] .. id, 'pb')
  if pb then
    out[#out + 1] = pb
  end
end
return out
