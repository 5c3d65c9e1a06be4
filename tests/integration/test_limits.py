"""Per-address limits on the citizens' doors (issue 14, "Every door
defended"): a burst of reports beyond the bucket gets 429 with Retry-After
and a JSON reason, is not stored, and is accepted again after the wait; the
citizens' lookups have their own bucket; an SMS burst from one gateway is
never refused for rate; an address holding too many connections gets 429 at
accept. Loopback is exempt by default, so this stack turns that off."""
import socket
import time
import unittest

import harness
from clients import ws_handshake
from harness import json_report, wait_until

BURST = 3
CONNS = 6


class Limits(harness.StackTestCase):
    STACK = {"workers": 1,
             "siagad_args": ["--limit-loopback",
                             "--report-rate", "60/min", "--report-burst", str(BURST),
                             "--lookup-rate", "60/min", "--lookup-burst", str(BURST),
                             "--conns-per-address", str(CONNS)]}

    def test_1_report_burst_gets_429_then_is_accepted_after_the_wait(self):
        before = self.stack.xlen()
        for i in range(BURST):
            r = self.stack.post_report(json_report(100 + i))
            self.assertEqual(r.status, 202, r)
        refused = self.stack.post_report(json_report(200),
                                         {"Idempotency-Key": "limits-refused-1"})
        self.assertEqual(refused.status, 429, refused)
        self.assertErrorBody(refused, "429")
        self.assertEqual(refused.json()["code"], "rate_limited")
        retry = int(refused.header("retry-after"))
        self.assertGreaterEqual(retry, 1)
        self.assertLessEqual(retry, 60)
        # Nothing refused reached Redis: neither the report nor its key.
        self.assertEqual(self.stack.xlen(), before + BURST)
        self.assertEqual(self.stack.r("KEYS", "*limits-refused-1*"), [])
        time.sleep(retry + 0.2)
        again = self.stack.post_report(json_report(200), {"Idempotency-Key": "limits-refused-1"})
        self.assertEqual(again.status, 202, again)
        self.assertEqual(self.stack.xlen(), before + BURST + 1)

    def test_2_lookups_have_their_own_bucket(self):
        statuses = [self.stack.http("GET", "/v1/reports/r-nosuch?token=x", auth=False).status
                    for _ in range(BURST + 2)]
        self.assertNotIn(429, statuses[:BURST], statuses)
        self.assertEqual(statuses[-1], 429, statuses)
        # The console's routes are not the citizens': never counted.
        for _ in range(BURST + 2):
            self.assertEqual(self.stack.http("GET", "/v1/incidents").status, 200)

    def test_2b_follow_websocket_counts_as_a_lookup(self):
        # The bucket is empty after test_2: the upgrade is refused before lws.
        hs = ws_handshake(self.stack.http_port, "/v1/follow?report=r-nosuch&token=x",
                          ("siaga.follow.v1.json",), 5)
        self.assertEqual(hs.status, 429, hs.headers)
        self.assertIsNone(hs.ws)
        self.assertGreaterEqual(int(dict(hs.headers).get("retry-after", "0")), 1, hs.headers)

    def test_3_sms_burst_is_never_refused_for_rate(self):
        before = self.stack.xlen()
        n = 4 * BURST
        for i in range(n):
            self.post_sms("+6281377%05d" % (i % 2), "kebakaran rumah nomor %d" % i)
        self.assertEqual(self.stack.xlen(), before + n)

    def test_4_connection_cap(self):
        socks = []
        try:
            # CONNS connections held open, each proven accepted by one answer.
            for _ in range(CONNS):
                s = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=5)
                socks.append(s)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                self.assertTrue(read_until(s, b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
            extra = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=5)
            socks.append(extra)
            answer = read_until_eof(extra)
            self.assertTrue(answer.startswith(b"HTTP/1.1 429"), answer)
            self.assertIn(b"retry-after: ", answer)
            self.assertIn(b'"code":"too_many_connections"', answer)
            # One closed: a new connection is served again (once siagad saw
            # the close).
            socks.pop(0).close()

            def served():
                with socket.create_connection(("127.0.0.1", self.stack.http_port),
                                              timeout=5) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    return read_until_eof(s).startswith(b"HTTP/1.1 200")
            wait_until(served, 10, "a connection served after one closed", interval=0.1)
        finally:
            for s in socks:
                s.close()


def read_until(s, marker, limit=65536):
    data = b""
    for _ in range(1000):
        if marker in data or len(data) > limit:
            break
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def read_until_eof(s, limit=65536):
    data = b""
    for _ in range(1000):
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            break
        if not chunk or len(data) > limit:
            break
        data += chunk
    return data


class LimitsBehindProxy(harness.StackTestCase):
    """Behind a --trusted-proxy (nginx on this machine), each client the proxy
    names has its own bucket, and the proxy's own connections are not capped:
    it carries every citizen's."""
    STACK = {"workers": 1,
             "siagad_args": ["--trusted-proxy", "127.0.0.1", "--limit-loopback",
                             "--report-rate", "60/min", "--report-burst", str(BURST),
                             "--conns-per-address", "2"]}

    def post_from(self, client, i):
        return self.stack.post_report(json_report(300 + i), {"X-Forwarded-For": client})

    def test_1_each_client_behind_the_proxy_has_its_own_bucket(self):
        for i in range(BURST):
            self.assertEqual(self.post_from("203.0.113.5", i).status, 202)
        self.assertEqual(self.post_from("203.0.113.5", BURST).status, 429)
        # Another citizen behind the same proxy is not held back by the first.
        self.assertEqual(self.post_from("203.0.113.6", 10).status, 202)

    def test_2_the_proxys_connections_are_not_capped(self):
        # Loopback is not exempt on this stack: only the trust keeps these.
        socks = []
        try:
            for _ in range(6):  # three times --conns-per-address, all from the proxy
                socks.append(socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=5))
            r = self.stack.http("GET", "/healthz")
            self.assertEqual(r.status, 200, r)
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
