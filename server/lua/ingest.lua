-- ingest.lua: append one validated report to the reports stream, at most once
-- per idempotency key.
--
-- KEYS[1] reports stream          siaga:{R}:reports
-- KEYS[2] report index hash       siaga:{R}:report:<report id>
-- KEYS[3] idempotency key         siaga:{R}:idem:<key>   (ignored when ARGV[6] == "0")
-- ARGV[1] packed siaga.v1.Report (its id already set)
-- ARGV[2] report id
-- ARGV[3] tracking token
-- ARGV[4] received time, Unix ms
-- ARGV[5] reports stream approximate MAXLEN
-- ARGV[6] "1" if KEYS[3] is a real idempotency key, else "0"
-- ARGV[7] seconds to remember the idempotency key and the report index
--
-- Returns {status, report id, tracking token}: status "new" when appended,
-- "dup" when the key was seen before (nothing written; the first answer's id
-- and token are returned so a retry gets the same reply).
--
-- Why a script: the append, the index and the key must exist together or not
-- at all, so a retry after a lost reply can neither duplicate nor lose.

if ARGV[6] == '1' then
  local prev = redis.call('HMGET', KEYS[3], 'id', 'token')
  if prev[1] then
    return {'dup', prev[1], prev[2]}
  end
end

local sid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[1])
redis.call('HSET', KEYS[2], 'token', ARGV[3], 'stream_id', sid, 'received_at_ms', ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[7])
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[3], 'id', ARGV[2], 'token', ARGV[3])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
return {'new', ARGV[2], ARGV[3]}
