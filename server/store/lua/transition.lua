--[[ transition.lua: one state transition of one incident, applied atomically.

Every change to an incident (a report opening or joining it, a dispatcher's
status change or note) is one call of this script, so the incident hash, the
open queue, the geo set, the updates stream, the audit trail and, for reports,
the processed marker and the consumer group acknowledgement change together or
not at all. Loaded once with SCRIPT LOAD and called with EVALSHA.

All KEYS share the region's hash tag, siaga:{region}:..., so the script
touches one Redis Cluster slot.

KEYS:
  1  siaga:{r}:incident:<id>      hash: pb, version, status, priority, score,
                                  updated_at, update (id of its last entry in
                                  the updates stream)
  2  siaga:{r}:open               zset of open incident ids (ZREVRANGE = most
                                  urgent first: score, then newest)
  3  siaga:{r}:geo                geo set of open incident ids
  4  siaga:{r}:updates            stream, field "u" = IncidentUpdate protobuf
  5  siaga:{r}:audit:<id>         stream, fields "u" (same bytes) and "update"
                                  (the entry id in the updates stream)
  6  siaga:{r}:processed:<entry>  processed marker of the report stream entry
  7  siaga:{r}:report:<report id> report index hash, field "incident"
  8  siaga:{r}:reports            reports stream, for XACK
  9  siaga:{r}:sms:out            stream of SMS replies to citizens, fields
                                  to, text, kind (ack|dispatched|closed),
                                  incident, report; read by siagad's smsout
  10 siaga:{r}:incident:<id>:sms  set of the numbers that reported the
                                  incident by SMS: who hears about its status
  11 siaga:{r}:phone:<e164>       the incident a number last reported into by
                                  SMS or AML (string, TTL ARGV[23])
  12 siaga:{r}:incident:<id>:phones  set of the numbers that reported the
                                  incident by SMS or AML (for MarkPrank;
                                  nobody is messaged from it)
  Commands without a report (console SetStatus, AddNote) pass an empty
  ARGV[11]; KEYS 6-8 are then never touched and may be any key of the same
  slot (for example the reports stream three times).
  KEYS 9-10 and ARGV 17-19 are optional: a caller passing 8 keys and 16
  arguments queues no SMS (the script's shape before SMS replies).
  KEYS 11-12 and ARGV 22-24 are optional too, and go together: the worker
  passes them only for a report that came by SMS or AML with a number; a
  caller passing 10 keys (the console commands) leaves the phone map alone.

ARGV:
  1  expected version: the incident's current version as the caller read it;
     0 = the incident must not exist yet
  2  incident id (member of the open and geo sets, value of the report index)
  3  Incident protobuf, already carrying version = ARGV[1] + 1
  4  IncidentUpdate protobuf (id empty; readers take the stream entry id)
  5  status, IncidentStatus number; 4 (RESOLVED) and 5 (CLOSED) remove the
     incident from the open and geo sets, any other keeps it there
  6  priority, Priority number (stored for people reading the hash)
  7  score 0..100
  8  created_at_ms; with the score it orders the open set
  9  longitude  } both "0" (or out of range) = no coordinates:
  10 latitude   } the incident is kept out of the geo set
  11 report stream entry id, or "" for a command without a report
  12 consumer group to XACK the entry in (ignored when ARGV[11] is "")
  13 processed marker TTL, seconds (ignored when ARGV[11] is "")
  14 report id for the report index, or "" to leave the index alone
  15 updates stream MAXLEN, approximate (~)
  16 updated_at_ms (stored in the hash)
  17 the reporter's number to acknowledge, or "": the caller passes it only
     for a report that came by SMS (channel CHANNEL_SMS) with a number.
     Without a report (ARGV[11] ""), a dispatcher's reply: one number of
     KEYS[10] (else {"unknown_phone", number}, nothing written) or "*" for
     every one (else {"no_phones", ""}), sent with kind "reply"
  18 acknowledgement or reply text (ignored when ARGV[17] is "")
  19 status message text, or "": sent to every number in KEYS[10] when this
     transition takes the incident to DISPATCHED (3) from another status, or
     to RESOLVED (4) / CLOSED (5) from an open status (RESOLVED then CLOSED
     is one closing, one message)
  20 the report's tracking token, or "" (stored in the report index)
  21 report index TTL, seconds (the index holds incident, token and the
     report stream entry id; it is written only with a report)
  22 the reporter's number, E.164 (with KEYS 11-12; needs a report, ARGV[11])
  23 phone map TTL, seconds: every message of the number refreshes it
  24 the value of KEYS[11] the caller read when it chose the incident, ""
     for none. The map is compare-and-set: if it changed meanwhile (another
     worker just wrote the same caller's other message into an incident),
     nothing is written and the caller decides again, so one caller's AML
     and text handled at the same moment do not open two incidents.
  25 radius in metres of the opening check, or "0"/absent for none
  26 how many of the nearest open incidents the check looks at (COUNT)
  27.. the open incidents the caller saw there when it chose to open one
     An opening (ARGV[1] = 0) with a point and a radius first looks at the
     geo set as the caller did (GEOSEARCH ... ASC COUNT ARGV[26]): an
     incident there that is not in ARGV[27..] (another worker opened or
     moved it meanwhile) may be the same emergency, so nothing is written
     and the caller decides again. Two workers seeing the first reports of
     one fire at the same moment thus open one incident, not two. ARGV 22-24
     are then passed ("" when the report is not linked by its number).

SMS texts are composed by the caller (sg_sms_replies_text in
server/sms/replies.c), which knows the incident id and the language; the
script decides whether and to whom they go, because only it sees the
previous status and the reporters' set at the moment of the write. The
messages are appended in this same call, so a transition and its messages
exist together or not at all, and a replayed report (the processed marker)
sends nothing twice.

Results (an array whose first element says which):
  {"ok", new_version, updates_entry_id, sms_queued}
                                          the transition was applied;
                                          sms_queued counts the entries
                                          appended to KEYS[9]
  {"conflict", current_version}           the incident's version is not
                                          ARGV[1] (0 = it does not exist);
                                          nothing written: re-read and retry
  {"phone_moved", current_value}          KEYS[11] no longer holds ARGV[24]
                                          ("" = absent); nothing written:
                                          re-read and retry
  {"nearby", incident_id}                 the opening check found an open
                                          incident the caller did not see;
                                          nothing written: re-read and retry
  {"processed", incident_id}              ARGV[11] was already processed
                                          (a replay); nothing written except
                                          the XACK, which is idempotent
  Wrong arguments raise an error before anything is written.

Lua errors do not roll back earlier writes, so every check and conversion
happens before the first write, and the writes are commands that cannot fail
on keys of the right types.
]]

