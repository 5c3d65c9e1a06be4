-- snapshot.lua: one page of the open incidents, most urgent first, with the
-- id of the last update in the updates stream, read atomically.
--
-- KEYS[1] open incidents zset     siaga:{R}:open
-- KEYS[2] updates stream          siaga:{R}:updates
-- ARGV[1] incident hash prefix    siaga:{R}:incident:
-- ARGV[2] page size: most open set members looked at (1..)
-- ARGV[3] cursor: "" for the first page, else the "<score>:<id>" this
--         script answered for the previous page
-- ARGV[4] "" for a page on its own; else the stream id S at which a paged
--         snapshot began (the last update id its first page answered)
--
-- Returns {last update id ("0-0" if none), next cursor ("" when no member
-- follows), packed Incident...}. The open set is walked in one total order
-- (score, then id, both descending), so a cursor never skips or repeats a
-- member whose score stays put, whatever else is added or removed.
--
-- With ARGV[4] = S, incidents whose last update is after S are left out:
-- their latest state is in an update after S, which a console following the
-- stream from S gets anyway. Every other incident kept its score since S, so
-- it is in exactly one page: a console given the pages and then every update
-- after S misses nothing and is never given one incident by two pages.
-- Incident hashes share the region's hash tag with KEYS, so the script stays
-- on one Redis Cluster slot.

-- Byte order, as Redis sorts members of equal score (Lua's own comparison
-- follows the server's locale).
local function bytes_ge(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a >= #b
end

local function parse_id(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local limit = tonumber(ARGV[2])
if not limit or limit < 1 then
  return redis.error_reply('ERR snapshot.lua: bad page size')
end

local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local out = {'0-0', ''}
if last[1] then
  out[1] = last[1][1]
end

local since_ms, since_seq
if ARGV[4] ~= '' then
  since_ms, since_seq = parse_id(ARGV[4])
  if not since_ms then
    return redis.error_reply('ERR snapshot.lua: bad snapshot position')
  end
  if since_ms == 0 and since_seq == 0 then
    -- The stream was empty at the first page: nothing tells which incidents
    -- changed since, so none is left out (a changed one may come twice).
    since_ms = nil
  end
end

-- Members at the cursor's score that sort before it were not looked at yet;
-- those at or after it were. Ties are rare (same score and same creation
-- millisecond), so fetching them all again costs nothing in practice.
local max, after_score, after_id = '+inf', nil, nil
if ARGV[3] ~= '' then
  local s, id = string.match(ARGV[3], '^(%d+):(.+)$')
  if not s then
    return redis.error_reply('ERR snapshot.lua: bad cursor')
  end
  max, after_score, after_id = s, tonumber(s), id
end
local ties = 0
if after_score then
  ties = redis.call('ZCOUNT', KEYS[1], max, max)
end
local got = redis.call('ZRANGE', KEYS[1], max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0,
  limit + ties + 1, 'WITHSCORES')

local seen, cursor = 0, ''
for i = 1, #got, 2 do
  local id, score = got[i], got[i + 1]
  local done = after_score and tonumber(score) == after_score and bytes_ge(id, after_id)
  if not done then
    if seen == limit then
      out[2] = cursor -- a member follows the page
      break
    end
    seen = seen + 1
    cursor = string.format('%.0f', tonumber(score)) .. ':' .. id
    local h = redis.call('HMGET', ARGV[1] .. id, 'pb', 'update')
    local keep = h[1]
    if keep and since_ms and h[2] then
      local u_ms, u_seq = parse_id(h[2])
      if u_ms and (u_ms > since_ms or (u_ms == since_ms and u_seq > since_seq)) then
        keep = false
      end
    end
    if keep then
      out[#out + 1] = h[1]
    end
  end
end
return out
