-- resume.lua: what a reconnecting console missed since the last update id it
-- saw, or word that it cannot be told exactly.
--
-- KEYS[1] updates stream          siaga:{R}:updates
-- ARGV[1] last update id the console saw ("ms-seq")
-- ARGV[2] most updates to replay
--
-- Returns {"ok", id1, pb1, id2, pb2, ...} with every update after ARGV[1] in
-- order, or {"gap"} when some update after ARGV[1] may have been trimmed, when
-- ARGV[1] lies beyond the stream's end (e.g. Redis lost its data), or when
-- more than ARGV[2] updates were missed. On "gap" the console gets a fresh
-- snapshot instead: never a silent hole.

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function after(a_ms, a_seq, b_ms, b_seq)
  return a_ms > b_ms or (a_ms == b_ms and a_seq > b_seq)
end

local ms, seq = parse(ARGV[1])
if not ms then
  return {'gap'}
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  -- Nothing was ever appended (or Redis lost its data): only "0-0" is exact.
  if ms == 0 and seq == 0 then return {'ok'} end
  return {'gap'}
end

local info = redis.call('XINFO', 'STREAM', KEYS[1])
local f = {}
for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
local l_ms, l_seq = parse(f['last-generated-id'])
local d_ms, d_seq = parse(f['max-deleted-entry-id'])
local first = f['recorded-first-entry-id']
if after(ms, seq, l_ms, l_seq) or after(d_ms, d_seq, ms, seq) then
  return {'gap'}
end
-- Trimming does not move max-deleted-entry-id: when entries were trimmed,
-- an id before the first retained entry may have lost its successors.
if f['entries-added'] ~= f['length'] and first then
  local f_ms, f_seq = parse(first)
  if after(f_ms, f_seq, ms, seq) then
    return {'gap'}
  end
end

local limit = tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', limit + 1)
if #entries > limit then
  return {'gap'}
end
local out = {'ok'}
for _, e in ipairs(entries) do
  out[#out + 1] = e[1]
  local fields = e[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'u' then
      out[#out + 1] = fields[i + 1]
    end
  end
end
return out
