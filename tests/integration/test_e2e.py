"""End to end: a report in (JSON and protobuf), an incident out on the console
(JSON and binary subprotocols) and on the HTTP read API."""
import harness
from harness import JSON_PROTO, PB_PROTO, json_messages_until
from wire import decode_server_message, decode_update, encode_report, pb_decode

FIRE = {"category": "fire",
        "description": "Kebakaran di Jl. Tjilik Riwut, ada orang terjebak",
        "location": {"lat": -2.2096, "lon": 113.9136},
        "reporter": {"phone": "+6281234567890"}}


class EndToEnd(harness.StackTestCase):
    STACK = {"workers": 1}

    def check_accepted(self, resp):
        self.assertEqual(resp.status, 202, resp)
        self.assertTrue(resp.header("content-type", "").startswith("application/json"), resp)
        body = resp.json()
        self.assertEqual(set(body), {"reportId", "trackingToken", "status"}, body)
        self.assertEqual(body["status"], "accepted")
        self.assertIsInstance(body["reportId"], str)
        self.assertTrue(body["reportId"])
        self.assertIsInstance(body["trackingToken"], str)
        self.assertTrue(body["trackingToken"])
        return body

    def test_1_json_report_to_console_and_api(self):
        ws = self.stack.ws(protocols=(JSON_PROTO,))
        try:
            self.assertEqual(ws.protocol, JSON_PROTO)
            first = ws.recv_json(5)
            self.assertEqual(list(first), ["snapshot"], first)
            snap = first["snapshot"]
            # The stream is empty on a fresh Redis: an empty lastUpdateId may
            # be omitted by the proto3 mapping; any value must be a string.
            if self.stack.xlen("updates") > 0:
                self.assertIn("lastUpdateId", snap, snap)
            self.assertIsInstance(snap.get("lastUpdateId", ""), str, snap)

            accepted = self.check_accepted(self.stack.post_report(FIRE))
            rid = accepted["reportId"]

            def mentions(msg):
                inc = msg.get("update", {}).get("incident", {})
                return rid in inc.get("reportIds", [])
            msgs = json_messages_until(ws, mentions, 15, "an update naming report %s" % rid)
            for m in msgs:
                self.assertEqual(len(m), 1, m)
                self.assertIn(next(iter(m)), ("update", "reply", "error"), m)
            upd = msgs[-1]["update"]
            self.assertEqual(upd["kind"], "UPDATE_KIND_CREATED", upd)
            self.assertIsInstance(upd.get("id"), str, upd)
            inc = upd["incident"]
            self.assertIn(inc.get("priority"), ("P1", "P2"), inc)
            self.assertIsInstance(inc.get("reasons"), list, inc)
            self.assertTrue(inc["reasons"], inc)
            for reason in inc["reasons"]:
                self.assertIsInstance(reason.get("rule"), str, reason)
            self.assertEqual(inc["reportIds"], [rid], inc)
            self.assertEqual(inc.get("category"), "fire", inc)
            self.assertEqual(inc.get("status"), "INCIDENT_STATUS_OPEN", inc)
            iid = inc.get("id")
            self.assertTrue(iid, inc)

            # The update id is the updates stream entry id, and Redis agrees.
            stored = dict(harness.updates(self.stack))
            self.assertIn(upd["id"], stored)
            self.assertEqual(stored[upd["id"]]["incident"]["id"], iid)
            self.assertEqual(stored[upd["id"]]["incident"]["report_ids"], [rid])
            self.assertEqual(self.stack.r("HGET", harness.key("report:" + rid), "incident"),
                             iid.encode())
            # The report index also keeps the tracking token handed to the
            # citizen, and expires.
            self.assertEqual(self.stack.r("HGET", harness.key("report:" + rid), "token"),
                             accepted["trackingToken"].encode())
            self.assertGreater(self.stack.r("TTL", harness.key("report:" + rid)), 0)

            # Ping answered with a pong carrying the same payload.
            ws.send_ping(b"hello")
            for _ in range(50):
                m = ws.recv(5)
                if m.kind != "text":
                    break
            self.assertEqual((m.kind, m.data), ("pong", b"hello"))
        finally:
            ws.close()

        lst = self.stack.http("GET", "/v1/incidents")
        self.assertEqual(lst.status, 200, lst)
        self.assertTrue(lst.header("content-type", "").startswith("application/json"), lst)
        incidents = lst.json()["incidents"]
        self.assertIsInstance(incidents, list)
        listed = [i for i in incidents if i.get("id") == iid]
        self.assertEqual(len(listed), 1, incidents)
        self.assertEqual(listed[0]["reportIds"], [rid])

        one = self.stack.http("GET", "/v1/incidents/" + iid)
        self.assertEqual(one.status, 200, one)
        body = one.json()
        self.assertEqual(body.get("id"), iid, body)
        self.assertEqual(body.get("reportIds"), [rid], body)
        self.assertIn(body.get("priority"), ("P1", "P2"), body)

        missing = self.stack.http("GET", "/v1/incidents/no-such-incident")
        self.assertEqual(missing.status, 404, missing)
        self.assertErrorBody(missing, "unknown incident")

    def test_2_protobuf_report_to_binary_console(self):
        ws = self.stack.ws(protocols=(PB_PROTO,))
        try:
            self.assertEqual(ws.protocol, PB_PROTO)
            first = ws.recv(5)
            self.assertEqual(first.kind, "binary", first)
            which, payload = decode_server_message(first.data)
            self.assertEqual(which, "snapshot")
            pb_decode(payload)  # well-formed

            body = encode_report("flood", "Banjir setinggi dada di Jl. Mahir Mahar, warga terjebak",
                                 -2.05, 113.75, phone="+6281298765432")
            resp = self.stack.http("POST", "/v1/reports", body,
                                   {"Content-Type": "application/x-protobuf"})
            self.assertEqual(resp.status, 202, resp)
            ctype = resp.header("content-type", "")
            if ctype.startswith("application/x-protobuf"):
                f = pb_decode(resp.body)
                rid = f[1][0].decode()
                self.assertTrue(f.get(2), "ReportAccepted without tracking token: %r" % f)
                self.assertEqual(f.get(3), [b"accepted"])
            else:
                rid = self.check_accepted(resp)["reportId"]
            self.assertTrue(rid)

            # Binary frames until an update whose incident names the report.
            seen = 0
            for _ in range(200):
                m = ws.recv(15)
                self.assertEqual(m.kind, "binary", "after %d frames: %r" % (seen, m))
                seen += 1
                which, payload = decode_server_message(m.data)
                if which != "update":
                    continue
                upd = decode_update(payload)
                if rid in upd["incident"]["report_ids"]:
                    break
            else:
                self.fail("no update naming %s in %d frames" % (rid, seen))
            self.assertIn(rid.encode(), m.data)
            self.assertTrue(upd["id"], "update id is filled in when read back")
            inc = upd["incident"]
            self.assertTrue(inc["id"])
            self.assertEqual(self.stack.r("HGET", harness.key("report:" + rid), "incident"),
                             inc["id"].encode())
        finally:
            ws.close()


if __name__ == "__main__":
    harness.main()
