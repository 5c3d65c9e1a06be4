--[[ split.lua: one report taken out of an incident into a new one, atomically
(a second emergency that joined by distance or by number).

The caller built both incidents: the source without the report (its id out
of report_ids, report_count - 1, a note), the new one opened by the report
alone. The report index then names the new incident (the citizen following
the report follows it there); the report's number, if it came by SMS or AML,
hears about the new incident too. The phone map is left alone: the caller's
next message still joins the incident it last reported into.

KEYS (one region, one slot):
  1 incident:<source>   2 incident:<new>   3 open   4 geo   5 updates
  6 audit:<source>      7 audit:<new>      8 report:<report id>
  9 incident:<source>:sms   10 incident:<new>:sms
  11 incident:<source>:phones   12 incident:<new>:phones
ARGV:
  1 source version read   2 source id   3 new id   4 report id
  5 source Incident pb    6 new Incident pb
  7 source IncidentUpdate pb   8 new IncidentUpdate pb
  9..14 source status, priority, score, created_at_ms, lon, lat
  15..20 new status, priority, score, created_at_ms, lon, lat
  21 updates MAXLEN (~)   22 now, ms   23 the report's number, or ""
  24 the incident merged into the source that the report came with, or "":
     a merge leaves the report index naming the incident it was sent to
Returns {"ok", source version} or {"conflict", current}, {"exists", new id},
{"not_in_incident", incident the index names}.
]]

local function num(i)
  local v = tonumber(ARGV[i])
  if v == nil then
    error("split.lua: argument " .. i .. " is not a number")
  end
  return v
end
local expected, source, new, report = num(1), ARGV[2], ARGV[3], ARGV[4]
local now, maxlen = num(22), num(21)
local phone = ARGV[23] or ""
local s = {key = KEYS[1], id = source, pb = ARGV[5], upd = ARGV[7], audit = KEYS[6],
  status = num(9), priority = num(10), score = num(11), created = num(12), lon = num(13), lat = num(14)}
local n = {key = KEYS[2], id = new, pb = ARGV[6], upd = ARGV[8], audit = KEYS[7],
  status = num(15), priority = num(16), score = num(17), created = num(18), lon = num(19), lat = num(20)}

local current = tonumber(redis.call("HGET", KEYS[1], "version") or "0") or 0
if current ~= expected then
  return {"conflict", current}
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  return {"exists", new}
end
local indexed = redis.call("HGET", KEYS[8], "incident")
local via = ARGV[24] or ""
if indexed ~= source and (via == "" or indexed ~= via) then
  return {"not_in_incident", indexed or ""}
end

local function write(inc, version)
  local is_open = inc.status ~= 4 and inc.status ~= 5
  redis.call("HSET", inc.key, "pb", inc.pb, "version", version, "status", inc.status,
    "priority", inc.priority, "score", inc.score, "updated_at", string.format("%.0f", now))
  local has_point = not (inc.lon == 0 and inc.lat == 0) and inc.lon >= -180 and inc.lon <= 180
    and inc.lat >= -85.05112878 and inc.lat <= 85.05112878
  if is_open then
    redis.call("ZADD", KEYS[3], string.format("%.0f", inc.score * 1e13 + inc.created), inc.id)
    if has_point then
      redis.call("GEOADD", KEYS[4], inc.lon, inc.lat, inc.id)
    end
  end
  local update_id = redis.call("XADD", KEYS[5], "MAXLEN", "~", maxlen, "*", "u", inc.upd)
  redis.call("HSET", inc.key, "update", update_id)
  redis.call("XADD", inc.audit, "*", "u", inc.upd, "update", update_id)
end

write(s, expected + 1)
write(n, 1)
redis.call("HSET", KEYS[8], "incident", new)
if phone ~= "" then
  if redis.call("SISMEMBER", KEYS[9], phone) == 1 then
    redis.call("SADD", KEYS[10], phone)
  end
  if redis.call("SISMEMBER", KEYS[11], phone) == 1 then
    redis.call("SADD", KEYS[12], phone)
  end
end
return {"ok", expected + 1}
