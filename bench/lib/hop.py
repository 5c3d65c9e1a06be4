#!/usr/bin/env python3
"""The worker hop of every report a running siaga triaged: the updates stream
entry's time minus the reports stream entry's time, both read from the entry
ids (milliseconds, Redis's clock), so it covers the report waiting in the
stream, the worker's read, decisions and transition.lua, and nothing of
siagad or the consoles.

    bench/lib/hop.py --redis 127.0.0.1:PORT [--region plk] [--merge]

Prints one JSON object: count and p50/p90/p99/p99.9/max in ms, and how many
reports took 0, 1, 2, ... ms. With --merge it first reads a load generator's
JSON (its last line) from stdin, and prints that with the hop added as
"worker_hop_ms" (bench/run does this after each siaga e2e run)."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from clients import Redis  # noqa: E402
from wire import decode_update  # noqa: E402


def ms_of(entry_id):
    return int(entry_id.split(b"-")[0])


def hop_of(port, region):
    """The hop distribution of every report in the updates stream."""
    prefix = "siaga:{%s}:" % region
    hops = []
    with Redis(port, timeout=30) as r:
        start = "-"
        while True:
            batch = r("XRANGE", prefix + "updates", start, "+", "COUNT", "1000")
            for entry_id, fields in batch:
                values = dict(zip(fields[::2], fields[1::2]))
                rid = decode_update(values[b"u"])["report_id"]
                if not rid:
                    continue  # a dispatcher's command
                stored = r("HGET", prefix + "report:" + rid, "stream_id")
                if stored is not None:
                    hops.append(ms_of(entry_id) - ms_of(stored))
            if len(batch) < 1000:
                break
            start = "(" + batch[-1][0].decode()
    hops.sort()
    n = len(hops)
    out = {"count": n}
    if n:
        for name, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999)):
            out[name] = hops[min(n - 1, int(n * q))]
        out["max"] = hops[-1]
        out["by_ms"] = {str(v): hops.count(v) for v in sorted(set(hops))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--redis", required=True, help="HOST:PORT (the host must be 127.0.0.1)")
    ap.add_argument("--region", default="plk")
    ap.add_argument("--merge", action="store_true", help="add to the JSON read from stdin")
    a = ap.parse_args()
    if a.merge:
        lines = sys.stdin.read().strip().splitlines()
        try:
            merged = json.loads(lines[-1])
        except (IndexError, ValueError):
            print("\n".join(lines))  # passed on as it came: record() says what is wrong
            return
    port = int(a.redis.rsplit(":", 1)[1])
    if not a.merge:
        print(json.dumps(hop_of(port, a.region)))
        return
    try:
        merged["worker_hop_ms"] = hop_of(port, a.region)
    except Exception as e:  # noqa: BLE001 -- whatever failed, the run's own figures still count
        merged["worker_hop_ms"] = {"error": str(e)}
    print(json.dumps(merged))


if __name__ == "__main__":
    main()
