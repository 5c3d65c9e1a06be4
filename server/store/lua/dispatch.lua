--[[ dispatch.lua: one change of a unit, its assignment and their incident,
applied atomically (server/dispatch/write.c builds every call).

The caller read the three with dispatch_read.lua, computed their next state
in C and passes the three protobufs with the versions it read: the script
compares every version and writes all or nothing, so two dispatchers, the
crew's app, an SMS answer and the acknowledgement ladder of several siagad
never undo one another. It then appends one IncidentUpdate (kind
UNIT_CHANGED or ASSIGNMENT_CHANGED, carrying the unit, the assignment and the
incident) to the updates stream, which every console and the unit's
responder connection follow, and the same bytes to the audit trails of the
incident and of the unit.

KEYS:
  1  siaga:{r}:unit:<id>          hash: pb, version, status, assignment, incident
  2  siaga:{r}:assignment:<id>    hash: pb, version, state, unit, incident
  3  siaga:{r}:incident:<id>      hash: pb, version, status, updated_at, update
  4  siaga:{r}:updates            stream, field "u"
  5  siaga:{r}:audit:<incident>   the incident's audit trail (u, update)
  6  siaga:{r}:unitaudit:<unit>   the unit's audit trail (u, update)
  7  siaga:{r}:assign:due         zset: assignment id by when its next
                                  acknowledgement step is due
  8  siaga:{r}:sms:out            outbound SMS stream (to, text, kind,
                                  incident, report), read by siagad's smsout
  9  siaga:{r}:incident:<id>:sms  the numbers that reported the incident by SMS
  10 siaga:{r}:unitgeo            geo set of the units' last positions
  A key the call does not touch may be any key of the slot.

ARGV:
  1  op: "cas" (the change) or "position" (only the unit's position: its
     version is checked but not bumped, no audit entry)
  2  the unit's version as read; -1 = leave the unit alone
  3  Unit protobuf after the change (version ARGV[2] + 1; for "position"
     the same version)
  4  unit status (UnitStatus number)
  5  the unit's current assignment id after the change, "" for none
  6  the assignment's version as read; 0 = it must not exist yet;
     -1 = leave it alone
  7  Assignment protobuf after the change
  8  assignment state (AssignmentState number)
  9  the incident's version as read; -1 = leave it alone
  10 Incident protobuf after the change (version ARGV[9] + 1)
  11 incident status (IncidentStatus number)
  12 IncidentUpdate protobuf
  13 updates stream MAXLEN (approximate)
  14 the ladder: "" leave the due zset alone, "-" remove the assignment
     from it, else the time (ms) its next step is due
  15 assignment id (the due zset's member; the assignment hash's fields)
  16 updated_at ms
  17 text for the incident's SMS reporters when this change takes the
     incident to DISPATCHED (3) from another status (kind "dispatched",
     as transition.lua sends it), "" for none
  18 a number to text (the unit's phone: the ladder's SMS, or the
     confirmation of the crew's SMS answer), "" for none
  19 its text
  20 its kind in the outbound stream ("assignment" or "unit")
  21 unit id   22 incident id
  23 longitude  24 latitude (op "position": GEOADD to KEYS[10])
  25 op "position": the update goes to the stream only if the unit's last
     position update is at least this many ms old (hash field pos_update_at);
     the hash and the geo set always take the position
  26 the Unit.connected the caller's unit carries, "1" or "0" (as read): a
     conflict if presence.lua changed the hash's "connected" since, so a
     change read before a connect does not tell the consoles the old state

Results:
  {"ok", update_id, sms_queued}  (update_id "" for a position not told, ARGV[25])
  {"conflict", "unit"|"assignment"|"incident", current_version}
                  nothing written: re-read and retry
Wrong arguments raise an error before anything is written.
]]
local op = ARGV[1]
local unit_expected = tonumber(ARGV[2])
local unit_status = tonumber(ARGV[4])
local asg_expected = tonumber(ARGV[6])
local asg_state = tonumber(ARGV[8])
local inc_expected = tonumber(ARGV[9])
local inc_status = tonumber(ARGV[11])
local maxlen = tonumber(ARGV[13])
local due = ARGV[14]
local asg_id = ARGV[15]
local updated_at = tonumber(ARGV[16])
local dispatched_text = ARGV[17]
local sms_to = ARGV[18]
local unit_id = ARGV[21]
local incident_id = ARGV[22]
local lon = tonumber(ARGV[23])
local lat = tonumber(ARGV[24])

if (op ~= "cas" and op ~= "position") or unit_expected == nil or unit_status == nil
    or asg_expected == nil or asg_state == nil or inc_expected == nil or inc_status == nil
    or maxlen == nil or updated_at == nil or lon == nil or lat == nil then
  return redis.error_reply("ERR dispatch.lua: bad arguments")
end
if (due ~= "" and due ~= "-" and tonumber(due) == nil) or (due ~= "" and asg_id == "") then
  return redis.error_reply("ERR dispatch.lua: bad due time")
end
if op == "position" and (unit_expected < 1 or lon < -180 or lon > 180
    or lat < -85.05112878 or lat > 85.05112878) then
  return redis.error_reply("ERR dispatch.lua: bad position")
end

local function version_of(key)
  return tonumber(redis.call("HGET", key, "version") or "0") or 0
end
if unit_expected >= 0 then
  local v = version_of(KEYS[1])
  local connected = redis.call("HGET", KEYS[1], "connected") == "1"
  if v ~= unit_expected or connected ~= (ARGV[26] == "1") then
    return {"conflict", "unit", v}
  end
end
if asg_expected >= 0 then
  local v = version_of(KEYS[2])
  if v ~= asg_expected then
    return {"conflict", "assignment", v}
  end
end
local previous_status = 0
if inc_expected >= 0 then
  local v = version_of(KEYS[3])
  if v ~= inc_expected or v == 0 then
    return {"conflict", "incident", v}
  end
  previous_status = tonumber(redis.call("HGET", KEYS[3], "status") or "0") or 0
end

if op == "position" then
  redis.call("HSET", KEYS[1], "pb", ARGV[3])
  redis.call("GEOADD", KEYS[10], lon, lat, unit_id)
  local every = tonumber(ARGV[25] or "0") or 0
  local last = tonumber(redis.call("HGET", KEYS[1], "pos_update_at") or "0") or 0
  if every > 0 and updated_at - last < every then
    return {"ok", "", 0}
  end
  redis.call("HSET", KEYS[1], "pos_update_at", string.format("%.0f", updated_at))
  local id = redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*", "u", ARGV[12])
  return {"ok", id, 0}
end

local stamp = string.format("%.0f", updated_at)
if unit_expected >= 0 then
  redis.call("HSET", KEYS[1], "pb", ARGV[3], "version", unit_expected + 1,
    "status", unit_status, "assignment", ARGV[5],
    "incident", ARGV[5] ~= "" and incident_id or "")
end
if asg_expected >= 0 then
  redis.call("HSET", KEYS[2], "pb", ARGV[7], "version", asg_expected + 1, "state", asg_state,
    "unit", unit_id, "incident", incident_id)
end
local update_id = redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*", "u", ARGV[12])
if inc_expected >= 0 then
  redis.call("HSET", KEYS[3], "pb", ARGV[10], "version", inc_expected + 1,
    "status", inc_status, "updated_at", stamp, "update", update_id)
end
if incident_id ~= "" then
  redis.call("XADD", KEYS[5], "*", "u", ARGV[12], "update", update_id)
end
if unit_expected >= 0 then
  redis.call("XADD", KEYS[6], "*", "u", ARGV[12], "update", update_id)
end
if due == "-" then
  redis.call("ZREM", KEYS[7], asg_id)
elseif due ~= "" then
  redis.call("ZADD", KEYS[7], due, asg_id)
end

-- The outbound stream is not trimmed here (smsout trims what it sent).
local queued = 0
if sms_to ~= "" then
  redis.call("XADD", KEYS[8], "*", "to", sms_to, "text", ARGV[19], "kind", ARGV[20],
    "incident", incident_id, "report", "")
  queued = queued + 1
end
if dispatched_text ~= "" and inc_expected >= 0 and inc_status == 3 and previous_status ~= 3 then
  local numbers = redis.call("SMEMBERS", KEYS[9])
  table.sort(numbers)
  for _, to in ipairs(numbers) do
    redis.call("XADD", KEYS[8], "*", "to", to, "text", dispatched_text, "kind", "dispatched",
      "incident", incident_id, "report", "")
    queued = queued + 1
  end
end
return {"ok", update_id, queued}
