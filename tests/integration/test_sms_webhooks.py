"""SMS webhooks: the contract with Kannel (get-url and post-url), Twilio, the
generic JSON, and Kannel delivery reports. Reports are read back from the
reports stream and decoded from protobuf, so the tests check what the
workers will really see."""
import base64
import hashlib
import hmac
import json
import struct
import urllib.parse

import harness
from harness import key, stream_entries, pb_decode, pb_first

CHANNEL_SMS, CHANNEL_AML = 2, 3
SOURCE_AML, SOURCE_TEXT, SOURCE_GAZETTEER = 2, 3, 4
# An em dash and an emoji (outside the BMP: a surrogate pair in UTF-16).
UNICODE_TEXT = "Tolong \u2014 rumah terbakar \U0001F525 di Jl. Tjilik Riwut"
AML_V1 = ('A"ML=1;lt=-2.20960;lg=113.91360;rd=25;top=20261128083000;lc=68;pm=G;'
          'si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=124')


def as_double(b):
    return struct.unpack("<d", b)[0] if b is not None else 0.0


def decode_report(buf):
    f = pb_decode(buf)
    rep = pb_decode(pb_first(f, 3, b""))
    loc_b = pb_first(f, 4)
    loc = None
    if loc_b is not None:
        lf = pb_decode(loc_b)
        loc = {"lat": as_double(pb_first(lf, 1)), "lon": as_double(pb_first(lf, 2)),
               "accuracy_m": as_double(pb_first(lf, 3)),
               "address": pb_first(lf, 4, b"").decode(), "source": pb_first(lf, 5, 0),
               "confidence": as_double(pb_first(lf, 6))}
    return {"id": pb_first(f, 1, b"").decode(), "channel": pb_first(f, 2, 0),
            "phone": pb_first(rep, 1, b"").decode(), "location": loc,
            "category": pb_first(f, 5, b"").decode(),
            "description": pb_first(f, 6, b"").decode("utf-8"),
            "idempotency_key": pb_first(f, 8, b"").decode(),
            "gateway_message_id": pb_first(f, 9, b"").decode(),
            "sent_at_ms": pb_first(f, 10, 0),
            "flags": [x.decode() for x in f.get(11, [])]}


def stored_report(stack, report_id):
    for _, fields in stream_entries(stack, "reports"):
        r = decode_report(fields[b"r"])
        if r["id"] == report_id:
            return r
    raise AssertionError("report %s not in the stream" % report_id)


def kannel_get(stack, params, headers=None):
    return stack.http("GET", "/v1/sms/kannel?" + urllib.parse.urlencode(params), None, headers)


