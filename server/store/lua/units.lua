--[[ units.lua: every unit of the region, for the first page of a console's
snapshot and for siaga-admin unit list.

KEYS: 1 siaga:{r}:units (set of unit ids)
ARGV: 1 the unit key prefix, siaga:{r}:unit:
Result: the units' Unit protobufs, by id. The keys are the set's members
under the region's prefix (the same hash tag, so the same slot).
]]
local ids = redis.call("SMEMBERS", KEYS[1])
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local pb = redis.call("HGET", ARGV[1] .. id, "pb")
  if pb then
    out[#out + 1] = pb
  end
end
return out
