"""The findings of issue 14's hostile-input review, each against a real
stack: key spaces that must not meet, fields only the server may set, the
handset's identities, the WebSocket protocol, growth without bound and the
requestId a client must be able to match."""
import json
import math
import struct
import unittest
import urllib.parse

import harness
from harness import json_report, key
from clients import OP_CLOSE, OP_TEXT, json_messages_until
from test_sms_webhooks import kannel_get, stored_report
from wire import varint

IMSI, IMEI = "510109876543210", "358240059999990"
LOCATION_SOURCE_DEVICE, LOCATION_SOURCE_AML = 1, 2


def pb_len(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def pb_double(num, x):
    return varint(num << 3 | 1) + struct.pack("<d", x)


def pb_varint(num, n):
    return varint(num << 3) + varint(n)


def pb_report(description, location=b""):
    return pb_len(6, description.encode()) + (pb_len(4, location) if location else b"")


class Hostile(harness.StackTestCase):
    STACK = {"workers": 1}

    # -- helpers
    def console(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        return ws

    def incident_of(self, ws, report_id):
        msg = json_messages_until(
            ws, lambda m: report_id in m.get("update", {}).get("incident", {}).get("reportIds", []),
            20, "incident for %s" % report_id)[-1]
        return msg["update"]["incident"]

    def command(self, ws, request_id, **action):
        ws.send_json({"command": dict({"requestId": request_id}, **action)})
        msgs = json_messages_until(ws, lambda m: "reply" in m, 10, "reply to %s" % request_id[:70])
        return msgs[-1]["reply"]

    def inbound(self, text, message_id, phone="+6281234560001"):
        body = json.dumps({"from": phone, "to": "112", "text": text, "messageId": message_id})
        return self.stack.http("POST", "/v1/sms/inbound", body, {"Content-Type": "application/json"})

    def upgrade(self, version):
        lines = ["GET /v1/console HTTP/1.1", "Host: 127.0.0.1:%d" % self.stack.http_port,
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                 "Sec-WebSocket-Protocol: " + harness.JSON_PROTO,
                 "Authorization: Bearer " + self.stack.token]
        if version is not None:
            lines.append("Sec-WebSocket-Version: " + version)
        return self.stack.raw(("\r\n".join(lines) + "\r\n\r\n").encode())

    def closed_with(self, ws, what):
        """Reads until the server closes; returns the close code (None: no
        close frame, the connection just ended)."""
        for _ in range(50):
            m = ws.recv(10)
            if m.kind == "close":
                return m.code
            if m.kind == "eof":
                return None
        self.fail("%s: the server never closed" % what)

    # -- the gateways' key spaces
    def test_app_key_cannot_swallow_an_sms(self):
        claims = {"inbound": "inbound:hostile-1", "kannel": "kannel:hostile-2",
                  "twilio": "twilio:SMhostile3"}
        app_ids = {}
        for gw, idem in claims.items():
            r = self.stack.post_report(json_report(40), {"Idempotency-Key": idem})
            self.assertEqual(r.status, 202, r)
            app_ids[gw] = r.json()["reportId"]
        r = self.inbound("kebakaran di pasar besar", "hostile-1")
        self.assertEqual(r.status, 202, r)
        self.assertNotEqual(r.json()["reportId"], app_ids["inbound"])
        self.assertEqual(stored_report(self.stack, r.json()["reportId"])["description"],
                         "kebakaran di pasar besar")
        r = kannel_get(self.stack, {"from": "+6281234560002", "text": "banjir di kereng",
                                    "id": "hostile-2"})
        self.assertEqual(r.status, 202, r)
        self.assertNotEqual(r.json()["reportId"], app_ids["kannel"])
        self.assertEqual(stored_report(self.stack, r.json()["reportId"])["description"],
                         "banjir di kereng")
        r = self.stack.http("POST", "/v1/sms/twilio",
                            urllib.parse.urlencode({"From": "+6281234560003", "Body": "tolong",
                                                    "MessageSid": "SMhostile3"}),
                            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertIn(r.status, (200, 202), r)
        sid = self.stack.r("HGET", key("idem:twilio:SMhostile3"), "id")
        self.assertIsNotNone(sid, "the Twilio message was not stored under its own key")
        self.assertNotEqual(sid.decode(), app_ids["twilio"])
        # The app's own retry still finds its first report.
        r = self.stack.post_report(json_report(40), {"Idempotency-Key": "inbound:hostile-1"})
        self.assertEqual(r.json()["reportId"], app_ids["inbound"])

    # -- a field siagad derived never refuses a gateway's message
    def test_aml_radius_over_limit_is_clamped(self):
        text = ("A\"ML=1;lt=-2.20960;lg=113.91360;rd=2000000;top=20261128083000;lc=68;pm=G;"
                "si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=132")
        self.assertEqual(len(text), 132)
        r = kannel_get(self.stack, {"from": "+6281234560004", "text": text, "id": "hostile-rd"})
        self.assertEqual(r.status, 202, r)
        loc = stored_report(self.stack, r.json()["reportId"])["location"]
        self.assertEqual(loc["accuracy_m"], 1e6)
        self.assertEqual(loc["source"], LOCATION_SOURCE_AML)

    # -- what only the server may say
    def test_app_cannot_claim_source_or_confidence(self):
        body = json_report(41)
        body["location"].update({"source": "LOCATION_SOURCE_AML", "accuracyM": 1,
                                 "confidence": 0.99})
        r = self.stack.post_report(body)
        self.assertEqual(r.status, 202, r)
        loc = stored_report(self.stack, r.json()["reportId"])["location"]
        self.assertEqual(loc["source"], LOCATION_SOURCE_DEVICE)
        self.assertFalse(loc["confidence"])
        pb = {"Content-Type": "application/x-protobuf"}
        point = pb_double(1, -2.21) + pb_double(2, 113.92)
        for conf in (float("nan"), -1e308):
            r = self.stack.http("POST", "/v1/reports",
                                pb_report("asap tebal", point + pb_varint(5, 77) + pb_double(6, conf)),
                                pb)
            self.assertEqual(r.status, 202, r)
            loc = stored_report(self.stack, r.json()["reportId"])["location"]
            self.assertEqual(loc["source"], LOCATION_SOURCE_DEVICE)
            self.assertFalse(loc["confidence"])
        # The doubles a client may set are checked for NaN and range.
        for name, loc_pb in (("lat NaN", pb_double(1, float("nan")) + pb_double(2, 113.9)),
                             ("lon inf", pb_double(1, -2.2) + pb_double(2, math.inf)),
                             ("accuracy NaN", point + pb_double(3, float("nan"))),
                             ("accuracy -1", point + pb_double(3, -1.0))):
            before = self.stack.xlen()
            r = self.stack.http("POST", "/v1/reports", pb_report("x", loc_pb), pb)
            self.assertEqual(r.status, 400, "%s: %r" % (name, r))
            self.assertEqual(r.json()["code"], "bad_location", name)
            self.assertEqual(self.stack.xlen(), before, name)

    # -- the handset's identities
    def test_imsi_imei_never_leave_the_store(self):
        ws = self.console()
        # Truncated (quoted in the description) and a look-alike (read as text).
        texts = ["A\"ML=1;lt=-2.20960;lg=113.91360;rd=25;si=%s;ei=%s;ml=200" % (IMSI, IMEI),
                 "A\"ML=x kebakaran si=%s;ei=%s" % (IMSI, IMEI)]
        for i, text in enumerate(texts):
            r = self.inbound(text, "hostile-aml-%d" % i, phone="+628123456009%d" % i)
            self.assertEqual(r.status, 202, r)
            inc = self.incident_of(ws, r.json()["reportId"])
            self.assertNotIn(IMSI, json.dumps(inc))
            self.assertNotIn(IMEI, json.dumps(inc))
        listing = self.stack.http("GET", "/v1/incidents")
        self.assertEqual(listing.status, 200, listing)
        self.assertNotIn(IMSI.encode(), listing.body)
        self.assertNotIn(IMEI.encode(), listing.body)
        fresh = self.stack.ws()
        snap = fresh.recv(5)
        self.assertNotIn(IMSI, snap.data)
        self.assertNotIn(IMEI, snap.data)
        fresh.close()
        ws.close()

    # -- the WebSocket protocol
    def test_websocket_version_other_than_13_refused(self):
        r = self.upgrade("99")
        self.assertEqual(r.status, 426, r)
        self.assertEqual(r.header("sec-websocket-version"), "13")
        self.assertErrorBody(r, "version 99")
        r = self.upgrade(None)
        self.assertEqual(r.status, 400, r)
        self.assertErrorBody(r, "no version")
        self.assertEqual(self.upgrade("13").status, 101)

    def test_bad_close_frames_fail_with_1002(self):
        for what, payload in (("code 5000", (5000).to_bytes(2, "big")),
                              ("1-byte payload", b"\x03"),
                              ("code 1005", (1005).to_bytes(2, "big")),
                              ("code 2999", (2999).to_bytes(2, "big"))):
            ws = self.console()
            ws.send_frame(OP_CLOSE, payload)
            self.assertEqual(self.closed_with(ws, what), 1002, what)
            ws.sock.close()
        # A reason that is not UTF-8: lws fails the connection itself, before
        # the hub sees it (no close frame); it must not be echoed as a clean close.
        ws = self.console()
        ws.send_frame(OP_CLOSE, (1000).to_bytes(2, "big") + b"\xff")
        self.assertIn(self.closed_with(ws, "reason not UTF-8"), (None, 1002, 1007))
        ws.sock.close()
        ws = self.console()
        ws.send_close(1000)
        self.assertEqual(self.closed_with(ws, "a clean close"), 1000)
        ws.sock.close()

    @unittest.expectedFailure
    def test_unmasked_client_frame_fails_with_1002(self):
        """RFC 6455 5.1 wants 1002 here. libwebsockets 4.1 (Debian 12) takes
        an unmasked client frame as it is and says nothing of it through its
        API, so neither the gate (which hands the socket to lws after the
        handshake) nor the hub can see it: a known gap (README "Limits"),
        kept here as an expected failure so that a fix shows as a success."""
        ws = self.console()
        payload = json.dumps({"command": {"requestId": "unmasked", "ping": {}}}).encode()
        ws.sock.sendall(bytes([0x80 | OP_TEXT, len(payload)]) + payload)
        try:
            m = ws.recv(5)
            self.assertEqual(m.kind, "close", m)
            self.assertEqual(m.code, 1002)
        finally:
            ws.sock.close()

    # -- growth without bound
    def test_notes_per_incident_bounded(self):
        ws = self.console()
        r = self.stack.post_report(json_report(43, description="Kebakaran gudang, api besar"))
        self.assertEqual(r.status, 202, r)
        inc = self.incident_of(ws, r.json()["reportId"])
        big = "n" * 1000
        refused = None
        for i in range(100):
            rep = self.command(ws, "big-%d" % i, addNote={"incidentId": inc["id"], "text": big})
            if not rep.get("ok"):
                refused = (i, rep)
                break
        self.assertIsNotNone(refused, "100 notes of 1000 bytes all taken")
        i, rep = refused
        self.assertEqual(rep["errorCode"], "incident_too_large", rep)
        self.assertIn("64 KiB", rep["message"])
        self.assertGreater(i, 50)
        stored = self.stack.r("HGET", key("incident:" + inc["id"]), "pb")
        self.assertLessEqual(len(stored), 65536)

        r = self.stack.post_report(json_report(44, description="Banjir sepinggang"))
        inc = self.incident_of(ws, r.json()["reportId"])
        for i in range(100):
            rep = self.command(ws, "small-%d" % i, addNote={"incidentId": inc["id"], "text": "ok %d" % i})
            self.assertTrue(rep.get("ok"), rep)
        rep = self.command(ws, "small-100", addNote={"incidentId": inc["id"], "text": "one more"})
        self.assertFalse(rep.get("ok"))
        self.assertEqual(rep["errorCode"], "too_many_notes", rep)
        self.assertEqual(rep["requestId"], "small-100")
        ws.close()

    # -- a requestId the client can match
    def test_long_request_id_refused_with_its_prefix(self):
        ws = self.console()
        long_id = "r" * 63 + "é" + "x" * 40  # the 64th byte starts a character
        ws.send_json({"command": {"requestId": long_id, "ping": {}}})
        reply = json_messages_until(ws, lambda m: "reply" in m, 10, "reply")[-1]["reply"]
        self.assertFalse(reply.get("ok"), reply)
        self.assertEqual(reply["errorCode"], "bad_command")
        self.assertEqual(reply["requestId"], "r" * 63)
        exactly = "q" * 64
        self.assertTrue(self.command(ws, exactly, ping={}).get("ok"))
        ws.close()


if __name__ == "__main__":
    harness.main()
