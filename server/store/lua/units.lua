--[[ units.lua: every unit of the region, for the first page of a console's
snapshot and for siaga-admin unit list.

KEYS: 1 siaga:{r}:units (set of unit ids)
ARGV: 1 the unit key prefix, siaga:{r}:unit:
Result: the units' Unit protobufs, by id. The keys are the set's members
under the region's prefix (the same hash tag, so the same slot).

Unit.connected is not what the hash holds but whether a holder of the
unit's siaga:{r}:unitconn:<id> (presence.lua) has not expired: it is
appended to each protobuf as field 14 (a parser keeps the last value of a
field), so every reader gets it without another call.
]]
local t = redis.call("TIME")
local now = string.format("%.0f", tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local conn_prefix = string.sub(ARGV[1], 1, -2) .. "conn:" -- siaga:{r}:unitconn:
local ids = redis.call("SMEMBERS", KEYS[1])
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local pb = redis.call("HGET", ARGV[1] .. id, "pb")
  if pb then
    local live = redis.call("ZCOUNT", conn_prefix .. id, "(" .. now, "+inf") > 0
    out[#out + 1] = pb .. (live and "\112\1" or "\112\0")
  end
end
return out