local expected = tonumber(ARGV[1])
local incident_id = ARGV[2]
local status = tonumber(ARGV[5])
local priority = tonumber(ARGV[6])
local score = tonumber(ARGV[7])
local created_at = tonumber(ARGV[8])
local lon = tonumber(ARGV[9])
local lat = tonumber(ARGV[10])
local entry_id = ARGV[11]
local group = ARGV[12]
local marker_ttl = tonumber(ARGV[13])
local report_id = ARGV[14]
local updates_maxlen = tonumber(ARGV[15])
local updated_at = tonumber(ARGV[16])
local sms_enabled = #KEYS >= 10
local ack_to = ARGV[17] or ""
local ack_text = ARGV[18] or ""
local status_text = ARGV[19] or ""
local token = ARGV[20] or ""
local index_ttl = tonumber(ARGV[21] or "0")
local phone_enabled = #KEYS >= 12
local phone = ARGV[22] or ""
local phone_ttl = tonumber(ARGV[23] or "0")
local phone_seen = ARGV[24] or ""
local near_radius = tonumber(ARGV[25] or "0")
local near_count = tonumber(ARGV[26] or "0")

if expected == nil or expected < 0 or incident_id == "" or status == nil or priority == nil
    or score == nil or created_at == nil or lon == nil or lat == nil or updates_maxlen == nil
    or updated_at == nil then
  return redis.error_reply("ERR transition.lua: bad arguments")
