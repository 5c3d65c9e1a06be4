-- wrk script: every request is WRK_METHOD (POST or PUT) of the body in the
-- file WRK_BODY to the URL's path, and done() prints one JSON line (prefixed
-- "WRKJSON ") that bench/run reads: requests, non-2xx, socket errors, latency
-- percentiles in ms. wrk is closed loop: each connection sends its next
-- request when the previous answer arrived.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = os.getenv("WRK_METHOD") or "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"non2xx_or_3xx":%d,' ..
    '"socket_errors":%d,"timeouts":%d,"lat_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p999":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
