"""SMS end to end through a real Kannel 1.4.5 (bearerbox, smsbox, fakesmsc).

KannelLoopback checks our Kannel configuration itself against a tiny HTTP
server in this process: MO messages reach the sms-service URLs (post-url and
get-url) with the headers and escapes siagad relies on, UCS-2 arrives as
UTF-16BE, our HTTP answer never becomes an SMS, and sendsms MT messages reach
the handset (fakesmsc), UCS-2 included.

KannelSiaga runs the real thing: Kannel forwards MO messages to siagad's
/v1/sms/kannel, a worker triages them into incidents that a console sees, and
siagad's outbound sender (--kannel-sendsms) sends the acknowledgement back
through Kannel's sendsms to the citizen's handset.

Fails when Kannel is not installed (scripts/deps --test installs it).
"""
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

import harness
import kannel
from harness import JSON_PROTO, json_messages_until, wait_until
from wire import REPORT_CHANNEL, REPORT_DESCRIPTION, REPORT_REPORTER, REPORTER_PHONE, \
    pb_decode, pb_first

KANNEL_OK, KANNEL_WHY = kannel.available()
if not KANNEL_OK:
    # scripts/test installs Kannel (packages kannel, kannel-extras): a
    # missing Kannel is a broken set-up, and a skipped test would hide it.
    sys.exit("test_kannel_e2e: " + KANNEL_WHY)

CITIZEN = "+6281234567890"
SHORT_CODE = "112"
GET_CODE = "1129"   # receiver routed to the get-url service
FIRE_SMS = "kbakaran rumah di jln tjilik riwut km 5, ada anak terjebak, tlg sgr"
UCS2_SMS = "Banjir — warga terjebak di atap 🙏 tolong"
CHANNEL_SMS = 2
SECRET = "uji-rahasia-webhook"

# Generous bounds: a loaded 2-core machine running ASan builds.
MO_TIMEOUT = 30.0
INCIDENT_TIMEOUT = 45.0
MT_TIMEOUT = 60.0


