"""SIGTERM drains siagad (issue 14, "What the operator sees"): it stops
accepting, answers what is in flight, and closes every WebSocket with 1001
so that it resumes elsewhere; so a rolling restart of two siagads sharing a
port (--reuse-port, as systemd would restart one after the other) loses no
acknowledged report.

- Drain: a report whose body is still arriving when SIGTERM comes is
  answered 202 once the body is in (and stored); an idle keep-alive
  connection is closed; a console and a responder get close 1001; siagad
  exits 0.
- Rolling restart: reports flow from a client that retries on a refused or
  reset connection with its Idempotency-Key (as the app does); one of the two
  siagads is stopped and started again mid-flow; every report is answered
  202, and each is stored once (the key makes a retry safe; the drain makes
  it rare)."""
import json
import signal
import socket
import threading
import time

import harness
from harness import json_report, wait_until
from test_responder import RJSON, add_unit


class Drain(harness.StackTestCase):
    STACK = {"workers": 1}

    def test_sigterm_answers_what_is_in_flight_and_closes_sockets_with_1001(self):
        stack = self.stack
        console = stack.ws()
        console.recv_json(5)  # the snapshot
        token = add_unit(stack, "AMB-DR")
        responder = stack.ws("/v1/responder", (RJSON,), token=token)
        self.assertIn("hello", responder.recv_json(5))
        idle = socket.create_connection(("127.0.0.1", stack.http_port), timeout=5)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200", idle.recv(4096).split(b"\r\n")[0])

        body = json.dumps(json_report(1, description="kebakaran gudang, draining")).encode()
        half = len(body) // 2
        inflight = socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
        inflight.sendall(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:half])
        time.sleep(0.3)  # the head is read and the body asked for
        before = stack.xlen()
        stack.siagad.p.send_signal(signal.SIGTERM)

        # The sockets are told to go elsewhere.
        for ws, name in ((console, "console"), (responder, "responder")):
            m = ws.recv(5)
            while m.kind == "text":
                m = ws.recv(5)
            self.assertEqual((m.kind, m.code), ("close", 1001), "%s: %r" % (name, m))
        # The idle keep-alive connection is closed, not left to time out.
        idle.settimeout(5)
        self.assertEqual(idle.recv(4096), b"")
        # The report in flight is still taken, and its connection then closes.
        inflight.sendall(body[half:])
        answer = b""
        while True:
            chunk = inflight.recv(65536)
            if not chunk:
                break
            answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        self.assertTrue(head.startswith(b"http/1.1 202"), answer[:200])
        self.assertIn(b"connection: close", head)
        self.assertEqual(stack.xlen(), before + 1)
        self.assertEqual(stack.siagad.p.wait(timeout=10), 0, stack.siagad.tail())
        for s in (idle, inflight):
            s.close()
        stack.start_siagad()
        wait_until(stack._healthy, harness.START_TIMEOUT, "siagad back", interval=0.1)


N_REPORTS = 300


class RollingRestart(harness.StackTestCase):
    STACK = {"workers": 1, "siagad_args": ["--reuse-port"]}

    def post_until_answered(self, i, results):
        body = json_report(1000 + i, description="laporan %d selama restart" % i)
        headers = {"Idempotency-Key": "rolling-%d" % i}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                r = self.stack.post_report(body, headers)
            except (OSError, harness.HTTPException):
                time.sleep(0.05)  # refused or reset: the app tries again
                continue
            if r.status == 503:
                time.sleep(0.05)
                continue
            results[i] = (r.status, r.json().get("reportId"))
            return
        results[i] = ("timeout", None)

    def test_stopping_one_of_two_loses_nothing(self):
        stack = self.stack
        first = stack.siagad
        second = stack._spawn("siagad-2", first.argv)
        wait_until(lambda: second.alive() and stack.http("GET", "/healthz").status == 200, 10,
                   "the second siagad")
        results = [None] * N_REPORTS
        done = threading.Event()

        def client():
            for i in range(N_REPORTS):
                self.post_until_answered(i, results)
            done.set()
        t = threading.Thread(target=client, daemon=True)
        t.start()
        wait_until(lambda: sum(r is not None for r in results) >= N_REPORTS // 3, 30,
                   "a third of the reports")
        first.p.send_signal(signal.SIGTERM)
        self.assertEqual(first.p.wait(timeout=15), 0, first.tail())
        stack.start_siagad()  # the restarted one joins the port again
        self.assertTrue(done.wait(60), "the client finished")
        statuses = [r[0] for r in results]
        self.assertEqual(statuses.count(202), N_REPORTS,
                         "not all answered 202: %r" % sorted(set(map(str, statuses))))
        ids = [r[1] for r in results]
        self.assertEqual(len(set(ids)), N_REPORTS, "one report per Idempotency-Key")
        stored = [e for e in harness.stream_entries(stack, "reports")]
        self.assertEqual(len(stored), N_REPORTS, "each report stored once")
        second.stop()


if __name__ == "__main__":
    harness.main()