def twilio_signature(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class Kannel(harness.StackTestCase):
    STACK = {"workers": 0}

    def accepted(self, resp):
        self.assertEqual(resp.status, 202, resp)
        body = resp.json()
        self.assertEqual(body["status"], "accepted", body)
        self.assertTrue(body["reportId"].startswith("r-"), body)
        self.assertTrue(body["trackingToken"], body)
        return stored_report(self.stack, body["reportId"])

    def test_get_url_hex_ucs2(self):
        """get-url with hex=%e: UCS-2 bytes, surrogate pair included."""
        ucs2 = UNICODE_TEXT.encode("utf-16-be")
        r = self.accepted(kannel_get(self.stack, {
            "from": "+6281234567001", "to": "112", "hex": ucs2.hex().upper(),
            "charset": "UTF-16BE", "coding": "2", "id": "get-1", "time": "2026-11-28 15:30",
            "smsc": "tsel"}))
        self.assertEqual(r["description"], UNICODE_TEXT)
        self.assertEqual(r["channel"], CHANNEL_SMS)
        self.assertEqual(r["phone"], "+6281234567001")
        self.assertEqual(r["gateway_message_id"], "get-1")
        self.assertEqual(r["idempotency_key"], "kannel:get-1")
        self.assertEqual(r["sent_at_ms"], 1795854600000)  # 15:30 WIB = 08:30 UTC
        self.assertEqual(r["category"], "fire")
        self.assertEqual(r["location"]["source"], SOURCE_TEXT)
        self.assertIn("Tjilik Riwut", r["location"]["address"])
        self.assertEqual(r["flags"], [])

    def test_get_url_text_and_national_number(self):
        """text=%b for 7-bit text; a '+' that arrives as %2B, and 08xx."""
        r = self.accepted(kannel_get(self.stack, {"from": "081234567002", "text": "ada banjir di Panarung",
                                                  "charset": "GSM", "coding": "0", "id": "get-2"}))
        self.assertEqual(r["phone"], "+6281234567002")
        self.assertEqual(r["description"], "ada banjir di Panarung")
        self.assertEqual(r["location"]["source"], SOURCE_GAZETTEER)
        self.assertAlmostEqual(r["location"]["lat"], -2.228, places=3)
        self.assertEqual(r["location"]["accuracy_m"], 1500.0)
        self.assertGreater(r["location"]["confidence"], 0)

    def test_post_url_ucs2(self):
        body = UNICODE_TEXT.encode("utf-16-be")
        resp = self.stack.http("POST", "/v1/sms/kannel?id=post-1", body, {
            "Content-Type": 'text/plain; charset="UTF-16BE"', "X-Kannel-From": "+6281234567003",
            "X-Kannel-To": "112", "X-Kannel-Time": "2026-11-28 15:30:00", "X-Kannel-Coding": "2",
            "X-Kannel-SMSC": "tsel"})
        r = self.accepted(resp)
        self.assertEqual(r["description"], UNICODE_TEXT)
        self.assertEqual(r["phone"], "+6281234567003")
        self.assertEqual(r["sent_at_ms"], 1795854600000)
        self.assertEqual(r["idempotency_key"], "kannel:post-1")

    def test_retry_same_id_one_report(self):
        before = self.stack.xlen()
        params = {"from": "6281234567004", "text": "tolong ada kecelakaan", "id": "retry-1"}
        r1, r2 = kannel_get(self.stack, params), kannel_get(self.stack, params)
        self.assertEqual((r1.status, r2.status), (202, 202), (r1, r2))
        self.assertEqual(r1.json(), r2.json())
        self.assertEqual(self.stack.xlen(), before + 1)

    def test_aml_v1(self):
        r = self.accepted(kannel_get(self.stack, {"from": "+6281234567005", "text": AML_V1,
                                                  "id": "aml-1"}))
        self.assertEqual(r["channel"], CHANNEL_AML)
        self.assertEqual(r["category"], "")
        self.assertAlmostEqual(r["location"]["lat"], -2.2096, places=4)
        self.assertAlmostEqual(r["location"]["lon"], 113.9136, places=4)
        self.assertEqual(r["location"]["accuracy_m"], 25.0)
        self.assertAlmostEqual(r["location"]["confidence"], 0.68)
        self.assertEqual(r["location"]["source"], SOURCE_AML)

    def test_aml_truncated_kept_without_position(self):
        r = self.accepted(kannel_get(self.stack, {"from": "+6281234567006", "text": AML_V1[:60],
                                                  "id": "aml-2"}))
        self.assertEqual(r["channel"], CHANNEL_AML)
        self.assertIsNone(r["location"])
        self.assertIn("truncated", r["description"])

    def test_bad_inputs(self):
        before = self.stack.xlen()
        long_text = "a" * 1601
        cases = [
            ("no sender", {"text": "tolong"}, 400, "missing_sender"),
            ("alphanumeric sender", {"from": "TELKOMSEL", "text": "promo"}, 400, "bad_phone"),
            ("short code sender", {"from": "3636", "text": "x"}, 400, "bad_phone"),
            ("garbage charset", {"from": "+6281234567010", "text": "x", "charset": "EBCDIC-XX"},
             400, "bad_charset"),
            ("bad UTF-8", {"from": "+6281234567010", "text": b"caf\xc3(", "charset": "UTF-8"},
             400, "bad_utf8"),
            ("lone surrogate", {"from": "+6281234567010", "hex": "D83D0041", "coding": "2"},
             400, "bad_encoding"),
            ("odd UCS-2", {"from": "+6281234567010", "hex": "004100", "coding": "2"},
             400, "bad_encoding"),
            ("bad hex", {"from": "+6281234567010", "hex": "zz"}, 400, "bad_encoding"),
            ("empty text", {"from": "+6281234567010", "text": ""}, 400, "empty_text"),
            ("no text", {"from": "+6281234567010"}, 400, "empty_text"),
            ("oversized", {"from": "+6281234567010", "text": long_text}, 413, "too_long"),
            ("bad id", {"from": "+6281234567010", "text": "x", "id": "a" * 101}, 400,
             "bad_message_id"),
        ]
        for what, params, status, code in cases:
            resp = kannel_get(self.stack, params)
            self.assertEqual(resp.status, status, "%s: %r" % (what, resp))
            self.assertErrorBody(resp, what)
            self.assertEqual(resp.json()["code"], code, what)
        # A POST with bad UTF-8 in a UTF-8 body.
        resp = self.stack.http("POST", "/v1/sms/kannel", b"rusak \xff\xfe", {
            "Content-Type": 'text/plain; charset="UTF-8"', "X-Kannel-From": "+6281234567010"})
        self.assertEqual(resp.status, 400, resp)
        self.assertEqual(resp.json()["code"], "bad_utf8")
        self.assertEqual(self.stack.xlen(), before)

    def test_rate_limit_and_prank_flags(self):
        phone = "+6281234567020"
        self.stack.r("SADD", key("prank"), phone)
        bodies = [kannel_get(self.stack, {"from": phone, "text": "tes %d" % i}) for i in range(11)]
        for b in bodies:
            self.assertEqual(b.status, 202, b)
        first = stored_report(self.stack, bodies[0].json()["reportId"])
        last = stored_report(self.stack, bodies[-1].json()["reportId"])
        self.assertEqual(first["flags"], ["prank_history"])
        self.assertEqual(last["flags"], ["rate_limited", "prank_history"])
        ttl = self.stack.r("TTL", key("sms:rate:" + phone))
        self.assertTrue(0 < ttl <= 600, ttl)

    def test_dlr(self):
        resp = self.stack.http("GET", "/v1/sms/dlr?id=1795854600000-0&status=1&to=%2B6281234567030")
        self.assertEqual((resp.status, resp.body), (200, b"ok"), resp)
        h = self.stack.r("HGETALL", key("sms:dlr:1795854600000-0"))
        h = dict(zip(h[::2], h[1::2]))
        self.assertEqual(h[b"status"], b"1")
        self.assertEqual(h[b"to"], b"+6281234567030")
        self.assertGreater(int(h[b"at"]), 0)
        self.assertTrue(0 < self.stack.r("TTL", key("sms:dlr:1795854600000-0")) <= 604800)
        for q in ("status=1", "id=x&status=abc", "id=a%20b&status=1"):
            resp = self.stack.http("GET", "/v1/sms/dlr?" + q)
            self.assertEqual(resp.status, 400, (q, resp))
            self.assertErrorBody(resp, q)

    def test_generic_json(self):
        msg = {"from": "0812-3456-7040", "to": "112", "text": "ada orang pingsan tidak bernapas",
               "messageId": "gen-1", "receivedAt": "2026-11-28T08:30:00Z"}
        resp = self.stack.http("POST", "/v1/sms/inbound", msg)
        r = self.accepted(resp)
        self.assertEqual(r["phone"], "+6281234567040")
        self.assertEqual(r["idempotency_key"], "inbound:gen-1")
        self.assertEqual(r["sent_at_ms"], 1795854600000)
        self.assertEqual(r["category"], "medical")
        r2 = self.stack.http("POST", "/v1/sms/inbound", dict(msg, receivedAt=1795854600000))
        self.assertEqual(r2.json()["reportId"], resp.json()["reportId"])
        bad = [
            ("unknown field", json.dumps(dict(msg, extra=1)).encode(), "bad_json"),
            ("wrong type", json.dumps(dict(msg, text=5)).encode(), "bad_json"),
            ("bad time", json.dumps(dict(msg, receivedAt="yesterday")).encode(), "bad_time"),
            ("no sender", json.dumps({"text": "x"}).encode(), "missing_sender"),
            ("bad UTF-8", b'{"from":"+6281234567041","text":"\xc3("}', "bad_utf8"),
            ("not JSON", b"from=1", "bad_json"),
            ("array", b"[]", "bad_json"),
        ]
        for what, body, code in bad:
            resp = self.stack.http("POST", "/v1/sms/inbound", body,
                                   {"Content-Type": "application/json"})
            self.assertEqual(resp.status, 400, "%s: %r" % (what, resp))
            self.assertErrorBody(resp, what)
            self.assertEqual(resp.json()["code"], code, what)

    def test_twilio_without_token_configured(self):
        form = {"From": "+6281234567050", "To": "+62112", "Body": "kebakaran", "MessageSid": "SM1"}
        resp = self.stack.http("POST", "/v1/sms/twilio", urllib.parse.urlencode(form),
                               {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.header("content-type").startswith("text/xml"), resp)
        self.assertIn(b"<Response></Response>", resp.body)


class Twilio(harness.StackTestCase):
    TOKEN = "12345678901234567890123456789012"
    STACK = {"workers": 0, "siagad_args": ["--twilio-token", TOKEN]}

    def post(self, form, signature, query=""):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.stack.http("POST", "/v1/sms/twilio" + query, urllib.parse.urlencode(form),
                               headers)

    def test_signature(self):
        form = {"From": "+6281234567060", "To": "+62112", "Body": "ada banjir \u2014 tolong",
                "MessageSid": "SM0123456789abcdef", "NumMedia": "0", "AccountSid": "AC1"}
        url = "http://127.0.0.1:%d/v1/sms/twilio" % self.stack.http_port
        before = self.stack.xlen()
        self.assertEqual(self.post(form, None).status, 401)
        wrong = self.post(form, twilio_signature("wrong-token", url, form))
        self.assertEqual(wrong.status, 401, wrong)
        self.assertErrorBody(wrong)
        self.assertEqual(self.stack.xlen(), before)
        ok = self.post(form, twilio_signature(self.TOKEN, url, form))
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(ok.body, b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>')
        self.assertEqual(self.stack.xlen(), before + 1)
        # The query is part of the signed URL.
        q = "?tag=a1"
        ok2 = self.post(dict(form, MessageSid="SM2"),
                        twilio_signature(self.TOKEN, url + q, dict(form, MessageSid="SM2")), q)
        self.assertEqual(ok2.status, 200, ok2)
        _, fields = stream_entries(self.stack, "reports")[-1]
        r = decode_report(fields[b"r"])
        self.assertEqual(r["description"], "ada banjir \u2014 tolong")
        self.assertEqual(r["idempotency_key"], "twilio:SM2")


class Secret(harness.StackTestCase):
    STACK = {"workers": 0, "siagad_args": ["--webhook-secret", "s3cret-Value"]}

    def test_secret(self):
        params = {"from": "+6281234567070", "text": "tes", "id": "sec-1"}
        for what, extra, headers in [("missing", {}, None), ("wrong", {"secret": "nope"}, None),
                                     ("wrong header", {}, {"X-Siaga-Secret": "s3cret-Valu"})]:
            resp = kannel_get(self.stack, dict(params, **extra), headers)
            self.assertEqual(resp.status, 401, "%s: %r" % (what, resp))
            self.assertEqual(resp.json()["code"], "unauthorized", what)
        resp = kannel_get(self.stack, dict(params, secret="s3cret-Value"))
        self.assertEqual(resp.status, 202, resp)
        resp = kannel_get(self.stack, dict(params, id="sec-2"), {"X-Siaga-Secret": "s3cret-Value"})
        self.assertEqual(resp.status, 202, resp)
        resp = self.stack.http("GET", "/v1/sms/dlr?id=1-0&status=2")
        self.assertEqual(resp.status, 401, resp)


if __name__ == "__main__":
    harness.main()
