--[[ merge.lua: a merge of two incidents, or its undoing, applied atomically.

A merge: the source's reports, notes and numbers move into the target (the
caller has built both incidents: the source CLOSED with merged_into, the
target with the source's reports, notes and numbers and a MergeRecord); the
source leaves the open and geo sets for the closed set; the numbers that
reported into the source now find the target (SMS replies, the phone map);
the numbers the target did not have are kept in KEYS[13] so that an unmerge
takes exactly those back out. An unmerge is the mirror image. Both check the
two versions the caller read, write both incidents, and append one update
for each to the updates stream and to each incident's audit trail.

KEYS (one region, one slot):
  1 incident:<source>      2 incident:<target>      3 open      4 geo
  5 updates                6 audit:<source>         7 audit:<target>
  8 closed                 9 incident:<source>:sms  10 incident:<target>:sms
  11 incident:<source>:phones   12 incident:<target>:phones
  13 incident:<target>:merged:<source>  set: the numbers the merge added
ARGV:
  1 "merge" or "unmerge"   2 source id   3 target id
  4 source version read    5 target version read (both checked)
  6 source Incident pb     7 target Incident pb    (each at its version + 1)
  8 source IncidentUpdate pb   9 target IncidentUpdate pb
  10..15 source status, priority, score, created_at_ms, lon, lat
  16..21 target status, priority, score, created_at_ms, lon, lat
  22 updates stream MAXLEN (~)   23 now, ms   24 phone map prefix siaga:{r}:phone:
Returns {"ok", source version, target version} or {"conflict", which}.
Every check comes before the first write (Lua errors do not roll back).
]]

local merge = ARGV[1] == "merge"
if not merge and ARGV[1] ~= "unmerge" then
  return redis.error_reply("ERR merge.lua: mode is merge or unmerge")
end
local source, target = ARGV[2], ARGV[3]
local now = tonumber(ARGV[23])
local maxlen = tonumber(ARGV[22])
if source == "" or target == "" or source == target or now == nil or maxlen == nil then
  return redis.error_reply("ERR merge.lua: bad arguments")
end
local function num(i)
  local v = tonumber(ARGV[i])
  if v == nil then
    error("merge.lua: argument " .. i .. " is not a number")
  end
  return v
end
local s = {key = KEYS[1], id = source, pb = ARGV[6], upd = ARGV[8], audit = KEYS[6],
  status = num(10), priority = num(11), score = num(12), created = num(13), lon = num(14),
  lat = num(15)}
local t = {key = KEYS[2], id = target, pb = ARGV[7], upd = ARGV[9], audit = KEYS[7],
  status = num(16), priority = num(17), score = num(18), created = num(19), lon = num(20),
  lat = num(21)}

if tonumber(redis.call("HGET", KEYS[1], "version") or "0") ~= num(4) then
  return {"conflict", source}
end
if tonumber(redis.call("HGET", KEYS[2], "version") or "0") ~= num(5) then
  return {"conflict", target}
end

local function write(inc, expected)
  local version = expected + 1
  local previous = tonumber(redis.call("HGET", inc.key, "status") or "0") or 0
  local is_open = inc.status ~= 4 and inc.status ~= 5
  local was_open = previous ~= 4 and previous ~= 5
  redis.call("HSET", inc.key, "pb", inc.pb, "version", version, "status", inc.status,
    "priority", inc.priority, "score", inc.score, "updated_at", string.format("%.0f", now))
  local has_point = not (inc.lon == 0 and inc.lat == 0) and inc.lon >= -180 and inc.lon <= 180
    and inc.lat >= -85.05112878 and inc.lat <= 85.05112878
  if is_open then
    redis.call("ZADD", KEYS[3], string.format("%.0f", inc.score * 1e13 + inc.created), inc.id)
    if has_point then
      redis.call("GEOADD", KEYS[4], inc.lon, inc.lat, inc.id)
    end
  else
    redis.call("ZREM", KEYS[3], inc.id)
    redis.call("ZREM", KEYS[4], inc.id)
  end
  if is_open and not was_open then
    redis.call("ZREM", KEYS[8], inc.id)
  elseif not is_open and was_open then
    redis.call("ZADD", KEYS[8], string.format("%.0f", now), inc.id)
  end
  local update_id = redis.call("XADD", KEYS[5], "MAXLEN", "~", maxlen, "*", "u", inc.upd)
  redis.call("HSET", inc.key, "update", update_id)
  redis.call("XADD", inc.audit, "*", "u", inc.upd, "update", update_id)
  return version
end

-- The numbers: who hears about the incident by SMS, and where a number's
-- next message goes (the phone map, only where it still names the one the
-- numbers leave).
local function repoint(numbers, from, to)
  for _, phone in ipairs(numbers) do
    local k = ARGV[24] .. phone
    if redis.call("GET", k) == from then
      redis.call("SET", k, to, "KEEPTTL")
    end
  end
end

-- The phone map keys come from the data, not KEYS: on a Redis Cluster
-- migrating the slot, one not here any more fails the command touching it.
-- Each is read before the first write, so the call fails whole (503,
-- retried), never halfway.
for _, phone in ipairs(redis.call("SMEMBERS", merge and KEYS[11] or KEYS[13])) do
  redis.call("EXISTS", ARGV[24] .. phone)
end

if merge then
  local added = redis.call("SDIFF", KEYS[11], KEYS[12])
  for _, phone in ipairs(added) do
    redis.call("SADD", KEYS[13], phone)
    redis.call("SADD", KEYS[12], phone)
  end
  for _, phone in ipairs(redis.call("SMEMBERS", KEYS[9])) do
    redis.call("SADD", KEYS[10], phone)
  end
  repoint(redis.call("SMEMBERS", KEYS[11]), source, target)
else
  local added = redis.call("SMEMBERS", KEYS[13])
  for _, phone in ipairs(added) do
    redis.call("SREM", KEYS[12], phone)
    redis.call("SREM", KEYS[10], phone)
  end
  redis.call("DEL", KEYS[13])
  -- A number that had reported into both stays with the target.
  repoint(added, target, source)
end

local sv = write(s, num(4))
local tv = write(t, num(5))
-- Where the source's reports went, for their followers (report_status.lua
-- reads the hash field, not the pb).
if merge then
  redis.call("HSET", KEYS[1], "merged_into", target)
else
  redis.call("HDEL", KEYS[1], "merged_into")
end
return {"ok", sv, tv}
