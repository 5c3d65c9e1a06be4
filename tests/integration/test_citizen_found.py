"""What a new user found when trying the citizens' side (issue 15), each
with its fix: a reply joins an open incident however late; one phone
normalisation on every channel; one number is one reporter on every channel
(no corroboration by oneself, an app report and an SMS make one incident);
proto3 JSON numbers given as strings; and the app path's abuse flags."""
import harness
from harness import key, wait_until
from wire import f_varint, pb_decode, pb_first


def stored_report(stack, report_id):
    """The packed Report of report_id in the reports stream, decoded."""
    for _, fields in harness.stream_entries(stack, "reports"):
        r = pb_decode(fields[b"r"])
        if pb_first(r, 1, b"").decode() == report_id:
            return r
    raise AssertionError("report %s not in the stream" % report_id)


def reporter_phone(report_fields):
    reporter = pb_first(report_fields, 3)
    return pb_first(pb_decode(reporter), 1, b"").decode() if reporter else ""


class Found(harness.StackTestCase):
    STACK = {"workers": 1}

    def incident_of(self, report_id):
        def applied():
            v = self.stack.r("HGET", key("report:" + report_id), "incident")
            return v.decode() if v else None
        inc_id = wait_until(applied, 15, "incident of %s" % report_id)
        resp = self.stack.http("GET", "/v1/incidents/" + inc_id)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()

    def app(self, body, status=202):
        r = self.stack.post_report(body)
        self.assertEqual(r.status, status, r)
        return r.json()

    def rules(self, inc):
        return {r["rule"] for r in inc.get("reasons", [])}

    def test_reply_hours_later_joins_the_open_incident(self):
        phone = "+6281300000001"
        first = self.incident_of(self.post_sms(phone, "kebakaran rumah di jl. kinibalu, api besar"))
        # The phone map outlives the old 30 minutes by far.
        self.assertGreater(self.stack.r("TTL", key("phone:" + phone)), 24 * 3600)
        # Make the incident look untouched for two hours: a later
        # updated_at_ms field wins when the message is read.
        k = key("incident:" + first["id"])
        pb = self.stack.r("HGET", k, "pb")
        old = int(first["updatedAtMs"]) - 2 * 3600 * 1000
        self.stack.r("HSET", k, "pb", pb + f_varint(11, old))
        reply = self.incident_of(self.post_sms(phone, "ada 2 orang masih di dalam"))
        self.assertEqual(reply["id"], first["id"])
        self.assertEqual(reply["reportCount"], 2)
        # Once it is closed, the same number opens a new one.
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        ws.send_json({"command": {"requestId": "c", "setStatus": {
            "incidentId": first["id"], "status": "INCIDENT_STATUS_CLOSED"}}})
        harness.json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == "c", 5, "close")
        ws.close()
        later = self.incident_of(self.post_sms(phone, "banjir di depan rumah"))
        self.assertNotEqual(later["id"], first["id"])

    def test_app_phone_is_normalised_as_sms_is(self):
        for given, want in (("08123456701", "+628123456701"), ("+62 812 3456 702", "+628123456702"),
                            ("0812-3456-703", "+628123456703"), ("+62 0812 3456 704", "+628123456704"),
                            ("628123456705", "+628123456705")):
            body = harness.json_report(200, description="Kecelakaan motor")
            body["reporter"]["phone"] = given
            acc = self.app(body)
            self.assertEqual(reporter_phone(stored_report(self.stack, acc["reportId"])), want, given)
        for bad in ("TELKOMSEL", "112", "0812x3456", "+1234567890123456"):
            body = harness.json_report(201)
            body["reporter"]["phone"] = bad
            before = self.stack.xlen()
            r = self.stack.post_report(body)
            self.assertEqual(r.status, 400, (bad, r))
            self.assertEqual(r.json()["code"], "bad_phone", bad)
            self.assertEqual(self.stack.xlen(), before, "a refused report writes nothing")

    def test_app_and_sms_of_one_number_make_one_incident(self):
        # The SMS gives the number in the national form, the app in E.164.
        body = harness.json_report(300, description="Kebakaran rumah, api besar")
        body["reporter"]["phone"] = "+6281300000300"
        a = self.incident_of(self.app(body)["reportId"])
        s = self.incident_of(self.post_sms("081300000300", "tolong kebakaran, asap tebal"))
        self.assertEqual(s["id"], a["id"])
        self.assertEqual(s["reportCount"], 2)
        self.assertNotIn("corroboration", self.rules(s))

    def test_the_same_app_caller_twice_is_not_corroboration(self):
        body = harness.json_report(400, description="Kebakaran gudang")
        body["reporter"]["phone"] = "+6281300000400"
        first = self.incident_of(self.app(body)["reportId"])
        again = self.incident_of(self.app(body)["reportId"])
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(again["reportCount"], 2)
        self.assertNotIn("corroboration", self.rules(again))
        self.assertEqual(again["score"], first["score"])
        # Another number at the same spot does corroborate.
        body["reporter"]["phone"] = "+6281300000401"
        third = self.incident_of(self.app(body)["reportId"])
        self.assertEqual(third["id"], first["id"])
        self.assertIn("corroboration", self.rules(third))

    def test_numbers_as_strings(self):
        body = {"category": "flood", "description": "Banjir setinggi lutut",
                "location": {"lat": "-2.2096", "lon": "113.9136", "accuracyM": "25"},
                "reporter": {"phone": "+6281300000500"}, "sentAtMs": "1764740000000"}
        inc = self.incident_of(self.app(body)["reportId"])
        self.assertAlmostEqual(inc["location"]["lat"], -2.2096)
        self.assertAlmostEqual(inc["location"]["lon"], 113.9136)
        for bad in ("-2.2x", "0x10", "NaN", ""):
            body["location"]["lat"] = bad
            r = self.stack.post_report(body)
            self.assertEqual(r.status, 400, (bad, r))
            self.assertErrorBody(r)


if __name__ == "__main__":
    harness.main()