class Recorder(http.server.ThreadingHTTPServer):
    """Records every request (method, path, query, headers, body); answers
    200 "OK" so that a misconfigured service would turn it into an SMS."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _RecorderHandler)
        self.requests, self.lock = [], threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def wait(self, pred, timeout, what):
        def find():
            return next((r for r in self.snapshot() if pred(r)), None)
        try:
            return wait_until(find, timeout, what, interval=0.05)
        except AssertionError as e:
            raise AssertionError("%s; requests so far: %r" % (e, self.snapshot()))

    def close(self):
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class _RecorderHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _record(self, body):
        u = urllib.parse.urlsplit(self.path)
        rec = {"method": self.command, "path": u.path,
               "query": urllib.parse.parse_qs(u.query, keep_blank_values=True, encoding="latin-1"),
               "raw_query": u.query,
               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        with self.server.lock:
            self.server.requests.append(rec)
        out = b"OK"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except OSError:  # the gateway gave up on us; the request is recorded
            pass

    def do_GET(self):
        self._record(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._record(self.rfile.read(n) if n else b"")

    def log_message(self, *args):
        pass


def get_service(base, text="hex=%e"):
    """A get-url sms-service for MO messages sent to GET_CODE, with the query
    names of README "SMS" (config/kannel/kannel.conf). The text goes as
    hex=%e (hex of the original bytes): text=%b percent-encodes them, and a
    UCS-2 message then carries %00 in the query, which libwebsockets drops
    without an answer."""
    return {"name": "siaga-get", "keyword-regex": ".*", "catch-all": True,
            "allowed-receiver-prefix": GET_CODE,
            "get-url": base + "&from=%p&to=%P&charset=%C&coding=%c&time=%t&smsc=%i&" + text,
            "max-messages": 0, "omit-empty": True}


def post_service(url):
    """The default sms-service: every other MO, POSTed raw with the sender."""
    return {"name": "siaga-post", "keyword": "default", "post-url": url, "send-sender": True,
            "max-messages": 0, "omit-empty": True}


def sendsms(k, to, text, **extra):
    q = {"to": to, "text": text}
    q.update(extra)
    url = k.sendsms_url() + "&" + urllib.parse.urlencode(q)
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode(errors="replace")


class KannelLoopback(unittest.TestCase):
    """Kannel against a recorder: proves the configuration both ways."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="siaga-it-kannel-loop-")
        cls.rec = Recorder()
        base = "http://127.0.0.1:%d" % cls.rec.port
        cls.k = kannel.Kannel(cls.tmp, [get_service(base + "/get?id=%I", "text=%b&hex=%e"),
                                        post_service(base + "/post?id=%I")])
        try:
            cls.k.start()
        except BaseException:
            cls.rec.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.k.stop()
        finally:
            cls.rec.close()
        if cls._failed:
            sys.stderr.write("\n==== Kannel logs (kept in %s) ====\n%s\n" % (cls.tmp, cls.k.tails()))
        elif not os.environ.get("SIAGA_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    _failed = False

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result is not None else 0
        r = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
        return r

    def test_1_post_url_mo(self):
        self.k.send_text(CITIZEN, SHORT_CODE, FIRE_SMS)
        r = self.rec.wait(lambda r: r["path"] == "/post" and r["body"] == FIRE_SMS.encode(),
                          MO_TIMEOUT, "the MO POSTed to the service")
        self.assertEqual(r["method"], "POST")
        h = r["headers"]
        self.assertEqual(h.get("x-kannel-from"), CITIZEN, h)
        self.assertEqual(h.get("x-kannel-to"), SHORT_CODE, h)
        self.assertEqual(h.get("x-kannel-coding"), "0", h)
        self.assertEqual(h.get("x-kannel-smsc"), "fake", h)
        self.assertEqual(h.get("content-type"), 'text/plain; charset="UTF-8"', h)
        self.assertRegex(h.get("x-kannel-time", ""), r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        ids = r["query"].get("id", [])
        self.assertEqual(len(ids), 1, r)
        self.assertTrue(ids[0], r)

    def test_2_post_url_ucs2(self):
        self.k.send_ucs2(CITIZEN, SHORT_CODE, UCS2_SMS)
        want = UCS2_SMS.encode("utf-16-be")
        r = self.rec.wait(lambda r: r["path"] == "/post" and r["body"] == want,
                          MO_TIMEOUT, "the UCS-2 MO POSTed as UTF-16BE")
        self.assertEqual(r["headers"].get("x-kannel-coding"), "2", r)
        self.assertEqual(r["headers"].get("content-type"), 'text/plain; charset="UTF-16BE"', r)
        self.assertEqual(r["body"].decode("utf-16-be"), UCS2_SMS)

    def test_3_get_url_mo(self):
        self.k.send_text(CITIZEN, GET_CODE, FIRE_SMS)
        r = self.rec.wait(lambda r: r["path"] == "/get" and
                          r["query"].get("text") == [FIRE_SMS], MO_TIMEOUT,
                          "the MO as a GET to the get-url service")
        q = r["query"]
        self.assertEqual(bytes.fromhex(q["hex"][0]).decode("utf-8"), FIRE_SMS, r)
        self.assertEqual(q.get("from"), [CITIZEN], r)
        self.assertEqual(q.get("to"), [GET_CODE], r)
        self.assertEqual(q.get("coding"), ["0"], r)
        self.assertTrue(q.get("id", [""])[0], r)
        self.assertRegex(q.get("time", [""])[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$")

    def test_4_get_url_ucs2(self):
        self.k.send_ucs2(CITIZEN, GET_CODE, UCS2_SMS)

        def decoded(r):
            if r["path"] != "/get" or r["query"].get("coding") != ["2"]:
                return False
            # %b is form-encoded: a 0x20 byte, even inside a UTF-16 unit, is "+".
            enc = dict(p.split("=", 1) for p in r["raw_query"].split("&") if "=" in p)["text"]
            raw = urllib.parse.unquote_to_bytes(enc.replace("+", " "))
            return raw.decode(r["query"]["charset"][0], "replace") == UCS2_SMS
        r = self.rec.wait(decoded, MO_TIMEOUT, "the UCS-2 MO as a GET, %b in UTF-16BE")
        self.assertEqual(r["query"].get("charset"), ["UTF-16BE"], r)
        self.assertIn("%00", r["raw_query"])  # why siagad needs hex=%e
        self.assertEqual(bytes.fromhex(r["query"]["hex"][0]).decode("utf-16-be"), UCS2_SMS)

    def test_5_sendsms_mt_and_no_reply_sms(self):
        status, body = sendsms(self.k, CITIZEN, "Laporan diterima: PLK-000001", **{"from": SHORT_CODE})
        self.assertEqual(status, 202, body)
        mt = self.k.wait_mt(lambda m: m.text == "Laporan diterima: PLK-000001", MT_TIMEOUT,
                            "the sendsms MT at fakesmsc")
        self.assertEqual((mt.sender, mt.receiver, mt.kind), (SHORT_CODE, CITIZEN, "text"))

        text = "Petugas menuju lokasi — PLK-000002"
        status, body = sendsms(self.k, CITIZEN, text, coding="2", charset="UTF-8")
        self.assertEqual(status, 202, body)
        mt = self.k.wait_mt(lambda m: m.text == text, MT_TIMEOUT, "the UCS-2 sendsms MT")
        self.assertEqual(mt.kind, "ucs-2", mt)
        self.assertEqual(mt.sender, SHORT_CODE, mt)  # the sendsms-user's default-sender

        # The recorder answered every MO with 200 "OK": with max-messages = 0
        # none of those answers may reach a handset. Give a late one time.
        time.sleep(2.0)
        self.assertEqual(sorted(m.text for m in self.k.mt_messages()),
                         sorted(["Laporan diterima: PLK-000001", text]),
                         self.k.mt_messages())


class KannelSiaga(unittest.TestCase):
    """Kannel -> siagad -> worker -> console, and the acknowledgement SMS
    back through siagad's outbound sender and Kannel's sendsms."""

    @classmethod
    def setUpClass(cls):
        cls.k = None
        # Ports first: Kannel needs siagad's port, siagad Kannel's sendsms URL.
        # Kannel's files live in the stack's directory (kept on failure).
        cls.stack = harness.Stack(name=cls.__name__, workers=1)
        cls.k = kannel.Kannel(cls.stack.tmp, [], smsbox_extra={"http-request-retry": 5,
                                                               "http-queue-delay": 1})
        cls.stack.siagad_args = ["--kannel-sendsms", cls.k.sendsms_url(),
                                 "--webhook-secret", SECRET]
        base = "http://127.0.0.1:%d/v1/sms/kannel?secret=%s&id=%%I" % (cls.stack.http_port, SECRET)
        cls.k.services = [get_service(base), post_service(base)]
        try:
            cls.stack.start()
            cls.k.start()
        except BaseException:
            cls._stop()
            raise
        # Kannel's logs are printed with the stack's by harness.main().
        cls.stack.all_procs.extend(cls.k.procs)

    @classmethod
    def _stop(cls):
        try:
            if cls.k is not None:
                cls.k.stop()
        finally:
            if cls.stack is not None:
                cls.stack.stop()

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    # -- helpers
    def report(self, rid):
        """The stored Report of `rid` from the reports stream, decoded."""
        sid = self.stack.r("HGET", harness.key("report:" + rid), "stream_id")
        self.assertIsNotNone(sid, "no report:%s hash" % rid)
        entries = harness.stream_entries(self.stack, "reports", sid.decode(), sid.decode())
        self.assertEqual(len(entries), 1, entries)
        f = pb_decode(entries[0][1][b"r"])
        reporter = pb_decode(pb_first(f, REPORT_REPORTER, b""))
        return {"channel": pb_first(f, REPORT_CHANNEL, 0),
                "description": pb_first(f, REPORT_DESCRIPTION, b"").decode("utf-8"),
                "phone": pb_first(reporter, REPORTER_PHONE, b"").decode()}

    def find_report(self, pred, timeout, what):
        """Waits for a report in the stream with pred(decoded report) true."""
        def scan():
            for _, fields in harness.stream_entries(self.stack, "reports"):
                f = pb_decode(fields[b"r"])
                rep = {"id": pb_first(f, 1, b"").decode(),
                       "channel": pb_first(f, REPORT_CHANNEL, 0),
                       "description": pb_first(f, REPORT_DESCRIPTION, b"").decode("utf-8",
                                                                                  "replace")}
                if pred(rep):
                    return rep
            return None
        return wait_until(scan, timeout, what, interval=0.2)

    def console(self):
        ws = self.stack.ws(protocols=(JSON_PROTO,))
        first = ws.recv_json(10)
        self.assertEqual(list(first), ["snapshot"], first)
        return ws

    # -- tests
    def test_1_fire_sms_to_incident_and_ack(self):
        ws = self.console()
        try:
            self.k.send_text(CITIZEN, SHORT_CODE, FIRE_SMS)

            def fire(msg):
                inc = msg.get("update", {}).get("incident", {})
                return inc.get("category") == "fire" and inc.get("reportIds")
            msgs = json_messages_until(ws, fire, INCIDENT_TIMEOUT, "a fire incident from the SMS")
        finally:
            ws.close()
        upd = msgs[-1]["update"]
        inc = upd["incident"]
        self.assertEqual(upd["kind"], "UPDATE_KIND_CREATED", upd)
        self.assertIn(inc.get("priority"), ("P1", "P2"), inc)
        self.assertRegex(inc.get("id", ""), r"^PLK-\d+$", inc)
        self.assertEqual(len(inc["reportIds"]), 1, inc)
        rep = self.report(inc["reportIds"][0])
        self.assertEqual(rep["channel"], CHANNEL_SMS, rep)
        self.assertEqual(rep["description"], FIRE_SMS, rep)
        self.assertEqual(rep["phone"], CITIZEN, rep)

        # The acknowledgement SMS, back at the citizen's handset.
        mt = self.k.wait_mt(lambda m: m.receiver == CITIZEN and inc["id"] in m.text,
                            MT_TIMEOUT, "an SMS to %s naming %s" % (CITIZEN, inc["id"]))
        self.assertTrue(mt.text.strip(), mt)

        # Its outbound entry was recorded as sent, and Kannel's delivery
        # report (dlr-url, with the webhook secret) came back to siagad.
        out = [(eid, f) for eid, f in harness.stream_entries(self.stack, "sms:out")
               if f.get(b"to") == CITIZEN.encode() and f.get(b"incident") == inc["id"].encode()]
        self.assertEqual(len(out), 1, out)
        eid = out[0][0]
        sent = wait_until(lambda: self.stack.r("HGETALL", harness.key("sms:sent:" + eid)),
                          MT_TIMEOUT, "sms:sent:%s" % eid)
        self.assertIn(b"http_status", sent[::2], sent)
        status = wait_until(lambda: self.stack.r("HGET", harness.key("sms:dlr:" + eid), "status"),
                            MT_TIMEOUT, "a delivery report for %s" % eid)
        self.assertIn(status, (b"1", b"8"), status)  # delivered, or accepted by the SMSC

    def test_2_ucs2_sms_is_utf8_in_the_report(self):
        sender = "+6281200000002"
        self.k.send_ucs2(sender, SHORT_CODE, UCS2_SMS)
        rep = self.find_report(lambda r: r["description"] == UCS2_SMS, MO_TIMEOUT,
                               "the UCS-2 SMS stored as UTF-8 text")
        full = self.report(rep["id"])
        self.assertEqual(full["channel"], CHANNEL_SMS, full)
        self.assertEqual(full["phone"], sender, full)

    def test_3_get_url_form(self):
        sender = "+6281200000003"
        text = "ada kecelakaan motor di jln g obos, korban tidak sadar"
        self.k.send_text(sender, GET_CODE, text)
        rep = self.find_report(lambda r: r["description"] == text, MO_TIMEOUT,
                               "the SMS forwarded by the get-url service")
        full = self.report(rep["id"])
        self.assertEqual(full["channel"], CHANNEL_SMS, full)
        self.assertEqual(full["phone"], sender, full)

    def test_4_get_url_ucs2(self):
        sender = "+6281200000004"
        text = "Pohon tumbang — mobil tertimpa 😢"
        self.k.send_ucs2(sender, GET_CODE, text)
        rep = self.find_report(lambda r: r["description"] == text, MO_TIMEOUT,
                               "the UCS-2 SMS through get-url stored as UTF-8 text")
        self.assertEqual(self.report(rep["id"])["phone"], sender)

    def test_5_one_report_per_kannel_message(self):
        # Every MO so far made exactly one report (Kannel's retries, if any,
        # carry the same %I and must not duplicate).
        descs = [pb_first(pb_decode(f[b"r"]), REPORT_DESCRIPTION, b"").decode("utf-8", "replace")
                 for _, f in harness.stream_entries(self.stack, "reports")]
        for text in (FIRE_SMS, UCS2_SMS):
            self.assertLessEqual(descs.count(text), 1, json.dumps(descs, ensure_ascii=False))

    def test_6_dispatcher_replies_by_sms(self):
        # The incident test_1's citizen reported into (the phone map names it).
        inc_id = wait_until(lambda: self.stack.r("GET", harness.key("phone:" + CITIZEN)),
                            INCIDENT_TIMEOUT, "the citizen's incident").decode()
        ws = self.console()
        try:
            def reply(rid, **action):
                ws.send_json({"command": dict({"requestId": rid}, replySms=dict(
                    {"incidentId": inc_id}, **action))})
                return json_messages_until(
                    ws, lambda m: m.get("reply", {}).get("requestId") == rid, 10, rid)[-1]["reply"]

            text = "Damkar sudah berangkat, tetap di luar rumah. Balas jika ada yang terjebak."
            rep = reply("sms-all", text=text)
            self.assertTrue(rep.get("ok"), rep)
            self.assertEqual(rep["incident"]["notes"][-1]["text"], "SMS ke semua pelapor: " + text)
            self.assertEqual(rep["incident"]["notes"][-1]["author"], harness.DISPATCHER)
            mt = self.k.wait_mt(lambda m: m.receiver == CITIZEN and "tetap di luar rumah" in m.text,
                                MT_TIMEOUT, "the dispatcher's SMS at the citizen's handset")
            self.assertIn("Damkar sudah berangkat", mt.text)

            rep = reply("sms-one", text="Apakah semua sudah keluar?", phone=CITIZEN)
            self.assertTrue(rep.get("ok"), rep)
            self.k.wait_mt(lambda m: m.receiver == CITIZEN and "semua sudah keluar" in m.text,
                           MT_TIMEOUT, "the SMS to one number")
            before = self.stack.xlen("sms:out")
            rep = reply("sms-stranger", text="halo", phone="+6289999999999")
            self.assertEqual(rep.get("errorCode"), "unknown_phone", rep)
            rep = reply("sms-empty", text="")
            self.assertEqual(rep.get("errorCode"), "bad_command", rep)
            self.assertEqual(self.stack.xlen("sms:out"), before, "a refused reply queued an SMS")
        finally:
            ws.close()


if __name__ == "__main__":
    harness.main()
