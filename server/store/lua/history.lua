-- history.lua: the reports of one incident as their senders wrote them, for
-- the console's detail (channel, time, text, number).
--
-- KEYS[1] reports stream          siaga:{R}:reports
-- ARGV[1] report index prefix     siaga:{R}:report:
-- ARGV[2..] report ids (the caller found them in the incident's audit trail)
--
-- Returns one packed Report per id, or "" where the report's index expired
-- or the stream entry was trimmed away (the audit trail still names it).
local out = {}
for i = 2, #ARGV do
  local entry = redis.call('HGET', ARGV[1] .. ARGV[i], 'stream_id')
  local pb = ''
  if entry then
    local got = redis.call('XRANGE', KEYS[1], entry, entry, 'COUNT', 1)
    if got[1] then
      local fields = got[1][2]
      for j = 1, #fields, 2 do
        if fields[j] == 'r' then pb = fields[j + 1] end
      end
    end
  end
  out[#out + 1] = pb
end
return out
