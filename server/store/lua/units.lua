--[[ units.lua: every unit of the region, for the first page of a console's
snapshot and for siaga-admin unit list.

KEYS: 1 siaga:{r}:units (set of unit ids)
ARGV: 1 the unit key prefix, siaga:{r}:unit:
Result: the units' Unit protobufs, by id. The keys are the set's members
under the region's prefix (the same hash tag, so the same slot).

Unit.connected is not the stored protobuf's but the hash's field
"connected", what presence.lua last told the consoles: it is appended to
each protobuf as field 14 (a parser keeps a field's last value), so every
reader gets it without another call.
]]
local ids = redis.call("SMEMBERS", KEYS[1])
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local got = redis.call("HMGET", ARGV[1] .. id, "pb", "connected")
  if got[1] then
    out[#out + 1] = got[1] .. (got[2] == "1" and "\112\1" or "\112\0")
  end
end
return out
