"""Hostile and malformed input: every bad request gets its precise status and a
JSON error body, nothing bad is written, and the server keeps serving."""
import json

import harness
from harness import JSON_PROTO, PB_PROTO
from wire import decode_server_message, encode_report, f_bytes, f_double, f_varint

GOOD = harness.json_report(0)
LIMIT = 65536


def js(obj):
    return json.dumps(obj).encode()


def with_(**changes):
    r = json.loads(json.dumps(GOOD))
    for k, v in changes.items():
        if k in ("lat", "lon"):
            r["location"][k] = v
        else:
            r[k] = v
    return js(r)


def request(method, path, body=b"", ctype="application/json", length=True, extra=()):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    if ctype:
        lines.append("Content-Type: " + ctype)
    if length is True:
        lines.append("Content-Length: %d" % len(body))
    elif length is not None:
        lines.append("Content-Length: %d" % length)
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


PB = "application/x-protobuf"
PB_GOOD = encode_report("fire", "Kebakaran lahan gambut dekat sekolah", -2.21, 113.91)
PB_NAN = (f_varint(2, 1) + f_bytes(4, f_double(1, float("nan")) + f_double(2, 113.9))
          + f_bytes(5, "fire") + f_bytes(6, "asap tebal"))
PAD_PREFIX = b'{"category":"fire","description":"'
PAD_JSON = PAD_PREFIX + b"a" * (LIMIT - len(PAD_PREFIX) - 2) + b'"}'
assert len(PAD_JSON) == LIMIT

# (name, raw request bytes, expected status)
CASES = [
    ("unknown path", request("GET", "/v1/nope", ctype=None, length=None), 404),
    ("GET on reports", request("GET", "/v1/reports", ctype=None, length=None), 405),
    ("no Content-Length", request("POST", "/v1/reports", js(GOOD), length=None), 411),
    ("chunked body", request("POST", "/v1/reports", b"5\r\n{\"a\":\r\n0\r\n\r\n", length=None,
                             extra=["Transfer-Encoding: chunked"]), 411),
    ("body of 64 KiB + 1", request("POST", "/v1/reports", PAD_JSON + b" "), 413),
    ("Content-Length of 100 MiB, no body", request("POST", "/v1/reports", length=100 << 20), 413),
    ("body of exactly 64 KiB, description too long", request("POST", "/v1/reports", PAD_JSON), 400),
    ("text/plain", request("POST", "/v1/reports", js(GOOD), ctype="text/plain"), 415),
    ("invalid JSON", request("POST", "/v1/reports", b'{"category":"fire",'), 400),
    ("JSON array", request("POST", "/v1/reports", b"[]"), 400),
    ("category is a number", request("POST", "/v1/reports", with_(category=5)), 400),
    # proto3 JSON takes "-2.2" (test_citizen_found.py); a string that is not a number is refused.
    ("lat is not a number", request("POST", "/v1/reports", with_(lat="-2.2 south")), 400),
    ("location is an array", request("POST", "/v1/reports", with_(location=[1, 2])), 400),
    ("unknown field", request("POST", "/v1/reports", with_(bogus=1)), 400),
    ("lat 91", request("POST", "/v1/reports", with_(lat=91)), 400),
    ("lat -91", request("POST", "/v1/reports", with_(lat=-91)), 400),
    ("lon 181", request("POST", "/v1/reports", with_(lon=181)), 400),
    ("lon -181", request("POST", "/v1/reports", with_(lon=-181)), 400),
    ("description 4097 bytes", request("POST", "/v1/reports", with_(description="a" * 4097)), 400),
    ("description 2049 x e-acute (4098 bytes)",
     request("POST", "/v1/reports", with_(description="\u00e9" * 2049)), 400),
    ("invalid UTF-8 in a string", request("POST", "/v1/reports", js(GOOD).replace(
        b"Kebakaran", b"Keb\xff\xfekaran")), 400),
    ("lone surrogate escape", request("POST", "/v1/reports", js(GOOD).replace(
        b"Kebakaran", b"Keb\\ud800karan")), 400),
    ("unknown category", request("POST", "/v1/reports", with_(category="volcano")), 400),
    ("empty JSON body", request("POST", "/v1/reports", b""), 400),
    ("bad Idempotency-Key (129 bytes)",
     request("POST", "/v1/reports", js(GOOD), extra=["Idempotency-Key: " + "k" * 129]), 400),
    ("garbage protobuf", request("POST", "/v1/reports", b"\xff\xff\xff\xff\x0f\x00garbage", ctype=PB), 400),
    ("truncated protobuf", request("POST", "/v1/reports", PB_GOOD[:-5], ctype=PB), 400),
    ("protobuf invalid UTF-8", request("POST", "/v1/reports", encode_report(
        "fire", b"asap \xc3\x28 tebal", -2.21, 113.91), ctype=PB), 400),
    ("protobuf unknown category", request("POST", "/v1/reports", encode_report(
        "volcano", "asap", -2.21, 113.91), ctype=PB), 400),
    ("protobuf unknown field", request("POST", "/v1/reports", PB_GOOD + f_varint(99, 1), ctype=PB), 400),
    ("protobuf lat NaN", request("POST", "/v1/reports", PB_NAN, ctype=PB), 400),
    ("empty protobuf body", request("POST", "/v1/reports", b"", ctype=PB), 400),
]
# Good reports at the limits, sent among the bad ones.
GOOD_CASES = [
    ("description of exactly 4096 bytes", request("POST", "/v1/reports", with_(description="a" * 4096))),
    ("description of 2048 x e-acute (4096 bytes)",
     request("POST", "/v1/reports", with_(description="\u00e9" * 2048))),
    ("good protobuf", request("POST", "/v1/reports", PB_GOOD, ctype=PB)),
]


