"""siagad's own HTTP/1.1 server (server/http/server.c) on the wire: keep-alive,
pipelining, the head limit and timeout, requests that arrive in pieces, the
WebSocket handoff to lws, and framing errors. Raw sockets throughout, so the
test sees exactly what the server sends and when it closes."""
import base64
import hashlib
import json
import os
import socket
import time

import harness
from harness import JSON_PROTO
from clients import Response, WebSocket, WS_GUID

REPORT = json.dumps(harness.json_report(3)).encode()


def post_report(body=REPORT, extra=()):
    lines = ["POST /v1/reports HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Content-Length: %d" % len(body)] + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get(path, extra=(), version="1.1"):
    lines = ["GET %s HTTP/%s" % (path, version), "Host: 127.0.0.1"] + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Conn:
    """One client connection that reads responses one at a time."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _more(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def response(self, head_only=False):
        """The next response; EOFError if the server closed first."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:]]
        resp = Response(status, headers, b"")
        n = 0 if head_only else int(resp.header("content-length", "0"))
        while len(self.buf) < n:
            self._more()
        resp.body, self.buf = self.buf[:n], self.buf[n:]
        return resp

    def closed_within(self, seconds):
        """True if the server closes (EOF or reset) within `seconds`, reading
        and dropping anything it sends before."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
        return False

    def close(self):
        self.sock.close()


def ws_upgrade_request(port, token, protocols=(JSON_PROTO,)):
    nonce = base64.b64encode(os.urandom(16))
    lines = ["GET /v1/console HTTP/1.1", "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: " + nonce.decode(),
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: " + ", ".join(protocols),
             "Authorization: Bearer " + token]
    want = base64.b64encode(hashlib.sha1(nonce + WS_GUID).digest()).decode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), want


class Http(harness.StackTestCase):
    STACK = {"workers": 0}

    def conn(self):
        c = Conn(self.stack.http_port)
        self.addCleanup(c.close)
        return c

    def test_keep_alive_reuses_one_connection(self):
        before = self.stack.xlen()
        c = self.conn()
        port = c.sock.getsockname()[1]
        for i in range(3):
            c.send(get("/healthz"))
            r = c.response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["status"], "ok")
            self.assertIsNone(r.header("connection"), r)
            c.send(post_report(json.dumps(harness.json_report(10 + i)).encode()))
            r = c.response()
            self.assertEqual(r.status, 202, r)
        c.send(get("/v1/nope"))
        self.assertEqual(c.response().status, 404)
        self.assertEqual(c.sock.getsockname()[1], port)
        self.assertEqual(self.stack.xlen(), before + 3)
        # Connection: close is honoured after the answer.
        c.send(get("/healthz", extra=["Connection: close"]))
        r = c.response()
        self.assertEqual((r.status, r.header("connection")), (200, "close"), r)
        self.assertTrue(c.closed_within(5), "not closed after Connection: close")

    def test_http10_closes_unless_keep_alive(self):
        c = self.conn()
        c.send(get("/healthz", version="1.0", extra=["Connection: keep-alive"]))
        r = c.response()
        self.assertEqual((r.status, r.header("connection")), (200, "keep-alive"), r)
        c.send(get("/healthz", version="1.0"))
        r = c.response()
        self.assertEqual((r.status, r.header("connection")), (200, "close"), r)
        self.assertTrue(c.closed_within(5))

    def test_pipelined_answered_in_order(self):
        """The report waits for Redis, the 404 does not: answered in order
        all the same, the report first."""
        c = self.conn()
        c.send(post_report() + get("/v1/nope") + get("/healthz"))
        first, second, third = c.response(), c.response(), c.response()
        self.assertEqual(first.status, 202, first)
        self.assertIn("reportId", first.json())
        self.assertEqual(second.status, 404, second)
        self.assertEqual(second.json()["code"], "not_found")
        self.assertEqual(third.status, 200, third)

    def test_split_byte_by_byte(self):
        before = self.stack.xlen()
        c = self.conn()
        data = post_report(json.dumps(harness.json_report(20)).encode())
        for i in range(len(data)):
            c.send(data[i:i + 1])
            if i % 8 == 0:
                time.sleep(0.001)
        r = c.response()
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.stack.xlen(), before + 1)
        c.send(get("/healthz"))
        self.assertEqual(c.response().status, 200)

    def test_oversized_head_431_and_close(self):
        c = self.conn()
        try:
            c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 9000 +
                   b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.response()
        self.assertEqual(r.status, 431, r)
        self.assertEqual(r.header("connection"), "close", r)
        self.assertEqual(r.json()["code"], "headers_too_large")
        self.assertTrue(c.closed_within(5), "not closed after 431")
        # A head just under the limit is served.
        c2 = self.conn()
        c2.send(get("/healthz", extra=["X-Pad: " + "a" * 7900]))
        self.assertEqual(c2.response().status, 200)

    def test_slow_head_closed_after_timeout(self):
        c = self.conn()
        start = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.assertFalse(c.closed_within(3), "closed long before the 10 s head timeout")
        self.assertTrue(c.closed_within(15), "an unfinished head was kept over 18 s")
        self.assertGreater(time.monotonic() - start, 8)
        # The server still serves.
        self.assertEqual(self.stack.http("GET", "/healthz").status, 200)

    def test_websocket_upgrade_in_pieces_after_a_request(self):
        c = self.conn()
        c.send(get("/healthz"))
        self.assertEqual(c.response().status, 200)
        req, want = ws_upgrade_request(self.stack.http_port, self.stack.token)
        for piece in (req[:5], req[5:40], req[40:-3], req[-3:]):
            c.send(piece)
            time.sleep(0.05)
        r = c.response(head_only=True)
        self.assertEqual(r.status, 101, r)
        self.assertEqual(r.header("sec-websocket-accept"), want, r)
        self.assertEqual(r.header("sec-websocket-protocol"), JSON_PROTO, r)
        ws = WebSocket(c.sock, c.buf, JSON_PROTO)
        self.assertIn("snapshot", ws.recv_json(5))
        ws.send_ping(b"hi")
        self.assertEqual(ws.recv(5).kind, "pong")
        ws.close()

    def test_websocket_upgrade_byte_by_byte(self):
        c = self.conn()
        req, want = ws_upgrade_request(self.stack.http_port, self.stack.token)
        for i in range(len(req)):
            c.send(req[i:i + 1])
        r = c.response(head_only=True)
        self.assertEqual(r.status, 101, r)
        self.assertEqual(r.header("sec-websocket-accept"), want, r)
        ws = WebSocket(c.sock, c.buf, JSON_PROTO)
        self.assertIn("snapshot", ws.recv_json(5))
        ws.close()

    def test_framing_errors(self):
        cases = [
            ("conflicting Content-Length", b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
             b"{}", 400),
            ("negative Content-Length", b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: -1\r\n\r\n", 400),
            ("folded header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400),
            ("space before colon", b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("no version", b"GET /healthz\r\nHost: x\r\n\r\n", 400),
            ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("NUL in a header", b"GET /healthz HTTP/1.1\r\nHost: x\x00y\r\n\r\n", 400),
            ("space in the target", b"GET /heal thz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("chunked GET", b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
             b"\r\n\r\n0\r\n\r\n", 411),
        ]
        for name, raw, want in cases:
            with self.subTest(name):
                c = self.conn()
                c.send(raw)
                r = c.response()
                self.assertEqual(r.status, want, r)
                self.assertErrorBody(r, name)
                self.assertEqual(r.header("connection"), "close", r)
                self.assertTrue(c.closed_within(5), "%s: not closed" % name)

    def test_head_request_has_no_body(self):
        c = self.conn()
        c.send(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.response(head_only=True)
        self.assertEqual(r.status, 405, r)
        self.assertGreater(int(r.header("content-length")), 0)
        c.send(get("/healthz"))
        r = c.response()
        self.assertEqual(r.status, 200, r)  # no stray body bytes came before it

    def test_expect_100_continue(self):
        c = self.conn()
        body = json.dumps(harness.json_report(30)).encode()
        c.send(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        r = c.response(head_only=True)
        self.assertEqual(r.status, 100, r)
        c.send(body)
        self.assertEqual(c.response().status, 202)

    def test_query_with_nul_and_bad_escapes(self):
        """lws used to drop such queries without an answer."""
        for q, want in [("from=%2B6281234567010&text=a%00b", 400),
                        ("from=%2B6281234567010&text=tolong%0Aada%20api&id=nl-1", 202),
                        ("from=%2B6281234567010&text=x%zz", 400),
                        ("from=%2B6281234567010&text=x%4", 400)]:
            with self.subTest(q):
                r = self.stack.http("GET", "/v1/sms/kannel?" + q)
                self.assertEqual(r.status, want, r)
                if want >= 400:
                    self.assertErrorBody(r, q)

    def test_client_gone_before_answer_report_still_stored(self):
        before = self.stack.xlen()
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", self.stack.http_port))
            s.sendall(post_report(json.dumps(harness.json_report(40 + i)).encode()))
            s.close()
        harness.wait_until(lambda: self.stack.xlen() == before + 20, 5, "20 reports stored")
        self.assertTrue(self.stack.siagad.alive())
        self.assertEqual(self.stack.http("GET", "/healthz").status, 200)



def cpu_seconds(pid):
    """User + system CPU of a process so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class OutOfDescriptors(harness.StackTestCase):
    """A flood of connections beyond the process's descriptor limit: the
    connections it cannot take are closed at once instead of staying in the
    listen queue, where they would keep the listening socket readable and
    the loop spinning at full CPU for as long as the flood lasts. Once the
    flood is gone, siagad serves again."""
    STACK = {"workers": 0}
    FDS = 64  # siagad's hard limit here; it uses about 25 of them itself
    FLOOD = 150

    def test_flood_beyond_the_fd_limit(self):
        st = self.stack
        st.siagad.stop()
        st.siagad = st._spawn("siagad-fds", ["prlimit", "--nofile=%d:%d" % (self.FDS, self.FDS),
                                             "--", st.siagad_bin, "--listen",
                                             "127.0.0.1:%d" % st.http_port, "--redis",
                                             "127.0.0.1:%d" % st.redis_port])
        harness.wait_until(st._healthy, 10, "siagad with %d descriptors healthy" % self.FDS, 0.1)
        pid = st.siagad.p.pid  # prlimit execs siagad in place
        flood = []
        try:
            for _ in range(self.FLOOD):
                s = socket.create_connection(("127.0.0.1", st.http_port), timeout=5)
                flood.append(s)
            time.sleep(0.5)  # let siagad take what it can and meet EMFILE
            before = cpu_seconds(pid)
            time.sleep(2.0)
            used = cpu_seconds(pid) - before
            # Spinning is a whole core (2 s here); waiting is nothing.
            self.assertLess(used, 1.0, "siagad used %.2f s of CPU in 2 s while out of "
                            "descriptors" % used)
            closed = 0
            for s in flood:
                s.settimeout(0.05)
                try:
                    closed += s.recv(1) == b""
                except (socket.timeout, BlockingIOError):
                    pass
                except ConnectionResetError:
                    closed += 1
            self.assertGreater(closed, 0, "no connection beyond the limit was closed")
        finally:
            for s in flood:
                s.close()
        harness.wait_until(lambda: st.http("GET", "/healthz").status == 200, 10,
                           "siagad serving again after the flood", 0.1)
        self.assertTrue(st.siagad.alive())

if __name__ == "__main__":
    harness.main()