end
if entry_id ~= "" and (marker_ttl == nil or marker_ttl <= 0 or group == "") then
  return redis.error_reply("ERR transition.lua: report entry without group or marker TTL")
end
if not sms_enabled and (ack_to ~= "" or status_text ~= "") then
  return redis.error_reply("ERR transition.lua: SMS arguments without the SMS keys")
end
if ack_to ~= "" and ack_text == "" then
  return redis.error_reply("ERR transition.lua: a text to send without its text")
end
-- A text without a report is a dispatcher's reply (replySms): to one number
-- that reported into the incident, or "*" for all of them.
local is_reply = ack_to ~= "" and entry_id == ""
if phone_enabled and (phone == "" or entry_id == "" or phone_ttl == nil or phone_ttl <= 0
    or ARGV[24] == nil) then
  return redis.error_reply("ERR transition.lua: phone map without a number, report or TTL")
end
if near_radius == nil or near_radius < 0 or near_count == nil
    or (near_radius > 0 and near_count < 1) then
  return redis.error_reply("ERR transition.lua: bad opening check")
end

-- A replayed report (redelivered after a worker died between the script and
-- its reply, or claimed from a slow worker) must have no second effect.
if entry_id ~= "" then
  local done = redis.call("GET", KEYS[6])
  if done then
    redis.call("XACK", KEYS[8], group, entry_id)
    return {"processed", done}
  end
end

local current = tonumber(redis.call("HGET", KEYS[1], "version") or "0") or 0
if current ~= expected then
  return {"conflict", current}
end
if is_reply then
  if ack_to == "*" and redis.call("SCARD", KEYS[10]) == 0 then
    return {"no_phones", ""}
  elseif ack_to ~= "*" and redis.call("SISMEMBER", KEYS[10], ack_to) == 0 then
    return {"unknown_phone", ack_to}
  end
end
if phone_enabled then
  local mapped = redis.call("GET", KEYS[11]) or ""
  if mapped ~= phone_seen then
    return {"phone_moved", mapped}
  end
end
-- GEOADD refuses what Web Mercator cannot hold; such a point is treated as
-- "no coordinates" rather than failing halfway through the writes.
local has_point = not (lon == 0 and lat == 0) and lon >= -180 and lon <= 180
    and lat >= -85.05112878 and lat <= 85.05112878
if expected == 0 and has_point and near_radius > 0 then
  local known = {}
  for i = 27, #ARGV do
    known[ARGV[i]] = true
  end
  local near = redis.call("GEOSEARCH", KEYS[3], "FROMLONLAT", lon, lat, "BYRADIUS",
    near_radius, "m", "ASC", "COUNT", near_count)
  for _, id in ipairs(near) do
    if not known[id] then
      return {"nearby", id}
    end
  end
end
local version = expected + 1
local previous = tonumber(redis.call("HGET", KEYS[1], "status") or "0") or 0
local is_open = status ~= 4 and status ~= 5
-- The incidents closed in the last day, for the console (closed.lua). Its
-- name is the open set's with "closed" for "open": same hash tag, same slot.
local k_closed = string.gsub(KEYS[2], "open$", "closed")
local was_open = previous ~= 4 and previous ~= 5
-- Not in KEYS: on a Redis Cluster migrating the slot, a key not here any
-- more fails the command that touches it. Touched first by a read, so such
-- a call fails before its first write (503, retried), never halfway.
if is_open ~= was_open then
  redis.call("EXISTS", k_closed)
end