class BadInput(harness.StackTestCase):
    STACK = {"workers": 1}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.xlen_before = cls.stack.xlen()
        cls.good = 0

    def test_1_http_table(self):
        for name, raw, want in CASES:
            with self.subTest(name):
                resp = self.stack.raw(raw)
                self.assertIsNotNone(resp, "no response")
                self.assertEqual(resp.status, want, resp)
                self.assertErrorBody(resp, name)
                self.assertTrue(self.stack.siagad.alive(), "siagad died")
        for name, raw in GOOD_CASES:
            with self.subTest(name):
                resp = self.stack.raw(raw)
                self.assertIsNotNone(resp, "no response")
                self.assertEqual(resp.status, 202, resp)
                BadInput.good += 1
        self.assertEqual(self.stack.xlen(), self.xlen_before + BadInput.good)

    def test_2_truncated_body(self):
        before = self.stack.xlen()
        body = js(GOOD)
        self.stack.raw(request("POST", "/v1/reports", body[:20], length=len(body)),
                       timeout=3, shutdown_write=True)
        resp = self.stack.http("GET", "/v1/nope", timeout=5)
        self.assertEqual(resp.status, 404, resp)
        self.assertEqual(self.stack.xlen(), before, "a truncated body was written")

    def refused(self, path, protocols):
        hs = harness.ws_handshake(self.stack.http_port, path, protocols,
                                  extra_headers=self.stack.auth_headers())
        if hs.ws is None:
            self.assertNotEqual(hs.status, 101)
            return
        # Upgraded anyway: it must not have picked a protocol we did not offer,
        # and must close at once without serving the console.
        try:
            self.assertIn(hs.ws.protocol, list(protocols) + [None], hs.headers)
            m = hs.ws.recv(3)
            self.assertIn(m.kind, ("close", "eof"), "upgrade %s %r was served: %r" % (path, protocols, m))
        finally:
            hs.ws.close()

    def expect_failure_close(self, ws, codes, binary):
        """Reads past updates to an error message and/or a close: a close with
        one of `codes`, or an error message followed by a close."""
        error = None
        for _ in range(200):
            m = ws.recv(5)
            if m.kind == "close":
                if error is None:
                    self.assertIn(m.code, codes, m)
                return m
            self.assertNotEqual(m.kind, "eof", "connection dropped without a close frame")
            if binary and m.kind == "binary":
                which, _ = decode_server_message(m.data)
            elif not binary and m.kind == "text":
                which = next(iter(json.loads(m.data)))
            else:
                self.fail("unexpected %r" % (m,))
            if which == "error":
                error = m
        self.fail("no close")

    def test_3_websocket(self):
        with self.subTest("no subprotocol"):
            self.refused("/v1/console", ())
        with self.subTest("unknown subprotocol"):
            self.refused("/v1/console", ("siaga.console.v9",))
        with self.subTest("other path"):
            self.refused("/v1/other", (JSON_PROTO,))
        with self.subTest("root path"):
            self.refused("/", (PB_PROTO,))
        with self.subTest("garbage binary frame"):
            ws = self.stack.ws(protocols=(PB_PROTO,))
            try:
                self.assertEqual(decode_server_message(ws.recv(5).data)[0], "snapshot")
                ws.send_binary(b"\xff\xff\xff\xff\x0fgarbage\x00\x01")
                self.expect_failure_close(ws, (1007, 1008), binary=True)
            finally:
                ws.close()
        with self.subTest("invalid JSON text frame"):
            ws = self.stack.ws(protocols=(JSON_PROTO,))
            try:
                self.assertIn("snapshot", ws.recv_json(5))
                ws.send_text('{"command": {"requestId": ')
                self.expect_failure_close(ws, (1007, 1008), binary=False)
            finally:
                ws.close()
        with self.subTest("invalid UTF-8 text frame"):
            ws = self.stack.ws(protocols=(JSON_PROTO,))
            try:
                self.assertIn("snapshot", ws.recv_json(5))
                ws.send_frame(harness.OP_TEXT, b'{"command":{"requestId":"\xff\xfe"}}')
                self.expect_failure_close(ws, (1007,), binary=False)
            finally:
                ws.close()
        with self.subTest("2 MB frame"):
            ws = self.stack.ws(protocols=(PB_PROTO,))
            try:
                self.assertEqual(decode_server_message(ws.recv(5).data)[0], "snapshot")
                try:
                    ws.send_binary(b"\x00" * (2 << 20))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # closed while we were still sending; the close frame is read below
                m = self.expect_failure_close(ws, (1009,), binary=True)
                self.assertEqual(m.code, 1009, m)
            finally:
                ws.close()
        self.assertTrue(self.stack.siagad.alive(), "siagad died")

    def test_4_still_serving(self):
        before = self.stack.xlen()
        resp = self.stack.post_report(harness.json_report(7))
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.stack.xlen(), before + 1)
        self.assertEqual(self.stack.xlen(), self.xlen_before + BadInput.good + 1,
                         "only good reports were written")


if __name__ == "__main__":
    harness.main()
