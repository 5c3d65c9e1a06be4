"""A citizen follows their own report: GET /v1/reports/{id}?token= and the
WebSocket /v1/follow. Right token, wrong token, unknown report (alike), the
status words through acknowledged and dispatched, the live push, a report
whose incident was merged away, and what is never shown."""
import json

import harness
from harness import json_report, key, wait_until
from clients import ws_handshake
from wire import f_varint

FOLLOW_PROTO = "siaga.follow.v1.json"


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


def reply_for(ws, request_id, timeout=5):
    msg = harness.json_messages_until(
        ws, lambda m: m.get("reply", {}).get("requestId") == request_id, timeout,
        "reply %s" % request_id)[-1]
    return msg["reply"]


class Follow(harness.StackTestCase):
    STACK = {"workers": 1}

    def report(self, i, key_=None, **kw):
        body = json_report(i, **kw)
        headers = {"Idempotency-Key": key_} if key_ else None
        r = self.stack.post_report(body, headers)
        self.assertEqual(r.status, 202, r)
        return r.json()

    def status(self, rid, token):
        return self.stack.http("GET", "/v1/reports/%s?token=%s" % (rid, token), auth=False)

    def filed(self, rid, token):
        def ok():
            r = self.status(rid, token)
            return r.json() if r.status == 200 and r.json().get("incidentId") else None
        return wait_until(ok, 15, "report %s filed" % rid)

    def set_status(self, incident_id, status):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        command(ws, "s-" + status, setStatus={"incidentId": incident_id,
                                              "status": "INCIDENT_STATUS_" + status})
        rep = reply_for(ws, "s-" + status)
        self.assertTrue(rep.get("ok"), rep)
        ws.close()

    def follow(self, rid, token):
        hs = ws_handshake(self.stack.http_port, "/v1/follow?report=%s&token=%s" % (rid, token),
                          (FOLLOW_PROTO,), 5)
        self.assertIsNotNone(hs.ws, "follow upgrade refused: %s %r" % (hs.status, hs.headers))
        return hs.ws

    def test_right_token_gives_status_words_and_nothing_else(self):
        acc = self.report(1, key_="follow-1")
        # The app's reports carry an Idempotency-Key: they can be followed
        # at once, before a worker files them.
        got = self.filed(acc["reportId"], acc["trackingToken"])
        self.assertEqual(got["reportId"], acc["reportId"])
        self.assertTrue(got["incidentId"].startswith("PLK-"), got)
        self.assertEqual(got["status"], "received")
        self.assertEqual(got["statusText"]["id"], "Laporan diterima pusat 112")
        self.assertEqual(got["statusText"]["en"], "Report received by the 112 centre")
        self.assertGreater(int(got["updatedAtMs"]), 0)
        # Only these fields: no priority, notes, numbers, other reporters.
        self.assertEqual(set(got), {"reportId", "incidentId", "status", "statusText", "updatedAtMs"})
        raw = json.dumps(got)
        self.assertNotIn("+62", raw)
        self.assertNotIn("priority", raw)

        self.set_status(got["incidentId"], "ACKNOWLEDGED")
        got = self.status(acc["reportId"], acc["trackingToken"]).json()
        self.assertEqual(got["status"], "assessing")
        self.set_status(got["incidentId"], "DISPATCHED")
        got = self.status(acc["reportId"], acc["trackingToken"]).json()
        self.assertEqual(got["status"], "on_the_way")
        self.assertEqual(got["statusText"]["id"], "Bantuan sedang menuju lokasi")
        self.set_status(got["incidentId"], "RESOLVED")
        got = self.status(acc["reportId"], acc["trackingToken"]).json()
        self.assertEqual(got["status"], "handled")

    def test_followable_before_it_is_filed(self):
        # The index holds the token from the append on (ingest.lua), so a
        # report the worker has not read yet is "received", not unknown.
        self.stack.workers[0].stop()
        try:
            acc = self.report(2, key_="follow-2")
            r = self.status(acc["reportId"], acc["trackingToken"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["status"], "received")
            self.assertNotIn("incidentId", r.json())
        finally:
            self.stack.workers[0] = self.stack.start_worker(1)
        self.filed(acc["reportId"], acc["trackingToken"])

    def test_wrong_token_is_answered_as_an_unknown_report(self):
        acc = self.report(3, key_="follow-3")
        self.filed(acc["reportId"], acc["trackingToken"])
        tok = acc["trackingToken"]
        wrong = ("A" if tok[0] != "A" else "B") + tok[1:]
        unknown_id = acc["reportId"][:-4] + ("ZZZZ" if not acc["reportId"].endswith("ZZZZ") else "YYYY")
        answers = [self.status(acc["reportId"], wrong), self.status(unknown_id, tok),
                   self.status(acc["reportId"], ""), self.status(acc["reportId"], tok + "x"),
                   self.stack.http("GET", "/v1/reports/%s" % acc["reportId"], auth=False),
                   self.status("../../etc", tok)]
        for r in answers:
            self.assertEqual(r.status, 404, r)
            self.assertErrorBody(r)
        # Byte for byte the same answer for the first two.
        self.assertEqual(answers[0].body, answers[1].body)
        # And the same Redis work: one script call reading two hashes, for a
        # wrong token as for an unknown report (so the same time).
        def work():
            info = self.stack.r("INFO", "commandstats").decode()
            calls = {}
            for line in info.splitlines():
                if line.startswith("cmdstat_"):
                    name, rest = line[len("cmdstat_"):].split(":", 1)
                    calls[name] = int(rest.split("calls=")[1].split(",")[0])
            return calls.get("evalsha", 0), calls.get("hmget", 0)
        costs = []
        for rid, t in ((acc["reportId"], wrong), (unknown_id, tok)):
            before = work()
            self.assertEqual(self.status(rid, t).status, 404)
            after = work()
            costs.append((after[0] - before[0], after[1] - before[1]))
        self.assertEqual(costs[0], costs[1])
        self.assertEqual(costs[0], (1, 2))
        self.assertEqual(self.stack.http("POST", "/v1/reports/%s?token=%s" % (acc["reportId"], tok),
                                         {}, auth=False).status, 405)

    def test_websocket_pushes_each_change(self):
        acc = self.report(4, key_="follow-4")
        got = self.filed(acc["reportId"], acc["trackingToken"])
        ws = self.follow(acc["reportId"], acc["trackingToken"])
        first = ws.recv_json(5)
        self.assertEqual(first["status"], "received")
        self.assertEqual(first["incidentId"], got["incidentId"])
        self.set_status(got["incidentId"], "ACKNOWLEDGED")
        self.assertEqual(ws.recv_json(5)["status"], "assessing")
        self.set_status(got["incidentId"], "DISPATCHED")
        msg = ws.recv_json(5)
        self.assertEqual(msg["status"], "on_the_way")
        self.assertEqual(msg["statusText"]["en"], "Help is on the way")
        self.assertEqual(set(msg), {"reportId", "incidentId", "status", "statusText", "updatedAtMs"})
        ws.close()

    def test_websocket_follows_a_report_from_before_it_is_filed(self):
        self.stack.workers[0].stop()
        try:
            acc = self.report(5, key_="follow-5")
            ws = self.follow(acc["reportId"], acc["trackingToken"])
            first = ws.recv_json(5)
            self.assertEqual(first["status"], "received")
            self.assertNotIn("incidentId", first)
        finally:
            self.stack.workers[0] = self.stack.start_worker(1)
        # Filed: the same status word, so nothing is pushed; acknowledging is.
        got = self.filed(acc["reportId"], acc["trackingToken"])
        self.set_status(got["incidentId"], "ACKNOWLEDGED")
        msg = ws.recv_json(10)
        self.assertEqual(msg["status"], "assessing")
        self.assertEqual(msg["incidentId"], got["incidentId"])
        ws.close()

    def test_websocket_refusals(self):
        acc = self.report(6, key_="follow-6")
        self.filed(acc["reportId"], acc["trackingToken"])
        tok = acc["trackingToken"]
        wrong = ("A" if tok[0] != "A" else "B") + tok[1:]
        for path in ("/v1/follow?report=%s&token=%s" % (acc["reportId"], wrong),
                     "/v1/follow?report=r-nope&token=%s" % tok, "/v1/follow"):
            hs = ws_handshake(self.stack.http_port, path, (FOLLOW_PROTO,), 5)
            self.assertIsNotNone(hs.ws, path)
            m = hs.ws.recv(5)
            self.assertEqual(m.kind, "close", m)
            self.assertEqual(m.code, 4004, m)
            hs.ws.sock.close()
        hs = ws_handshake(self.stack.http_port, "/v1/follow?report=%s&token=%s" % (acc["reportId"], tok),
                          ("siaga.console.v1.json",), 5)
        self.assertIsNone(hs.ws)
        self.assertEqual(hs.status, 400)

    def test_merged_incident_is_followed_to_the_survivor(self):
        # A dispatcher's merge leaves merged_into=<survivor> on the hash of
        # the incident merged away (merge.lua); report_status.lua follows it.
        a = self.report(7, key_="follow-7a")
        b = self.report(30, key_="follow-7b")
        ga = self.filed(a["reportId"], a["trackingToken"])
        gb = self.filed(b["reportId"], b["trackingToken"])
        self.assertNotEqual(ga["incidentId"], gb["incidentId"])
        self.set_status(gb["incidentId"], "DISPATCHED")
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        command(ws, "merge", merge={"incidentId": ga["incidentId"], "intoIncidentId": gb["incidentId"]})
        rep = reply_for(ws, "merge")
        self.assertTrue(rep.get("ok"), rep)
        got = self.status(a["reportId"], a["trackingToken"]).json()
        self.assertEqual(got["incidentId"], gb["incidentId"])
        self.assertEqual(got["status"], "on_the_way")
        self.assertEqual(got["reportId"], a["reportId"])
        # Unmerged: followed to its own incident again.
        command(ws, "unmerge", unmerge={"incidentId": ga["incidentId"]})
        self.assertTrue(reply_for(ws, "unmerge").get("ok"))
        got = self.status(a["reportId"], a["trackingToken"]).json()
        self.assertEqual(got["incidentId"], ga["incidentId"])
        ws.close()


    def incident(self, rid):
        def applied():
            v = self.stack.r("HGET", key("report:" + rid), "incident")
            return v.decode() if v else None
        iid = wait_until(applied, 15, "incident of %s" % rid)
        return self.stack.http("GET", "/v1/incidents/" + iid).json()

    def test_rate_limits_flag_app_reports_and_drop_none(self):
        # Per number, as SMS: the 11th report in 10 minutes is flagged (the
        # counter is the SMS one: one number, one reporter).
        phone = "+6281399990001"
        rids = []
        for i in range(11):
            body = json_report(500, description="Kebakaran ruko, api besar (%d)" % i)
            body["reporter"]["phone"] = phone
            r = self.stack.post_report(body)
            self.assertEqual(r.status, 202, r)  # never refused
            rids.append(r.json()["reportId"])
        inc = self.incident(rids[-1])
        rules = {x["rule"]: x for x in inc["reasons"]}
        self.assertIn("flag.rate_limited", rules)
        self.assertEqual(rules["flag.rate_limited"].get("points", 0), 0)  # informs, never scores
        self.assertEqual(int(self.stack.r("GET", key("sms:rate:" + phone))), 11)
        first = self.incident(rids[0])
        self.assertEqual(first["id"], inc["id"])
        # Per address: many phones behind one address (CGNAT) get a higher
        # limit, then the flag.
        used = int(self.stack.r("GET", key("app:rate:127.0.0.1")) or 0)
        last = None
        for i in range(max(0, 31 - used)):
            body = json_report(600 + i, description="Pohon tumbang menutup jalan")
            r = self.stack.post_report(body)
            self.assertEqual(r.status, 202, r)
            last = r.json()["reportId"]
        rules = {x["rule"] for x in self.incident(last)["reasons"]}
        self.assertIn("flag.rate_limited_address", rules)
        self.assertNotIn("flag.rate_limited", rules)


class FollowGap(harness.StackTestCase):
    """A status change the hub never read (trimmed while siagad stalled) is
    not lost for a citizen: the hub's lost event makes every follower read
    its report again."""

    def test_followers_read_again_after_lost_updates(self):
        import os
        import signal
        from test_slow_console import update_bytes
        acc = self.stack.post_report(json_report(1), {"Idempotency-Key": "gap-1"}).json()
        rid, tok = acc["reportId"], acc["trackingToken"]

        def filed():
            r = self.stack.http("GET", "/v1/reports/%s?token=%s" % (rid, tok), auth=False)
            return r.json() if r.status == 200 and r.json().get("incidentId") else None
        got = wait_until(filed, 15, "filed")
        hs = ws_handshake(self.stack.http_port, "/v1/follow?report=%s&token=%s" % (rid, tok),
                          (FOLLOW_PROTO,), 5)
        ws = hs.ws
        self.assertEqual(ws.recv_json(5)["status"], "received")
        pid = self.stack.siagad.p.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            with self.stack.redis(timeout=30) as r:
                # The incident is acknowledged where siagad cannot see it (its
                # update is among those trimmed unread)...
                k = key("incident:" + got["incidentId"])
                r("HSET", k, "pb", r("HGET", k, "pb") + f_varint(2, 2))
                for i in range(1, 1001):
                    r("XADD", key("updates"), "MAXLEN", "300", "*", "u", update_bytes(i))
        finally:
            os.kill(pid, signal.SIGCONT)
        # ... and the citizen hears of it all the same.
        msg = harness.json_messages_until(ws, lambda m: m.get("status") == "assessing", 20,
                                          "assessing after the gap")[-1]
        self.assertEqual(msg["incidentId"], got["incidentId"])
        ws.close()


class LinkStack(harness.Stack):
    """Workers that know siagad's public URL (siaga-worker --public-url)."""

    def start_worker(self, i):
        argv = [self.worker_bin, "--redis", "127.0.0.1:%d" % self.redis_port, "--consumer",
                "w%d" % i, "--public-url", "http://127.0.0.1:%d" % self.http_port]
        w = self._spawn("worker-w%d" % i, argv)
        self.workers.append(w)
        return w


class SmsLink(harness.StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = LinkStack(name=cls.__name__, workers=1).start()

    def test_sms_acknowledgement_links_to_the_page_in_one_sms(self):
        rid = self.post_sms("+6281377770001", "kebakaran rumah di jl. rajawali, api besar")
        def acked():
            for _, f in harness.stream_entries(self.stack, "sms:out"):
                if f[b"report"].decode() == rid:
                    return f[b"text"].decode()
            return None
        text = wait_until(acked, 15, "acknowledgement of %s" % rid)
        token = self.stack.r("HGET", key("report:" + rid), "token").decode()
        link = "http://127.0.0.1:%d/l/%s.%s" % (self.stack.http_port, rid, token)
        self.assertIn(link, text)
        self.assertIn("PLK-", text)
        self.assertIn("Balas", text)  # still invites a reply
        self.assertLessEqual(len(text), 160)  # one SMS (the text is plain GSM 7-bit)
        r = self.stack.http("GET", link[len("http://127.0.0.1:%d" % self.stack.http_port):], auth=False)
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("location"), "/lapor/#%s.%s" % (rid, token))
        got = self.stack.http("GET", "/v1/reports/%s?token=%s" % (rid, token), auth=False)
        self.assertEqual(got.status, 200, got)
        # A link that cannot be ours; a well-formed one is redirected without
        # a lookup (the page then finds the report, or not).
        self.assertEqual(self.stack.http("GET", "/l/%s.%s" % (rid, "x" * 21 + "!"), auth=False).status, 404)
        self.assertEqual(self.stack.http("GET", "/l/nothing", auth=False).status, 404)


if __name__ == "__main__":
    harness.main()
