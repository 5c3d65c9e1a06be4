"""A later report that says a danger has passed lowers the incident (issue 13,
found when tried as a new user), through the real worker: the same caller's
"sudah sadar" after "pingsan" takes cue.unconscious back, the resolution
reason says so and the priority drops; a dispatcher's priority override
stands all the same. The pure half is tests/unit/test_triage_resolved.c."""
import harness
from harness import json_report, key, wait_until
from test_commands import command, reply_for

TIMEOUT = 30.0
FAINTED = "Tolong bapak saya pingsan di rumah, tidak sadar"
AWAKE = "Dia sudah sadar sekarang"


class Resolved(harness.StackTestCase):
    STACK = {"workers": 1}

    def report(self, i, text, phone=None):
        rep = json_report(i, category="medical", description=text)
        if phone:
            rep["reporter"]["phone"] = phone
        r = self.stack.post_report(rep)
        self.assertEqual(r.status, 202, r)
        return r.json()["reportId"]

    def incident_with(self, phone, report_id):
        """The caller's incident once it holds report_id."""
        def ready():
            iid = self.stack.r("GET", key("phone:" + phone))
            if not iid:
                return None
            inc = self.stack.http("GET", "/v1/incidents/" + iid.decode()).json()
            return inc if report_id in inc.get("reportIds", []) else None
        return wait_until(ready, TIMEOUT, "%s's incident with %s" % (phone, report_id),
                          interval=0.1)

    @staticmethod
    def rules(inc):
        return {r["rule"]: r for r in inc["reasons"]}

    def test_the_callers_second_report_lowers(self):
        phone = "+6281300001401"
        first = self.incident_with(phone, self.report(1, FAINTED, phone))
        self.assertEqual(first["category"], "medical", first)
        self.assertEqual(first["priority"], "P1", first)
        self.assertIn("cue.unconscious", self.rules(first))

        after = self.incident_with(phone, self.report(1, AWAKE, phone))
        self.assertEqual(after["id"], first["id"])
        rules = self.rules(after)
        self.assertNotIn("cue.unconscious", rules, after)
        why = rules.get("resolved.unconscious")
        self.assertIsNotNone(why, after)
        self.assertIn("sudah sadar", why["detail"])
        self.assertIn("dicabut (withdrawn): unconscious", why["detail"])
        self.assertLess(after["score"], first["score"], after)
        self.assertEqual(after["score"], sum(r.get("points", 0) for r in after["reasons"]))
        self.assertGreater(int(after["priority"][1]), int(first["priority"][1]), after)

    def test_the_dispatchers_priority_stands(self):
        phone = "+6281300001402"
        first = self.incident_with(phone, self.report(2, FAINTED, phone))
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        command(ws, "keep-p1", setPriority={"incidentId": first["id"], "priority": "P1",
                                            "reason": "Riwayat jantung, tetap P1"})
        self.assertTrue(reply_for(ws, "keep-p1").get("ok"))
        ws.close()

        after = self.incident_with(phone, self.report(2, AWAKE, phone))
        self.assertEqual(after["id"], first["id"])
        self.assertEqual(after["priority"], "P1", after)  # the dispatcher's word
        self.assertEqual(after["priorityOverride"]["reason"], "Riwayat jantung, tetap P1")
        self.assertLess(after["score"], first["score"], after)  # what the caller said
        self.assertIn("resolved.unconscious", self.rules(after))
        self.assertNotIn("cue.unconscious", self.rules(after))


if __name__ == "__main__":
    harness.main()
