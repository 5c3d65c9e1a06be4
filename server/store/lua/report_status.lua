-- report_status.lua: what a citizen following a report may be told, read in
-- one step: the report's tracking token and the incident it was filed into,
-- followed through merges to the incident that survives.
--
-- KEYS[1] report index            siaga:{R}:report:<report id>
-- ARGV[1] incident key prefix     siaga:{R}:incident:
--
-- Returns {token, incident id, packed Incident}: "" for what does not exist.
-- The token is compared by the caller (in constant time, not here: Lua's
-- string comparison stops at the first difference).
--
-- A merge (when dispatchers merge incidents) leaves the field merged_into =
-- <surviving id> on the hash of the incident that was merged away: a report
-- filed into it is followed to the survivor, at most 8 hops.
--
-- The same work whatever exists: an unknown report still reads one
-- incident hash (one that never exists), so a wrong token and an unknown
-- report cost Redis the same and answer in the same time.

local r = redis.call("HMGET", KEYS[1], "token", "incident")
local token = r[1] or ""
local id = r[2] or ""
local pb = ""
for _ = 1, 9 do
  local h = redis.call("HMGET", ARGV[1] .. id, "pb", "merged_into")
  pb = h[1] or ""
  local next_id = h[2]
  if not next_id or next_id == "" or next_id == id then
    break
  end
  id = next_id
end
if pb == "" then
  id = ""
end
return {token, id, pb}
