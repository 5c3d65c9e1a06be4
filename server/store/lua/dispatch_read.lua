--[[ dispatch_read.lua: a unit, an assignment and an incident as they are at
one moment, with their versions, for a dispatch change to be computed on
(dispatch.lua then checks those versions), and the updates stream's last
entry id, from which the reader's update stream resumes.

KEYS: 1 siaga:{r}:unit:<id>  2 siaga:{r}:assignment:<id>
      3 siaga:{r}:incident:<id>  4 siaga:{r}:updates
      (a key not read may be any key of the slot)
ARGV: 1 2 3  "1" to read KEYS[1], [2], [3], "0" not to
Result: {unit_pb, unit_version, assignment_pb, assignment_version,
         incident_pb, incident_version, last_update_id}: "" and 0 for what
         was not read or does not exist; last_update_id "0-0" when the
         stream is empty. The unit's protobuf ends with field 14
         (Unit.connected) as presence.lua last told the consoles (the hash's
         field "connected"), as units.lua gives it.
]]
local out = {}
for i = 1, 3 do
  local pb, version = "", 0
  if ARGV[i] == "1" then
    local got = redis.call("HMGET", KEYS[i], "pb", "version", "connected")
    if got[1] then
      pb = got[1]
      if i == 1 then
        pb = pb .. (got[3] == "1" and "\112\1" or "\112\0")
      end
      version = tonumber(got[2] or "0") or 0
    end
  end
  out[#out + 1] = pb
  out[#out + 1] = version
end
local last = redis.call("XREVRANGE", KEYS[4], "+", "-", "COUNT", 1)
out[#out + 1] = (last[1] and last[1][1]) or "0-0"
return out
