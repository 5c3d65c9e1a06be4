--[[ prank.lua: marks or unmarks the reporter numbers of one incident as
prank numbers, atomically (MarkPrank console command).

The numbers are those that reported the incident by SMS (KEYS[2], the set
that also receives status messages) or by SMS or AML (KEYS[3]; AML-only
incidents, typically a voice call to 112, have their numbers only there).
siagad's SMS webhooks flag every later message from a number in KEYS[4] as
"prank_history"; the flag never refuses a report. The incident's note that
records who did it is written afterwards by the command, with
transition.lua.

All KEYS share the region's hash tag, siaga:{region}:..., so the script
touches one Redis Cluster slot.

KEYS:
  1  siaga:{r}:incident:<id>         incident hash; must exist
  2  siaga:{r}:incident:<id>:sms     set of SMS reporter numbers
  3  siaga:{r}:incident:<id>:phones  set of SMS and AML reporter numbers
  4  siaga:{r}:prank                 set of numbers with a prank history

ARGV:
  1  "1" to mark (SADD), "0" to unmark (SREM)

Results:
  {"ok", n}        n distinct numbers of the incident, now all in KEYS[4]
                   (mark) or none of them (unmark); 0 changes nothing
  {"not_found"}    no such incident; nothing written
  Wrong arguments raise an error before anything is written.
]]

local mark = ARGV[1]
if mark ~= "1" and mark ~= "0" then
  return redis.error_reply("ERR prank.lua: ARGV[1] must be 1 or 0")
end
if redis.call("EXISTS", KEYS[1]) == 0 then
  return {"not_found"}
end

local numbers = redis.call("SUNION", KEYS[2], KEYS[3])
local cmd = mark == "1" and "SADD" or "SREM"
-- In slices: unpack() of a very large table would overflow Lua's stack.
local slice = 500
for i = 1, #numbers, slice do
  redis.call(cmd, KEYS[4], unpack(numbers, i, math.min(i + slice - 1, #numbers)))
end
return {"ok", #numbers}
