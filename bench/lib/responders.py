#!/usr/bin/env python3
"""Responders under load, for bench/run's "responders" rows (issue 12).

Registers N units (siaga-admin unit add), opens N responder WebSockets
(/v1/responder, siaga.responder.v1.json, each unit's own token), and for
--positions-secs has every unit send a position every --every seconds
(phases spread evenly), measuring the CPU siagad and Redis spend on it
(/proc/PID/stat of the --watch processes). It then writes --ready-file (so
bench/run starts its console load beside it) and for --assign-secs more
keeps the positions going while one console assigns units to open
incidents at --assign-rate per second: the latency of an assignment is from
the console's `assign` frame leaving to the unit's `assignment` frame
arriving, on the same monotonic clock. Prints one JSON line.

Standard library only; every wait is bounded (--deadline).
"""
import argparse
import base64
import json
import os
import random
import re
import selectors
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TICK = os.sysconf("SC_CLK_TCK")
RJSON = "siaga.responder.v1.json"
CJSON = "siaga.console.v1.json"


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return 0.0
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Conn:
    """One client WebSocket: handshake blocking, then frames non-blocking."""

    def __init__(self, host, port, path, protocol, token, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {protocol}\r\nAuthorization: Bearer {token}\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError("upgrade refused: %r" % status)
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.out = b""
        self.sock.setblocking(False)
        self.messages = []  # text payloads not yet taken

    def send_json(self, obj):
        payload = json.dumps(obj).encode()
        n = len(payload)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.out += head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            self.out = self.out[n:]

    def pong(self, payload):
        mask = os.urandom(4)
        self.out += bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(payload))
        self.flush()

    def read(self):
        """Reads what is there; returns False when the peer closed."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                break
            if not chunk:
                return False
            self.buf += chunk
        while len(self.buf) >= 2:
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            at = 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, at = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, at = struct.unpack(">Q", self.buf[2:10])[0], 10
            if len(self.buf) < at + n:
                break
            payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
            if op == 1:
                self.messages.append(payload)
            elif op == 9:
                self.pong(payload)
            elif op == 8:
                return False
        return True


def add_unit(admin, redis, i):
    uid = "BEN-%04d" % i
    out = subprocess.run([admin, "--redis", redis, "unit", "add", uid, "--kind", "ambulance",
                          "--name", "Bench %d" % i, "--phone", "+62813%08d" % i, "--station", "Pos"],
                         capture_output=True, text=True, timeout=30)
    m = re.search(r"token: ([0-9a-f]{64})", out.stdout)
    if out.returncode != 0 or not m:
        raise RuntimeError("unit add %s: %s %s" % (uid, out.stdout, out.stderr))
    return uid, m.group(1)


def http_json(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--redis", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--token", required=True, help="a dispatcher's session token")
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--incidents", type=int, default=50)
    ap.add_argument("--positions-secs", type=float, default=10.0)
    ap.add_argument("--assign-secs", type=float, default=20.0)
    ap.add_argument("--assign-rate", type=float, default=5.0)
    ap.add_argument("--ready-file")
    ap.add_argument("--watch", action="append", default=[], help="NAME=PID")
    ap.add_argument("--deadline", type=float, default=300.0)
    a = ap.parse_args()
    t_end = time.monotonic() + a.deadline
    host, port = a.target.rsplit(":", 1)
    port = int(port)
    base = "http://%s:%d" % (host, port)
    watch = [(w.split("=", 1)[0], int(w.split("=", 1)[1])) for w in a.watch]
    names = sorted({n for n, _ in watch})

    def cpu_by_name():
        got = dict.fromkeys(names, 0.0)
        for n, pid in watch:
            got[n] += cpu_s(pid)
        return got
    out = {"units": a.units, "every_s": a.every, "assign_rate": a.assign_rate}

    with ThreadPoolExecutor(8) as pool:
        units = list(pool.map(lambda i: add_unit(a.admin, a.redis, i), range(a.units)))
    # Incidents to send them to, apart from one another (3 km grid).
    for i in range(a.incidents):
        http_json(base, "POST", "/v1/reports", a.token,
                  {"category": "medical", "description": "orang pingsan, bench %d" % i,
                   "location": {"lat": -2.40 + (i // 10) * 0.03, "lon": 113.50 + (i % 10) * 0.03},
                   "reporter": {"phone": "+62812%07d" % (9000000 + i)}})
    incidents = []
    while time.monotonic() < t_end and len(incidents) < a.incidents:
        incidents = [x["id"] for x in http_json(base, "GET", "/v1/incidents", a.token).get("incidents", [])]
        time.sleep(0.2)

    sel = selectors.DefaultSelector()
    conns = {}
    for uid, token in units:
        c = Conn(host, port, "/v1/responder", RJSON, token)
        c.uid = uid
        conns[uid] = c
        sel.register(c.sock, selectors.EVENT_READ, c)
    console = Conn(host, port, "/v1/console", CJSON, a.token)
    console.uid = None
    sel.register(console.sock, selectors.EVENT_READ, console)

    sent_at = {}     # unit id -> monotonic time its assign left
    sent_wall = {}   # the same on the wall clock, ms, against the stream ids
    to_stream_ms, from_stream_ms = [], []
    slowest = []       # (latency ms, seconds into the assignment phase)
    t_phase_b = [0.0]
    latency_ms = []
    closed = 0
    counts = {"positions": 0, "hellos": 0, "replies": 0, "assign_sent": 0, "assign_refused": 0}

    def take(c):
        nonlocal closed
        if not c.read():
            sel.unregister(c.sock)
            closed += 1
            return
        now = time.monotonic()
        for m in c.messages:
            if c.uid is None:
                if b'"reply"' in m and b'"ok":true' not in m:
                    counts["assign_refused"] += 1
                continue
            if m.startswith(b'{"assignment"'):
                t = sent_at.pop(c.uid, None)
                if t is not None:
                    latency_ms.append((now - t) * 1000.0)
                    slowest.append((round((now - t) * 1000.0, 1), round(t - t_phase_b[0], 2)))
                    # The updates stream entry's time (Redis's clock, whole
                    # ms) splits it: console -> written, written -> unit.
                    try:
                        ms = int(json.loads(m)["assignment"]["updateId"].split("-")[0])
                        wall = sent_wall.pop(c.uid)
                        to_stream_ms.append(ms - wall)
                        from_stream_ms.append(time.time() * 1000.0 - ms)
                    except (KeyError, ValueError):
                        pass
            elif m.startswith(b'{"hello"'):
                counts["hellos"] += 1
            elif m.startswith(b'{"reply"'):
                counts["replies"] += 1
        c.messages.clear()

    def pump(timeout):
        for key, _ in sel.select(timeout):
            take(key.data)

    # The first frames may have come with the handshake's answer, before
    # the socket was watched: read what each holds already.
    for c in list(conns.values()) + [console]:
        take(c)

    t_connected = time.monotonic()
    hello_by = t_connected + 30
    while counts["hellos"] < a.units and time.monotonic() < min(hello_by, t_end):
        pump(0.1)
    out["connected"] = counts["hellos"]
    out["hellos_s"] = round(time.monotonic() - t_connected, 2)

    order = [u for u, _ in units]
    phase = {u: (i * a.every / len(order)) for i, u in enumerate(order)}
    rng = random.Random(7)
    pos = {u: [-2.21 + rng.uniform(-0.05, 0.05), 113.92 + rng.uniform(-0.05, 0.05)] for u in order}
    next_pos = {}

    def positions(t0, now):
        for u in order:
            due = next_pos.get(u)
            if due is None:
                due = next_pos[u] = t0 + phase[u]
            if now >= due:
                p = pos[u]
                p[0] += rng.uniform(-0.0005, 0.0005)
                p[1] += rng.uniform(-0.0005, 0.0005)
                conns[u].send_json({"command": {"requestId": "p", "position": {
                    "lat": round(p[0], 6), "lon": round(p[1], 6), "accuracyM": 10,
                    "atMs": str(int(time.time() * 1000))}}})
                counts["positions"] += 1
                next_pos[u] = due + a.every

    # Phase A: positions only, and what they cost the server.
    t0 = time.monotonic()
    cpu0 = cpu_by_name()
    while time.monotonic() < min(t0 + a.positions_secs, t_end):
        positions(t0, time.monotonic())
        pump(0.01)
    span = time.monotonic() - t0
    cpu1 = cpu_by_name()
    out["positions_per_s"] = round(counts["positions"] / span, 1)
    # CPU seconds per second (1.0 = one core) while only positions flow.
    out["cpu_per_s_positions_only"] = {n: round((cpu1[n] - cpu0[n]) / span, 4) for n in names}
    if a.ready_file:
        open(a.ready_file, "w").write("ready\n")

    # Phase B: positions and assignments (and bench/run's console load beside).
    t1 = t_phase_b[0] = time.monotonic()
    k = 0
    next_assign = t1
    while time.monotonic() < min(t1 + a.assign_secs, t_end):
        now = time.monotonic()
        positions(t0, now)
        if now >= next_assign and k < len(order):
            u = order[k]
            inc = incidents[k % len(incidents)] if incidents else "PLK-000001"
            k += 1
            sent_at[u] = time.monotonic()
            sent_wall[u] = time.time() * 1000.0
            console.send_json({"command": {"requestId": "a%d" % k,
                                           "assign": {"incidentId": inc, "unitId": u}}})
            counts["assign_sent"] += 1
            next_assign += 1.0 / a.assign_rate
        pump(0.005)
    # The last offers in flight.
    drain = time.monotonic() + 5
    while sent_at and time.monotonic() < min(drain, t_end):
        pump(0.05)
    out.update(counts)
    out["assign_received"] = len(latency_ms)
    out["assign_missing"] = len(sent_at)
    out["assign_p50_ms"] = percentile(latency_ms, 50)
    out["assign_p99_ms"] = percentile(latency_ms, 99)
    out["assign_max_ms"] = max(latency_ms) if latency_ms else None
    # Redis's clock and ours are the same machine's; entry ids are whole ms.
    out["assign_to_stream_p50_p99_ms"] = [percentile(to_stream_ms, 50), percentile(to_stream_ms, 99)]
    out["assign_from_stream_p50_p99_ms"] = [percentile(from_stream_ms, 50), percentile(from_stream_ms, 99)]
    out["assign_slowest"] = sorted(slowest, reverse=True)[:5]
    # Without the first 2 s, while bench/run's consoles connect at once (each
    # snapshot carries every unit): the steady state.
    steady = [ms for ms, at in slowest if at >= 2.0]
    out["assign_steady_p50_p99_ms"] = [percentile(steady, 50), percentile(steady, 99)]
    out["closed"] = closed
    out["ok"] = (counts["hellos"] == a.units and not sent_at and closed == 0 and
                 counts["assign_refused"] == 0 and len(latency_ms) == counts["assign_sent"] > 0)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
