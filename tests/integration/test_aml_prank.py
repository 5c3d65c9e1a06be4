"""One caller, one incident: an AML message and the text the same number
sends join each other's incident (in either order), the AML fix sharpens
the incident's location, and a text gives an AML-only incident its category.
Dispatchers mark an incident's numbers as prank over the console; the next
message from such a number is still triaged, flagged for the dispatcher and
never ranked lower than anyone else's."""
import os

import harness
from harness import key, wait_until
from clients import json_messages_until

TEXT = "kebakaran rumah di kelurahan langkai, tolong"
FAINT = "ada orang pingsan tidak sadar, tolong"



def aml_v1(lat, lon, rd):
    """An AML v1 message as a handset sends it, with ml= its real length
    (the length counts the whole text, ml= included)."""
    body = ('A"ML=1;lt=%+.5f;lg=%+.5f;rd=%d;top=20261128083000;lc=68;pm=G;'
            'si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=' % (lat, lon, rd))
    n = len(body) + 3
    while len(body + str(n)) != n:
        n = len(body + str(n))
    return body + str(n)


def priority_rank(p):
    """"P1" -> 1 (most urgent) ... "P4" -> 4."""
    return int(p[1])


class AmlAndPrank(harness.StackTestCase):
    STACK = {"workers": 2}

    # -- helpers

    def sms(self, phone, text):
        return self.post_sms(phone, text)

    def incident_of(self, report_id):
        """Waits for the worker to apply the report; returns its incident."""
        def applied():
            v = self.stack.r("HGET", key("report:" + report_id), "incident")
            return v.decode() if v else None
        inc_id = wait_until(applied, 15, "incident of %s" % report_id)
        resp = self.stack.http("GET", "/v1/incidents/" + inc_id)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()

    def rules(self, inc):
        return {r["rule"]: r for r in inc.get("reasons", [])}

    def command(self, ws, request_id, **action):
        # "actor" is a forged name: the server must act as the signed-in account
        ws.send_json({"command": dict({"requestId": request_id, "actor": "Budi"}, **action)})
        return json_messages_until(
            ws, lambda m: m.get("reply", {}).get("requestId") == request_id, 10,
            "reply %s" % request_id)[-1]["reply"]

    def console(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        return ws

    # -- tests (named so they run in this order: the prank tests use the
    #    incidents of the first ones)

    def test_1_aml_after_text_sharpens_location(self):
        phone = "+6281111111111"
        first = self.incident_of(self.sms(phone, TEXT))
        self.assertEqual(first["category"], "fire", first)
        self.assertEqual(first["location"]["source"], "LOCATION_SOURCE_GAZETTEER", first)

        aml_id = self.sms(phone, aml_v1(-2.21, 113.91, 30))
        inc = self.incident_of(aml_id)
        self.assertEqual(inc["id"], first["id"])
        self.assertEqual(len(inc["reportIds"]), 2, inc)
        self.assertIn(aml_id, inc["reportIds"])
        loc = inc["location"]
        self.assertEqual(loc["source"], "LOCATION_SOURCE_AML", loc)
        self.assertEqual(loc["accuracyM"], 30, loc)
        self.assertAlmostEqual(loc["lat"], -2.21, places=5)
        self.assertAlmostEqual(loc["lon"], 113.91, places=5)
        self.assertAlmostEqual(loc["confidence"], 0.68, places=5)
        aml = self.rules(inc).get("location.aml")
        self.assertIsNotNone(aml, inc)
        self.assertEqual(aml.get("points", 0), 0)
        self.assertIn("30 m", aml["detail"])
        # The same caller corroborates nothing: the score is the text's.
        self.assertEqual(inc["score"], first["score"])
        self.assertEqual(inc["category"], "fire")
        # The incident moved in the geo set to the handset's point.
        pos = self.stack.r("GEOPOS", key("geo"), inc["id"])[0]
        self.assertAlmostEqual(float(pos[0]), 113.91, places=4)
        self.assertAlmostEqual(float(pos[1]), -2.21, places=4)
        self.assertEqual(self.stack.r("GET", key("phone:" + phone)).decode(), inc["id"])
        self.assertGreater(self.stack.r("TTL", key("phone:" + phone)), 0)
        type(self).forward = inc

    def test_2_text_after_aml_gives_the_category(self):
        phone = "+6282222222222"
        first = self.incident_of(self.sms(phone, aml_v1(-2.23, 113.93, 20)))
        self.assertEqual(first["category"], "unknown", first)
        self.assertEqual(first["location"]["source"], "LOCATION_SOURCE_AML", first)
        self.assertIn("location.aml", self.rules(first))
        self.assertTrue(first["summary"].startswith("AML location"), first)
        self.assertGreater(first["score"], 0)  # someone is in distress somewhere

        text_id = self.sms(phone, TEXT)
        inc = self.incident_of(text_id)
        self.assertEqual(inc["id"], first["id"])
        self.assertEqual(len(inc["reportIds"]), 2, inc)
        self.assertEqual(inc["category"], "fire", inc)
        rules = self.rules(inc)
        self.assertIn("category.fire", rules)
        self.assertNotIn("category.unknown", rules)
        self.assertIn("location.aml", rules)
        self.assertEqual(inc["location"]["source"], "LOCATION_SOURCE_AML")
        self.assertEqual(inc["location"]["accuracyM"], 20)
        self.assertTrue(inc["summary"].startswith(TEXT), inc)
        self.assertGreater(inc["score"], first["score"])
        # The text was acknowledged by SMS, the AML message was not.
        outs = [f for _, f in harness.stream_entries(self.stack, "sms:out")
                if f[b"to"].decode() == phone]
        self.assertEqual(len(outs), 1, outs)
        self.assertEqual(outs[0][b"incident"].decode(), inc["id"])
        type(self).reverse = inc

    def test_3_another_number_is_another_incident(self):
        # At the very point of the first caller's fire: still not the same
        # caller, and an AML message says nothing about a fire.
        inc = self.incident_of(self.sms("+6283333333333", aml_v1(-2.21, 113.91, 30)))
        self.assertNotEqual(inc["id"], self.forward["id"])
        self.assertNotEqual(inc["id"], self.reverse["id"])
        self.assertEqual(len(inc["reportIds"]), 1)

    def test_4_mark_prank(self):
        inc = self.forward
        ws = self.console()
        other = self.console()
        rep = self.command(ws, "prank-1", markPrank={"incidentId": inc["id"], "prank": True})
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["id"], inc["id"])
        note = rep["incident"]["notes"][-1]
        self.assertEqual(note["text"], "Nomor pelapor ditandai laporan palsu oleh disp")
        self.assertEqual(note["author"], "disp")
        upd = json_messages_until(
            other, lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_NOTE_ADDED", 5,
            "note update on the other console")[-1]["update"]
        self.assertEqual(upd["incident"]["id"], inc["id"])
        self.assertEqual(upd["actor"], "disp")
        self.assertEqual(self.stack.r("SISMEMBER", key("prank"), "+6281111111111"), 1)

        # An AML-only caller's number is marked too; unmarking takes it off.
        aml_only = self.incident_of(self.sms("+6285555555555", aml_v1(-2.25, 113.95, 40)))
        rep = self.command(ws, "prank-2", markPrank={"incidentId": aml_only["id"], "prank": True})
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(self.stack.r("SISMEMBER", key("prank"), "+6285555555555"), 1)
        rep = self.command(ws, "prank-3", markPrank={"incidentId": aml_only["id"], "prank": False})
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(self.stack.r("SISMEMBER", key("prank"), "+6285555555555"), 0)
        self.assertIn("dicabut oleh disp", rep["incident"]["notes"][-1]["text"])
        self.assertEqual(self.stack.r("SISMEMBER", key("prank"), "+6281111111111"), 1)

        # Refusals write nothing.
        before = self.stack.xlen("updates")
        rep = self.command(ws, "prank-4", markPrank={"incidentId": "PLK-999999", "prank": True})
        self.assertFalse(rep.get("ok"), rep)
        self.assertEqual(rep.get("errorCode"), "not_found", rep)
        # An app report without a number (with one, its number is marked:
        # a number is one reporter on every channel).
        anonymous = harness.json_report(7)
        del anonymous["reporter"]
        app = self.stack.post_report(anonymous)
        self.assertEqual(app.status, 202, app)
        app_inc = self.incident_of(app.json()["reportId"])
        before = self.stack.xlen("updates")
        rep = self.command(ws, "prank-5", markPrank={"incidentId": app_inc["id"], "prank": True})
        self.assertFalse(rep.get("ok"), rep)
        self.assertEqual(rep.get("errorCode"), "no_numbers", rep)
        self.assertEqual(self.stack.xlen("updates"), before)
        self.assertEqual(self.stack.r("SCARD", key("prank")), 1)
        ws.close()
        other.close()

    def test_5_prank_number_is_still_heard(self):
        flagged = self.incident_of(self.sms("+6281111111111", FAINT))
        clean = self.incident_of(self.sms("+6284444444444", FAINT))
        self.assertNotEqual(flagged["id"], clean["id"])
        self.assertEqual(flagged["id"], self.forward["id"])  # the caller's open incident
        rules = self.rules(flagged)
        self.assertIn("flag.prank_history", rules, flagged)
        self.assertEqual(rules["flag.prank_history"].get("points", 0), 0)
        self.assertIn("laporan palsu", rules["flag.prank_history"]["detail"])
        self.assertNotIn("flag.prank_history", self.rules(clean))
        self.assertLessEqual(priority_rank(flagged["priority"]), priority_rank(clean["priority"]),
                             (flagged, clean))
        self.assertGreaterEqual(flagged["score"], self.forward["score"])

        # A flagged number's first message opens an incident of its own, at
        # the priority a clean number's gets, flag shown.
        self.assertEqual(self.stack.r("SADD", key("prank"), "+6286666666666"), 1)
        own = self.incident_of(self.sms("+6286666666666", FAINT))
        self.assertNotIn(own["id"], (flagged["id"], clean["id"]))
        self.assertIn("flag.prank_history", self.rules(own))
        self.assertEqual(own["priority"], clean["priority"])
        self.assertEqual(own["score"], clean["score"])

    def test_6_phone_map_is_compare_and_set(self):
        """transition.lua writes the phone map only if it still holds what
        the worker read, so two workers handling one caller's AML and text
        at once cannot open two incidents. Run on keys of another region,
        so the stack's own data stays as it is."""
        src = os.environ.get("SIAGA_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..")
        with open(os.path.join(src, "server", "store", "lua", "transition.lua"), "rb") as f:
            script = f.read()

        def k(suffix):
            return "siaga:{t}:" + suffix
        phone = "+6287777777777"
        keys = [k("incident:T-1"), k("open"), k("geo"), k("updates"), k("audit:T-1"),
                k("processed:9-1"), k("report:r-t1"), k("reports"), k("sms:out"),
                k("incident:T-1:sms"), k("phone:" + phone), k("incident:T-1:phones")]

        def run(seen, n_keys=12, entry="9-1"):
            args = ["0", "T-1", "pb", "upd", "1", "4", "25", "1", "0", "0", entry, "triage", "60",
                    "r-t1", "100", "1", "", "", "", "", "60"]
            if n_keys == 12:
                args += [phone, "1800", seen]
            return self.stack.r("EVAL", script, n_keys, *(keys[:n_keys] + args))

        # Another worker moved the map since it was read: nothing written.
        self.assertEqual(run("T-0"), [b"phone_moved", b""])
        self.assertEqual(self.stack.r("EXISTS", k("incident:T-1"), k("processed:9-1")), 0)
        # As read: applied, the map and the incident's numbers written.
        res = run("")
        self.assertEqual(res[0], b"ok", res)
        self.assertEqual(self.stack.r("GET", k("phone:" + phone)), b"T-1")
        self.assertGreater(self.stack.r("TTL", k("phone:" + phone)), 1700)
        self.assertEqual(self.stack.r("SISMEMBER", k("incident:T-1:phones"), phone), 1)
        # A phone map needs a report; callers with 10 keys (the console's
        # commands) leave the map alone.
        with self.assertRaises(harness.RedisError):
            run("T-1", entry="")
        args10 = ["1", "T-1", "pb", "upd", "2", "4", "25", "1", "0", "0", "", "triage", "0", "",
                  "100", "2", "", "", ""]
        res = self.stack.r("EVAL", script, 10, *(keys[:10] + args10))
        self.assertEqual(res[0], b"ok", res)
        self.assertEqual(self.stack.r("GET", k("phone:" + phone)), b"T-1")


if __name__ == "__main__":
    harness.main()