redis.call("HSET", KEYS[1], "pb", ARGV[3], "version", version, "status", status,
  "priority", priority, "score", score, "updated_at", string.format("%.0f", updated_at))

if is_open then
  -- score * 1e13 + created_at_ms stays below 2^53, so the double is exact:
  -- the higher score first, then the newer incident.
  redis.call("ZADD", KEYS[2], string.format("%.0f", score * 1e13 + created_at), incident_id)
  if has_point then
    redis.call("GEOADD", KEYS[3], lon, lat, incident_id)
  else
    redis.call("ZREM", KEYS[3], incident_id)
  end
else
  redis.call("ZREM", KEYS[2], incident_id)
  redis.call("ZREM", KEYS[3], incident_id)
end
-- Only a change across open/closed touches the zset: a report joining an
-- open incident (the hot path) writes nothing here.
if is_open and not was_open then
  redis.call("ZREM", k_closed, incident_id)
elseif not is_open and was_open then
  redis.call("ZADD", k_closed, string.format("%.0f", updated_at), incident_id)
  redis.call("ZREMRANGEBYSCORE", k_closed, "-inf", string.format("(%.0f", updated_at - 86400000))
end

local update_id = redis.call("XADD", KEYS[4], "MAXLEN", "~", updates_maxlen, "*", "u", ARGV[4])
-- The last update's id, so a paged snapshot (snapshot.lua) can tell an
-- incident that changed while its pages were read.
redis.call("HSET", KEYS[1], "update", update_id)
-- The audit trail is not trimmed: it is the record of who changed what.
redis.call("XADD", KEYS[5], "*", "u", ARGV[4], "update", update_id)

if entry_id ~= "" then
  redis.call("SET", KEYS[6], incident_id, "EX", marker_ttl)
  if report_id ~= "" then
    redis.call("HSET", KEYS[7], "incident", incident_id, "stream_id", entry_id)
    if token ~= "" then
      redis.call("HSET", KEYS[7], "token", token)
    end
    if index_ttl and index_ttl > 0 then
      redis.call("EXPIRE", KEYS[7], index_ttl)
    end
  end
  redis.call("XACK", KEYS[8], group, entry_id)
end

-- The caller's next SMS or AML finds this incident through the map, for as
-- long as the number keeps reporting.
if phone_enabled then
  redis.call("SET", KEYS[11], incident_id, "EX", phone_ttl)
  redis.call("SADD", KEYS[12], phone)
end

-- Replies to citizens. The outbound stream is not trimmed here: an entry
-- still waiting for the gateway must not be cut off; smsout trims what it
-- has acknowledged.
local queued = 0
if is_reply then
  local numbers = {ack_to}
  if ack_to == "*" then
    numbers = redis.call("SMEMBERS", KEYS[10])
    table.sort(numbers)
  end
  for _, to in ipairs(numbers) do
    redis.call("XADD", KEYS[9], "*", "to", to, "text", ack_text, "kind", "reply",
      "incident", incident_id, "report", "")
    queued = queued + 1
  end
elseif ack_to ~= "" then
  redis.call("SADD", KEYS[10], ack_to)
  redis.call("XADD", KEYS[9], "*", "to", ack_to, "text", ack_text, "kind", "ack",
    "incident", incident_id, "report", report_id)
  queued = queued + 1
end
if status_text ~= "" then
  local kind = nil
  if status == 3 and previous ~= 3 then
    kind = "dispatched"
  elseif not is_open and (previous ~= 4 and previous ~= 5) then
    kind = "closed"
  end
  if kind then
    -- Sorted, so the messages of one change go out in a stable order.
    local numbers = redis.call("SMEMBERS", KEYS[10])
    table.sort(numbers)
    for _, to in ipairs(numbers) do
      redis.call("XADD", KEYS[9], "*", "to", to, "text", status_text, "kind", kind,
        "incident", incident_id, "report", "")
      queued = queued + 1
    end
  end
end

return {"ok", version, update_id, queued}
