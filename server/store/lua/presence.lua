--[[ presence.lua: whether a unit's app holds a responder WebSocket
(Unit.connected), kept so that a killed siagad cannot leave a unit
"connected" for ever (server/dispatch/presence.c builds every call).

Each open socket is a holder, a member of the unit's zset scored by when it
expires; the siagad holding the socket refreshes it (ttl/3) and removes it
on close. A unit is connected while one holder has not expired. What the
consoles were last told is the unit hash's field "connected", the one
every reader takes (dispatch_read.lua, units.lua) and dispatch.lua checks
against the change it writes, so a change read before a connect cannot
undo it. The region's index zset names each connected unit, scored by its
last holder's expiry: a siagad's sweep finds there the units whose holders
all expired (their siagad died) and tells the consoles. A change of the
state appends the caller's IncidentUpdate (UNIT_CONNECTED, the unit with
`connected` as it now is); the unit's version is checked, not bumped, as
for a position.

KEYS:
  1  siaga:{r}:unit:<id>        the unit's hash (version; connected: "1" or "0")
  2  siaga:{r}:unitconn:<id>    zset: holder by expiry ms
  3  siaga:{r}:unitconns        zset: connected unit id by its last holder's
                                expiry
  4  siaga:{r}:updates          stream, field "u"
ARGV:
  1  op: "open" or "refresh" (the holder is there until now + ttl),
     "close" (the holder is gone), "sweep" (only drop expired holders)
  2  holder   3 now ms   4 ttl ms   5 the unit's version as read (0: none)
  6  IncidentUpdate protobuf for "now connected"
  7  IncidentUpdate protobuf for "now not connected"
  8  updates stream MAXLEN (approximate)   9 unit id
Results:
  {"ok", update_id}     update_id "" when the consoles' view did not change
  {"conflict", version} nothing written: re-read and retry
]]
local op, holder = ARGV[1], ARGV[2]
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local expected, maxlen, unit_id = tonumber(ARGV[5]), tonumber(ARGV[8]), ARGV[9]
if (op ~= "open" and op ~= "refresh" and op ~= "close" and op ~= "sweep") or now == nil
    or ttl == nil or ttl < 1 or expected == nil or maxlen == nil or unit_id == "" then
  return redis.error_reply("ERR presence.lua: bad arguments")
end

local version = tonumber(redis.call("HGET", KEYS[1], "version") or "0") or 0
if version ~= expected then
  return {"conflict", version}
end
if version == 0 then
  -- The unit is gone: nothing to tell, nothing to keep.
  redis.call("DEL", KEYS[2])
  redis.call("ZREM", KEYS[3], unit_id)
  return {"ok", ""}
end

redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now)
if op == "open" or op == "refresh" then
  redis.call("ZADD", KEYS[2], now + ttl, holder)
elseif op == "close" then
  redis.call("ZREM", KEYS[2], holder)
end
local told = redis.call("HGET", KEYS[1], "connected") == "1"
local last = redis.call("ZRANGE", KEYS[2], -1, -1, "WITHSCORES")
local connected = last[1] ~= nil
if connected then
  local until_ms = string.format("%.0f", tonumber(last[2]))
  redis.call("ZADD", KEYS[3], until_ms, unit_id)
  redis.call("PEXPIREAT", KEYS[2], until_ms)
else
  redis.call("DEL", KEYS[2])
  redis.call("ZREM", KEYS[3], unit_id)
end
if connected == told then
  return {"ok", ""}
end
redis.call("HSET", KEYS[1], "connected", connected and "1" or "0")
local id = redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*", "u",
  connected and ARGV[6] or ARGV[7])
return {"ok", id}
