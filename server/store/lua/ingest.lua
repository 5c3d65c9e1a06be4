-- ingest.lua: append one validated report to the reports stream, at most once
-- per idempotency key. Reports without a key skip this script: siagad sends
-- them as a plain XADD (a third of the Redis cost), with the same fields.
--
-- KEYS[1] reports stream          siaga:{R}:reports
-- KEYS[2] idempotency key         siaga:{R}:idem:<key>
-- KEYS[3] report index            siaga:{R}:report:<report id>
-- ARGV[1] packed siaga.v1.Report (its id already set)
-- ARGV[2] report id
-- ARGV[3] tracking token
-- ARGV[4] reports stream approximate MAXLEN
-- ARGV[5] seconds to remember the idempotency key
--
-- Stream entry fields: r = the report, t = its tracking token (the worker
-- copies the token into the report index siaga:{R}:report:<id>).
--
-- The report index gets the token here already (same TTL as the key), so a
-- citizen can follow the report as "received" before a worker files it
-- (report_status.lua); the worker adds the incident. Every key is in KEYS:
-- on a Redis Cluster whose slot is being migrated, Redis then refuses the
-- whole call (TRYAGAIN or ASK) before it runs, never halfway through.
--
-- Returns {status, report id, tracking token}: status "new" when appended,
-- "dup" when the key was seen before (only the key's time to live is renewed;
-- the first answer's id and token are returned so a retry gets the same
-- reply). The renewal is a write on purpose: a WAIT after a "dup" then covers
-- the first append too, which may have come through another connection and
-- not be on the replicas yet.
--
-- Why a script: the append and the key must exist together or not at all, so
-- a retry after a lost reply can neither duplicate nor lose.

local prev = redis.call('HMGET', KEYS[2], 'id', 'token')
if prev[1] then
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  return {'dup', prev[1], prev[2]}
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'r', ARGV[1], 't', ARGV[3])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'token', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[3], 'token', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return {'new', ARGV[2], ARGV[3]}
