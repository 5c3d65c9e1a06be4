--[[ unit_admin.lua: the unit changes siaga-admin makes, each atomic.

KEYS:
  1 siaga:{r}:unit:<id>            hash: pb (Unit), version, status, token
                                   (SHA-256 hex of its token), phone,
                                   disabled, assignment, incident
  2 siaga:{r}:units                set of unit ids
  3 siaga:{r}:unittoken:<new>      the unit id the new token's digest names
  4 siaga:{r}:unittoken:<old>      the digest the caller read (token, disable);
                                   any key of the slot for add
  5 siaga:{r}:unitphone:<e164>     the unit id of a crew phone
  6 siaga:{r}:unitaudit:<id>       stream: the unit's audit trail
  7 siaga:{r}:updates              stream, field "u" = IncidentUpdate
  8 siaga:{r}:auth:epoch           bumped so open WebSockets are checked again
ARGV:
  1 op: add | token | disable | enable
  2 unit id
  3 expected version (0 for add)
  4 Unit protobuf after the change (version = ARGV[3] + 1; unused by token)
  5 IncidentUpdate protobuf (UNIT_CHANGED) carrying it (unused by token)
  6 the new token's digest (add, token), "" otherwise
  7 the old digest the caller read (token, disable, enable), "" for none
  8 phone (add)
  9 updates stream MAXLEN (approximate)
  10 actor (for the audit entry)

disable ends the unit's token at once (its digest key is deleted), so a
disabled unit signs in nowhere; enable does not bring a token back: give it
a new one with op token. token replaces the digest: the old one ends at once.

Results: {"ok", version}, {"conflict", current_version}, {"exists", ""},
{"phone_taken", unit_id}, {"unknown", ""}, {"token_moved", ""} (the digest is
not what the caller read: re-read and retry).
]]
local op = ARGV[1]
local id = ARGV[2]
local expected = tonumber(ARGV[3])
local maxlen = tonumber(ARGV[9])
if expected == nil or maxlen == nil or id == "" then
  return redis.error_reply("ERR unit_admin.lua: bad arguments")
end
local current = tonumber(redis.call("HGET", KEYS[1], "version") or "0") or 0
if op == "add" then
  if current ~= 0 then
    return {"exists", ""}
  end
  local owner = redis.call("GET", KEYS[5])
  if owner and owner ~= id then
    return {"phone_taken", owner}
  end
elseif current == 0 then
  return {"unknown", ""}
elseif (redis.call("HGET", KEYS[1], "token") or "") ~= ARGV[7] then
  return {"token_moved", ""}
end

if op == "token" then
  if ARGV[7] ~= "" then
    redis.call("DEL", KEYS[4])
  end
  redis.call("SET", KEYS[3], id)
  redis.call("HSET", KEYS[1], "token", ARGV[6])
  redis.call("XADD", KEYS[6], "*", "event", "token", "by", ARGV[10])
  redis.call("INCR", KEYS[8])
  return {"ok", current}
end
if current ~= expected then
  return {"conflict", current}
end
local version = expected + 1
local update_id = redis.call("XADD", KEYS[7], "MAXLEN", "~", maxlen, "*", "u", ARGV[5])
if op == "add" then
  redis.call("HSET", KEYS[1], "pb", ARGV[4], "version", version, "status", 1, "token", ARGV[6],
    "phone", ARGV[8], "disabled", "0", "assignment", "", "incident", "")
  redis.call("SADD", KEYS[2], id)
  redis.call("SET", KEYS[3], id)
  redis.call("SET", KEYS[5], id)
elseif op == "disable" then
  redis.call("HSET", KEYS[1], "pb", ARGV[4], "version", version, "disabled", "1", "token", "")
  if ARGV[7] ~= "" then
    redis.call("DEL", KEYS[4])
  end
  redis.call("INCR", KEYS[8])
elseif op == "enable" then
  redis.call("HSET", KEYS[1], "pb", ARGV[4], "version", version, "disabled", "0")
else
  return redis.error_reply("ERR unit_admin.lua: bad operation")
end
redis.call("XADD", KEYS[6], "*", "u", ARGV[5], "update", update_id, "event", op, "by", ARGV[10])
return {"ok", version}
