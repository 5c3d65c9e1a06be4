"""One slow console never holds the others back: a console on a tiny TCP
window that stops reading is closed with 4000 once it falls too far behind,
while a console that reads keeps getting every update in order; the slow one
then resumes with ?after= and misses nothing."""
import json
import threading
import time

import harness
from harness import key, stream_id
from clients import ws_handshake
from harness import JSON_PROTO
from wire import f_bytes, f_varint

MAX_LAG = 1024
UPDATES = 2500          # more than the per-console lag limit given to siagad
SUMMARY = "x" * 3000    # big updates, so kernel buffers cannot hide the lag


def update_bytes(i):
    incident = (f_bytes(1, "PLK-SLOW%05d" % i) + f_varint(2, 1) + f_varint(3, 3) +
                f_bytes(6, "other") + f_bytes(8, SUMMARY) + f_varint(12, 1))
    return f_varint(2, 1) + f_bytes(3, incident) + f_bytes(4, "worker")


class SlowConsole(harness.StackTestCase):
    STACK = {"workers": 0, "siagad_args": ("--console-max-lag", str(MAX_LAG))}

    def test_slow_console_is_dropped_and_resumes(self):
        fast = self.stack.ws()
        self.assertIn("snapshot", fast.recv_json(5))
        hs = ws_handshake(self.stack.http_port, "/v1/console", (JSON_PROTO,), 5, rcvbuf=4096,
                          extra_headers=self.stack.auth_headers())
        self.assertIsNotNone(hs.ws, hs.status)
        slow = hs.ws
        self.assertIn("snapshot", slow.recv_json(5))

        # The reading console reads all along, as a browser does.
        got, failure = [], []

        def read_fast():
            try:
                deadline = time.monotonic() + 120
                while len(got) < UPDATES and time.monotonic() < deadline:
                    got.append(fast.recv_json(30)["update"]["id"])
            except Exception as e:  # reported below
                failure.append(e)
        reader = threading.Thread(target=read_fast)
        reader.start()

        # Updates written straight to the stream, as a worker would.
        with self.stack.redis(timeout=30) as r:
            ids = [r("XADD", key("updates"), "*", "u", update_bytes(i)).decode()
                   for i in range(UPDATES)]
        reader.join(130)
        self.assertEqual(failure, [])
        self.assertEqual(got, ids, "the reading console got every update, in order")

        # The slow console drains what the kernel held, then finds the close.
        seen, close = [], None
        for _ in range(UPDATES + 10):
            m = slow.recv(30)
            if m.kind == "close":
                close = m
                break
            self.assertEqual(m.kind, "text", m)
            seen.append(json.loads(m.data)["update"]["id"])
        self.assertIsNotNone(close, "the slow console was closed")
        self.assertEqual(close.code, 4000, close)
        self.assertLess(len(seen), UPDATES, "it was dropped before the end")
        self.assertEqual(seen, ids[:len(seen)], "what it got was in order, without gaps")
        # GET /metrics counts the drop, and every update fanned out.
        metrics = self.stack.http("GET", "/metrics", auth=False).body.decode().splitlines()
        self.assertIn("siaga_console_lag_drops_total 1", metrics)
        self.assertIn("siaga_updates_total %d" % UPDATES, metrics)

        # It resumes from its last update and gets exactly the rest (or a
        # fresh snapshot, which the protocol allows when history is gone).
        last = seen[-1] if seen else "0-0"
        again = self.stack.ws("/v1/console?after=" + last)
        rest = []
        first = again.recv_json(10)
        if "snapshot" in first:
            self.assertEqual(first["snapshot"]["lastUpdateId"], ids[-1])
        else:
            rest.append(first["update"]["id"])
            while len(rest) < UPDATES - len(seen):
                rest.append(again.recv_json(30)["update"]["id"])
            self.assertEqual(rest, ids[len(seen):])
            self.assertTrue(all(stream_id(a) < stream_id(b) for a, b in zip(rest, rest[1:])))
        for w in (fast, again):
            w.close()


if __name__ == "__main__":
    harness.main()
