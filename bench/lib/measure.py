#!/usr/bin/env python3
"""Run one load client (wrk, redis-benchmark) with a hard time bound and
report, as one JSON line on stdout, what it measured plus the CPU used during
its run by the client itself (getrusage of children) and by each watched
server process (utime+stime from /proc/PID/stat, summed per name).

usage: measure.py --timeout S --parse wrk|redis-benchmark [--watch NAME=PID]... -- CMD...
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # The command name may hold spaces: count fields after the last ')'.
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def parse_wrk(out):
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    return {"error": "no WRKJSON line from wrk"}


def parse_redis_benchmark(out):
    # --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
    # "p95_latency_ms","p99_latency_ms","max_latency_ms". The test name is the
    # command with our payload, commas and all: read the numbers from the end.
    for line in out.splitlines():
        cols = [c.strip('"') for c in line.strip().split(",")]
        if len(cols) >= 8 and not line.startswith('"test"'):
            try:
                rps, _, _, p50, p95, p99, mx = (float(c) for c in cols[-7:])
            except ValueError:
                continue
            return {"rps": rps, "lat_ms": {"p50": p50, "p95": p95, "p99": p99, "max": mx}}
    return {"error": "no CSV line from redis-benchmark"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--parse", choices=["wrk", "redis-benchmark"], required=True)
    ap.add_argument("--watch", action="append", default=[])
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    watch = [(w.split("=", 1)[0], int(w.split("=", 1)[1])) for w in a.watch]
    before = {pid: cpu_s(pid) for _, pid in watch}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or "", e.stderr or ""
        out = out if isinstance(out, str) else out.decode(errors="replace")
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    cpu = {"client": round(100 * client / wall, 1)}
    for name, pid in watch:
        b, e = before[pid], cpu_s(pid)
        if b is not None and e is not None:
            cpu[name] = round(cpu.get(name, 0) + 100 * (e - b) / wall, 1)
    res = parse_wrk(out) if a.parse == "wrk" else parse_redis_benchmark(out)
    res.update({"rc": rc, "wall_s": round(wall, 3), "cpu_pct": cpu})
    if rc != 0:
        res["stderr"] = (err or "")[-500:]
    print(json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
