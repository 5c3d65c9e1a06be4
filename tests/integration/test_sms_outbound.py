"""Replies to citizens by SMS: transition.lua queues them in the same call
that applies a report or a status change, and siagad's smsout sends them to
a (fake) Kannel sendsms, retrying a failing gateway without sending twice
and holding at most --sms-per-minute messages per number per minute."""
import http.server
import threading
import time
import urllib.parse

import harness
from harness import key, wait_until
from clients import json_messages_until
from wire import encode_report, f_bytes, f_varint

CHANNEL_SMS = 2
PER_MINUTE = 4


class FakeSendsms:
    """A sendsms endpoint on a free loopback port: records every request
    (time, path, decoded query) and answers 503 to the first N requests for a
    number when told to (503 unless told another status), 202 "Sent."
    otherwise, as Kannel does."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (monotonic time, wall time, path, {name: value}, status)
        self.failures = {}  # number -> [requests still to fail, status]
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
                with outer.lock:
                    left, fail_status = outer.failures.get(q.get("to"), (0, 503))
                    status = fail_status if left > 0 else 202
                    if left > 0:
                        outer.failures[q.get("to")] = (left - 1, fail_status)
                    outer.requests.append((time.monotonic(), time.time(), url.path, q, status))
                body = b"Sent." if status == 202 else b"Try later."
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/cgi-bin/sendsms?username=u&password=p" % self.port

    def fail(self, to, n, status=503):
        with self.lock:
            self.failures[to] = (n, status)

    def to(self, number, status=None):
        """Requests for one number, optionally only those answered `status`."""
        with self.lock:
            return [r for r in self.requests if r[3].get("to") == number and
                    (status is None or r[4] == status)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def sms_report(report_id, phone, lat, lon, description, category="fire"):
    """A packed Report as siagad stores it for an SMS: id, channel, reporter,
    location, text and receive time."""
    return (f_bytes(1, report_id) +
            encode_report(category, description, lat, lon, phone=phone, channel=CHANNEL_SMS) +
            f_varint(7, int(time.time() * 1000)))


def command(ws, request_id, **action):
    # "actor" is a forged name: the server must act as the signed-in account
    ws.send_json({"command": dict({"requestId": request_id, "actor": "Budi"}, **action)})
    reply = json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                                5, "reply %s" % request_id)[-1]["reply"]
    return reply


class SmsOutbound(harness.StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = FakeSendsms()
        cls.STACK = {"workers": 1, "siagad_args": ["--kannel-sendsms", cls.gw.url(),
                                                   "--sms-per-minute", str(PER_MINUTE)]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.gw.stop()

    def add_sms_report(self, report_id, phone, lat, lon, description="Kebakaran rumah, asap tebal"):
        self.stack.r("XADD", key("reports"), "*", "r", sms_report(report_id, phone, lat, lon, description))
        return wait_until(lambda: self.stack.r("HGET", key("report:" + report_id), "incident"),
                          15, "report %s triaged" % report_id).decode()

    def outbound(self, to):
        return [(eid, {k.decode(): v.decode() for k, v in f.items()})
                for eid, f in harness.stream_entries(self.stack, "sms:out")
                if f.get(b"to") == to.encode()]

    def log(self):
        with open(self.stack.siagad.log_path, "rb") as f:
            return f.read()

    def pending(self):
        return self.stack.r("XPENDING", key("sms:out"), "smsout")[0]

    def test_1_ack_for_an_sms_report(self):
        phone = "+6281100000001"
        incident = self.add_sms_report("r-sms-ack-1", phone, -2.2096, 113.9136)
        req = wait_until(lambda: self.gw.to(phone, 202), 15, "ack at the gateway")[0]
        _, _, path, q, _ = req
        self.assertEqual(path, "/cgi-bin/sendsms")
        self.assertEqual((q["username"], q["password"]), ("u", "p"))
        self.assertIn(incident, q["text"])
        self.assertTrue(q["text"].startswith("SIAGA 112: Laporan Anda diterima, nomor "), q["text"])
        self.assertLess(len(q["text"]), 160)
        self.assertNotIn("coding", q)  # plain GSM 7-bit text

        # The outbound entry carries what the brief's readers need, the
        # delivery report URL names it, and it is recorded and acknowledged.
        (eid, entry), = self.outbound(phone)
        self.assertEqual(entry, {"to": phone, "text": q["text"], "kind": "ack",
                                 "incident": incident, "report": "r-sms-ack-1"})
        self.assertEqual(q["dlr-mask"], "31")
        dlr = urllib.parse.urlsplit(q["dlr-url"])
        self.assertEqual(dlr.path, "/v1/sms/dlr")
        self.assertEqual(urllib.parse.parse_qs(dlr.query),
                         {"id": [eid], "status": ["%d"], "to": ["%p"]})
        sent = wait_until(lambda: self.stack.r("HGETALL", key("sms:sent:" + eid)), 5, "sent record")
        sent = dict(zip(sent[::2], sent[1::2]))
        self.assertEqual(sent[b"http_status"], b"202")
        self.assertEqual(sent[b"incident"], incident.encode())
        self.assertGreater(self.stack.r("TTL", key("sms:sent:" + eid)), 0)
        wait_until(lambda: self.pending() == 0, 5, "nothing pending")
        self.assertEqual(self.stack.r("SMEMBERS", key("incident:%s:sms" % incident)), [phone.encode()])

        # An app report with a phone number gets no SMS: the app shows it.
        r = self.stack.post_report(harness.json_report(301))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        wait_until(lambda: self.stack.r("HGET", key("report:" + rid), "incident"), 15, "app report triaged")
        time.sleep(1)
        self.assertEqual(self.gw.to(harness.json_report(301)["reporter"]["phone"]), [])
        self.assertEqual(len(self.gw.to(phone)), 1)

    def test_2_status_changes_reach_every_sms_reporter(self):
        first, second = "+6281100000002", "+6281100000003"
        incident = self.add_sms_report("r-sms-st-1", first, -2.2500, 113.9500,
                                       "Kebakaran gudang, ada orang terjebak")
        # A second SMS from nearby joins the same incident and is told so.
        self.assertEqual(self.add_sms_report("r-sms-st-2", second, -2.2501, 113.9501,
                                             "Api besar di gudang"), incident)
        wait_until(lambda: self.gw.to(first, 202) and self.gw.to(second, 202), 15, "both acks")

        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        status = lambda s: {"setStatus": {"incidentId": incident, "status": "INCIDENT_STATUS_" + s}}
        self.assertTrue(command(ws, "ack", **status("ACKNOWLEDGED")).get("ok"))
        self.assertTrue(command(ws, "disp", **status("DISPATCHED")).get("ok"))
        # The same status again is refused (no update, no SMS); a note changes
        # nothing for citizens.
        self.assertEqual(command(ws, "disp-again", **status("DISPATCHED")).get("errorCode"), "no_change")
        self.assertTrue(command(ws, "note", addNote={"incidentId": incident, "text": "Damkar OTW"}).get("ok"))
        for phone in (first, second):
            wait_until(lambda: len(self.gw.to(phone, 202)) == 2, 15, "dispatched message to %s" % phone)
            self.assertIn("menuju lokasi", self.gw.to(phone, 202)[1][3]["text"])
        self.assertTrue(command(ws, "close", **status("CLOSED")).get("ok"))
        for phone in (first, second):
            wait_until(lambda: len(self.gw.to(phone, 202)) == 3, 15, "closing message to %s" % phone)
            self.assertIn("selesai", self.gw.to(phone, 202)[2][3]["text"])
        ws.close()

        time.sleep(1.5)
        for phone in (first, second):
            kinds = [e["kind"] for _, e in self.outbound(phone)]
            self.assertEqual(kinds, ["ack", "dispatched", "closed"], phone)
            self.assertEqual(len(self.gw.to(phone)), 3, phone)
            for _, _, _, q, _ in self.gw.to(phone):
                self.assertIn(incident, q["text"])

    def test_3_failing_gateway_is_retried_and_delivers_once(self):
        phone = "+6281100000004"
        self.gw.fail(phone, 3)
        eid = self.stack.r("XADD", key("sms:out"), "*", "to", phone, "text",
                           "SIAGA 112: uji coba pengiriman ulang", "kind", "ack",
                           "incident", "PLK-999001", "report", "").decode()
        wait_until(lambda: self.gw.to(phone, 202), 30, "delivery after three 503s")
        reqs = self.gw.to(phone)
        self.assertEqual([r[4] for r in reqs], [503, 503, 503, 202])
        # Backoff: 1 s, 2 s, 4 s between attempts (with some slack).
        gaps = [b[0] - a[0] for a, b in zip(reqs, reqs[1:])]
        for gap, want in zip(gaps, (1, 2, 4)):
            self.assertGreater(gap, want * 0.8, gaps)
            self.assertLess(gap, want + 1.5, gaps)
        wait_until(lambda: self.stack.r("EXISTS", key("sms:sent:" + eid)), 5, "sent record")
        sent = self.stack.r("HGET", key("sms:sent:" + eid), "attempts")
        self.assertEqual(sent, b"4")
        self.assertEqual(self.stack.r("EXISTS", key("sms:try:" + eid)), 0)
        wait_until(lambda: self.pending() == 0, 5, "nothing pending")
        time.sleep(2)
        self.assertEqual(len(self.gw.to(phone)), 4)

        # A text outside GSM 7-bit asks Kannel for UCS-2.
        phone2 = "+6281100000005"
        self.stack.r("XADD", key("sms:out"), "*", "to", phone2, "text",
                     "Laporan diterima \u2014 terima kasih", "kind", "ack", "incident", "PLK-999002")
        q = wait_until(lambda: self.gw.to(phone2, 202), 10, "UCS-2 message")[0][3]
        self.assertEqual((q.get("coding"), q.get("charset")), ("2", "UTF-8"))
        self.assertEqual(q["text"], "Laporan diterima \u2014 terima kasih")

        # A refusal (4xx) is retried too, and counted apart from outages.
        phone3 = "+6281100000007"
        self.gw.fail(phone3, 1, 403)
        eid3 = self.stack.r("XADD", key("sms:out"), "*", "to", phone3, "text", "uji",
                            "kind", "ack", "incident", "PLK-999004").decode()
        wait_until(lambda: self.gw.to(phone3, 202), 10, "delivery after a 403")
        self.assertEqual([r[4] for r in self.gw.to(phone3)], [403, 202])
        wait_until(lambda: self.stack.r("HGET", key("sms:sent:" + eid3), "attempts") == b"2", 5,
                   "sent record after two attempts")

        # An entry that can never be sent goes to the dead stream at once.
        bad = self.stack.r("XADD", key("sms:out"), "*", "to", "not-a-number", "text", "x").decode()
        dead = wait_until(lambda: harness.stream_entries(self.stack, "sms:out:dead"), 10, "dead entry")
        self.assertEqual(dead[-1][1][b"entry"], bad.encode())
        wait_until(lambda: self.pending() == 0, 5, "nothing pending")

    def test_3z_metrics_agree_with_the_gateway(self):
        # Everything so far went through this one siagad: its counters are
        # what the gateway saw and what the streams hold.
        wait_until(lambda: self.pending() == 0, 10, "nothing pending")
        counts = {}
        for line in self.stack.http("GET", "/metrics", auth=False).body.decode().splitlines():
            if line.startswith("siaga_sms_out_"):
                name, value = line.split(" ")
                counts[name] = float(value)
        with self.gw.lock:
            statuses = [r[4] for r in self.gw.requests]
        self.assertEqual(counts["siaga_sms_out_sent_total"], statuses.count(202), counts)
        self.assertEqual(counts["siaga_sms_out_failed_total"], len(statuses) - statuses.count(202))
        self.assertEqual(counts["siaga_sms_out_dead_total"], self.stack.r("XLEN", key("sms:out:dead")))
        self.assertEqual(counts["siaga_sms_out_queued_total"], self.stack.r("XLEN", key("sms:out")))
        self.assertEqual(counts["siaga_sms_out_held"], 0)

    def test_4_per_number_limit(self):
        # Start early in a minute, so the window under test is one minute.
        if time.time() % 60 > 40:
            time.sleep(60.5 - time.time() % 60)
        phone = "+6281100000006"
        ids = [self.stack.r("XADD", key("sms:out"), "*", "to", phone, "text", "Pesan uji %d" % i,
                            "kind", "ack", "incident", "PLK-999003", "report", "").decode()
               for i in range(10)]
        minute = int(time.time() // 60)
        wait_until(lambda: len(self.gw.to(phone)) >= PER_MINUTE, 10, "the first messages")
        time.sleep(3)
        reqs = self.gw.to(phone)
        this_minute = [r for r in reqs if int(r[1] // 60) == minute]
        self.assertEqual(len(this_minute), PER_MINUTE, [r[3]["text"] for r in reqs])
        # In the order they were written, and the rest still pending.
        self.assertEqual([r[3]["text"] for r in this_minute], ["Pesan uji %d" % i for i in range(PER_MINUTE)])
        self.assertEqual(self.pending(), 10 - PER_MINUTE)
        self.assertIn(b"event=sms.out.held", self.log())

        # The siagad holding the rest dies; the next one takes its entries
        # over once they are idle (30 s), and the next minute takes the next
        # PER_MINUTE, never more.
        self.stack.siagad.kill()
        self.stack.start_siagad()
        wait_until(lambda: len(self.gw.to(phone)) >= 2 * PER_MINUTE, 110, "the next minute's messages")
        self.assertIn(b"event=sms.out.claimed", self.log())
        time.sleep(2)
        reqs = self.gw.to(phone)
        per_minute = {}
        for r in reqs:
            per_minute[int(r[1] // 60)] = per_minute.get(int(r[1] // 60), 0) + 1
        self.assertTrue(all(n <= PER_MINUTE for n in per_minute.values()), per_minute)
        self.assertEqual([r[3]["text"] for r in reqs], ["Pesan uji %d" % i for i in range(len(reqs))])
        self.assertEqual(len({r[3]["dlr-url"] for r in reqs}), len(reqs))  # no entry sent twice
        self.assertEqual(len(ids), 10)


if __name__ == "__main__":
    harness.main()
