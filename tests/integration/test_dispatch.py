"""Units and assignments (issue 12) with a real Redis (and Kannel for the SMS
ladder): siaga-admin's unit commands, the console's Assign, CancelAssignment
and Recommend reaching every console as updates, and a unit's SMS answer."""
import hashlib
import json
import re
import time

import harness
import kannel
from harness import json_report, key, wait_until
from clients import json_messages_until


def add_unit(stack, uid, kind="ambulance", phone=None, name=None, station="Pos 1"):
    """Registers a unit; returns its token."""
    phone = phone or "+628130000%04d" % (sum(map(ord, uid)) % 10000)
    rc, out, err = stack.admin("unit", "add", uid, "--kind", kind, "--name", name or uid,
                               "--phone", phone, "--station", station)
    if rc != 0:
        raise AssertionError("unit add %s: %s %s" % (uid, out, err))
    m = re.search(r"token: ([0-9a-f]{64})", out)
    if not m:
        raise AssertionError("no token in %r" % out)
    return m.group(1)


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Admin(harness.StackTestCase):
    STACK = {"workers": 0}

    def test_unit_add_stores_only_the_digest(self):
        token = add_unit(self.stack, "AMB-01", phone="+6281300000001")
        self.assertEqual(self.stack.r("GET", key("unittoken:" + digest(token))), b"AMB-01")
        self.assertEqual(self.stack.r("GET", key("unitphone:+6281300000001")), b"AMB-01")
        stored = self.stack.r("HGETALL", key("unit:AMB-01"))
        self.assertNotIn(token.encode(), stored)
        self.assertIn(b"AMB-01", self.stack.r("SMEMBERS", key("units")))
        # one UNIT_CHANGED update so open consoles see the new unit
        ups = harness.updates(self.stack)
        self.assertEqual(ups[-1][1]["kind"], 7)
        self.assertEqual(len(self.stack.r("XRANGE", key("unitaudit:AMB-01"), "-", "+")), 1)

    def test_refusals_write_nothing(self):
        add_unit(self.stack, "DMK-01", kind="fire", phone="+6281300000011")
        before = self.stack.r("DBSIZE")
        for args, why in (
                (("DMK-01", "--kind", "fire", "--name", "x", "--phone", "+6281300000012",
                  "--station", "s"), "exists already"),
                (("DMK-02", "--kind", "fire", "--name", "x", "--phone", "+6281300000011",
                  "--station", "s"), "is the phone of unit DMK-01"),
                (("DMK-03", "--kind", "tank", "--name", "x", "--phone", "+6281300000013",
                  "--station", "s"), "--kind is one of"),
                (("dmk-04", "--kind", "fire", "--name", "x", "--phone", "+6281300000014",
                  "--station", "s"), "a unit id is"),
                (("DMK-05", "--kind", "fire", "--name", "x", "--phone", "0813",
                  "--station", "s"), "--phone")):
            rc, out, err = self.stack.admin("unit", "add", *args)
            self.assertEqual(rc, 1, (args, out, err))
            self.assertIn(why, err)
        self.assertEqual(self.stack.r("DBSIZE"), before)

    def test_list_disable_and_token(self):
        token = add_unit(self.stack, "POL-01", kind="police", phone="+6281300000021",
                         name="Patroli Satu")
        rc, out, err = self.stack.admin("unit", "list")
        self.assertEqual(rc, 0, err)
        line = [ln for ln in out.splitlines() if ln.startswith("POL-01")][0]
        self.assertIn("police", line)
        self.assertIn("AVAILABLE", line)
        self.assertIn("enabled", line)
        self.assertIn("Patroli Satu", line)

        # a new token: the old one ends at once
        rc, out, err = self.stack.admin("unit", "token", "POL-01")
        self.assertEqual(rc, 0, err)
        new = re.search(r"([0-9a-f]{64})", out).group(1)
        self.assertIsNone(self.stack.r("GET", key("unittoken:" + digest(token))))
        self.assertEqual(self.stack.r("GET", key("unittoken:" + digest(new))), b"POL-01")

        epoch = int(self.stack.r("GET", key("auth:epoch")) or 0)
        rc, out, err = self.stack.admin("unit", "disable", "POL-01")
        self.assertEqual(rc, 0, err)
        self.assertIsNone(self.stack.r("GET", key("unittoken:" + digest(new))))
        self.assertGreater(int(self.stack.r("GET", key("auth:epoch"))), epoch)
        rc, out, err = self.stack.admin("unit", "list")
        self.assertIn("disabled", [ln for ln in out.splitlines() if ln.startswith("POL-01")][0])
        rc, out, err = self.stack.admin("unit", "token", "NOPE-1")
        self.assertEqual(rc, 1)
        self.assertIn("no unit", err)


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


_backlog = {}  # id(ws) -> messages read while waiting for another one


def until(ws, pred, timeout, what):
    """The first message with pred true: from what was read before while
    waiting for something else (an update may come before its reply), else
    read on; what is passed over is kept for later."""
    kept = _backlog.setdefault(id(ws), [])
    for i, m in enumerate(kept):
        if pred(m):
            return kept.pop(i)
    seen = json_messages_until(ws, pred, timeout, what)
    kept.extend(seen[:-1])
    return seen[-1]


def reply_for(ws, request_id, timeout=10):
    return until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                 timeout, "reply %s" % request_id)["reply"]


def console(stack):
    ws = stack.ws()
    json_messages_until(ws, lambda m: "snapshot" in m and not m["snapshot"].get("more"), 10,
                        "snapshot")
    return ws


def open_incident(case, ws, i, category="medical", description=None):
    """Posts a report and waits until the console sees its incident."""
    r = case.stack.post_report(json_report(i, category=category, description=description or
                                           "Orang pingsan di jalan no. %d, tidak sadar" % i))
    case.assertEqual(r.status, 202, r)
    rid = r.json()["reportId"]
    msg = until(ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
                30, "incident for %s" % rid)
    return msg["update"]["incident"]


def assignment_update(ws, asg_id, state, timeout=15):
    """The console's next ASSIGNMENT_CHANGED update of asg_id in state."""
    def match(m):
        up = m.get("update", {})
        return (up.get("kind") == "UPDATE_KIND_ASSIGNMENT_CHANGED" and
                up.get("assignment", {}).get("id") == asg_id and
                up["assignment"].get("state") == "ASSIGNMENT_STATE_" + state)
    return until(ws, match, timeout, "%s %s" % (asg_id, state))["update"]


class Console(harness.StackTestCase):
    STACK = {"workers": 1}

    def test_assign_reaches_every_console_and_cancel_frees_the_unit(self):
        add_unit(self.stack, "AMB-11", phone="+6281300000111")
        ws, other = console(self.stack), console(self.stack)
        inc = open_incident(self, ws, 1)
        command(ws, "a1", assign={"incidentId": inc["id"], "unitId": "AMB-11"})
        rep = reply_for(ws, "a1")
        self.assertTrue(rep["ok"], rep)
        asg = rep["assignment"]
        self.assertEqual(asg["state"], "ASSIGNMENT_STATE_OFFERED")
        self.assertEqual(asg["unitId"], "AMB-11")
        self.assertEqual(asg["incidentId"], inc["id"])
        self.assertEqual(asg["by"], harness.DISPATCHER)
        self.assertEqual(rep["unit"]["status"], "UNIT_STATUS_ASSIGNED")
        self.assertIn(asg["id"], [a["id"] for a in rep["incident"]["assignments"]])
        self.assertNotEqual(rep["incident"]["times"].get("assignedAtMs", "0"), "0")
        for c in (ws, other):
            up = assignment_update(c, asg["id"], "OFFERED")
            self.assertEqual(up["unit"]["status"], "UNIT_STATUS_ASSIGNED")
            self.assertEqual(up["unit"]["assignmentId"], asg["id"])
            self.assertEqual(up["actor"], harness.DISPATCHER)
        # the same unit twice is refused, and writes nothing
        before = self.stack.xlen("updates")
        command(ws, "a2", assign={"incidentId": inc["id"], "unitId": "AMB-11"})
        rep = reply_for(ws, "a2")
        self.assertFalse(rep.get("ok"))
        self.assertEqual(rep["error"]["code"], "unit_busy")
        self.assertEqual(self.stack.xlen("updates"), before)
        # the ladder knows it, the audit trails too
        self.assertIsNotNone(self.stack.r("ZSCORE", key("assign:due"), asg["id"]))
        self.assertGreaterEqual(len(self.stack.r("XRANGE", key("unitaudit:AMB-11"), "-", "+")), 2)

        command(other, "c1", cancelAssignment={"assignmentId": asg["id"], "reason": "salah unit"})
        rep = reply_for(other, "c1")
        self.assertTrue(rep["ok"], rep)
        self.assertEqual(rep["assignment"]["state"], "ASSIGNMENT_STATE_CANCELLED")
        self.assertEqual(rep["assignment"]["reason"], "salah unit")
        up = assignment_update(ws, asg["id"], "CANCELLED")
        self.assertEqual(up["unit"]["status"], "UNIT_STATUS_AVAILABLE")
        self.assertEqual(up["unit"].get("assignmentId", ""), "")
        self.assertIsNone(self.stack.r("ZSCORE", key("assign:due"), asg["id"]))
        # cancelled twice: refused
        command(other, "c2", cancelAssignment={"assignmentId": asg["id"]})
        self.assertEqual(reply_for(other, "c2")["error"]["code"], "not_active")
        # several units on one incident
        add_unit(self.stack, "AMB-12", phone="+6281300000112")
        for i, uid in enumerate(("AMB-11", "AMB-12")):
            command(ws, "m%d" % i, assign={"incidentId": inc["id"], "unitId": uid})
            self.assertTrue(reply_for(ws, "m%d" % i)["ok"])
        inc_now = self.stack.r("HGET", key("incident:" + inc["id"]), "version")
        self.assertGreater(int(inc_now), int(inc["version"]))

    def test_a_crews_sms_is_no_report_but_its_aml_is(self):
        phone = "+6281300000161"
        add_unit(self.stack, "AMB-61", phone=phone)
        reports = self.stack.xlen("reports")
        before = self.stack.xlen("sms:out")
        body = json.dumps({"from": phone, "to": "112", "text": "halo", "messageId": "unit-1"})
        resp = self.stack.http("POST", "/v1/sms/inbound", body, {"Content-Type": "application/json"})
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(resp.json(), {"status": "unit"})
        self.assertEqual(self.stack.xlen("reports"), reports)
        # answered with the words it knows
        wait_until(lambda: self.stack.xlen("sms:out") > before, 10, "the help SMS")
        # the handset's AML (its owner called 112) is a citizen's report all the same
        body = ('A"ML=1;lt=-2.21000;lg=+113.91000;rd=20;top=20261128083000;lc=68;pm=G;'
                'si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=')
        n = len(body) + 3
        while len(body + str(n)) != n:
            n = len(body + str(n))
        self.post_sms(phone, body + str(n))
        self.assertEqual(self.stack.xlen("reports"), reports + 1)

    def test_refusals(self):
        ws = console(self.stack)
        inc = open_incident(self, ws, 2)
        add_unit(self.stack, "AMB-21", phone="+6281300000121")
        self.stack.admin("unit", "disable", "AMB-21")
        before = self.stack.xlen("updates")
        for rid, action, code in (
                ("r1", {"assign": {"incidentId": inc["id"], "unitId": "NOPE-99"}}, "not_found"),
                ("r2", {"assign": {"incidentId": "PLK-999999", "unitId": "AMB-21"}}, "not_found"),
                ("r3", {"assign": {"incidentId": inc["id"], "unitId": "AMB-21"}}, "unit_disabled"),
                ("r4", {"assign": {"incidentId": inc["id"], "unitId": "x:y"}}, "not_found"),
                ("r5", {"cancelAssignment": {"assignmentId": "A-999999"}}, "not_found"),
                ("r6", {"cancelAssignment": {"assignmentId": "A-1", "reason": "x" * 201}},
                 "bad_command"),
                ("r7", {"recommend": {"incidentId": "PLK-999999"}}, "not_found")):
            command(ws, rid, **action)
            rep = reply_for(ws, rid)
            self.assertFalse(rep.get("ok"), rep)
            self.assertEqual(rep["error"]["code"], code, (rid, rep))
            self.assertTrue(rep["error"]["message"])
        self.assertEqual(self.stack.xlen("updates"), before)

    def test_recommend_orders_by_distance_and_says_why_others_were_passed_over(self):
        ws = console(self.stack)
        inc = open_incident(self, ws, 45)
        lat, lon = inc["location"]["lat"], inc["location"]["lon"]
        for n, (uid, kind, dlat) in enumerate((
                ("AMB-31", "ambulance", 0.05), ("AMB-32", "ambulance", 0.01),
                ("POL-31", "police", 0.001), ("AMB-33", "ambulance", 0.002),
                ("AMB-34", "ambulance", 0.003))):
            add_unit(self.stack, uid, kind=kind, phone="+628130000035%d" % n)
            self.stack.r("GEOADD", key("unitgeo"), lon, lat + dlat, uid)
        self.stack.admin("unit", "disable", "AMB-33")
        other = open_incident(self, ws, 46)
        command(ws, "busy", assign={"incidentId": other["id"], "unitId": "AMB-34"})
        self.assertTrue(reply_for(ws, "busy")["ok"])

        command(ws, "rec", recommend={"incidentId": inc["id"]})
        rec = reply_for(ws, "rec")["recommendation"]
        ids = [c["unit"]["id"] for c in rec["candidates"]]
        self.assertEqual(ids[:2], ["AMB-32", "AMB-31"], rec)
        first = rec["candidates"][0]
        self.assertAlmostEqual(first["distanceM"], 1112, delta=30)
        self.assertGreater(first["etaS"], 0)
        self.assertTrue(first["stale"])  # never told a position by its app
        self.assertIn("ambulance answers medical", first["why"])
        passed = {c["unit"]["id"]: c["passedOver"] for c in rec["passedOver"]}
        self.assertEqual(passed.get("POL-31"), "kind")
        self.assertEqual(passed.get("AMB-33"), "disabled")
        self.assertEqual(passed.get("AMB-34"), "busy")
        for uid in ("POL-31", "AMB-33", "AMB-34"):
            self.assertNotIn(uid, ids)


UNIT_PHONE = "+6281300009001"
ACK_S = 2


class SmsLadder(kannel.KannelStackCase):
    """An unanswered assignment goes to the unit's phone through a real
    Kannel (fakesmsc is the handset), and the crew's answer comes back
    through the same Kannel webhook as its answer, not a citizen's report."""
    SIAGAD_ARGS = ("--assign-ack-s", str(ACK_S), "--assign-ack-p1-s", str(ACK_S))

    def mts(self, phone, prefix):
        return [m for m in super().mts(phone) if m.text.startswith(prefix)]

    def wait_mt(self, phone, prefix, n=1, timeout=40):
        wait_until(lambda: len(self.mts(phone, prefix)) >= n, timeout,
                   "SMS %d to %s starting %r; all: %r" % (n, phone, prefix, self.k.mt_messages()),
                   interval=0.1)
        return self.mts(phone, prefix)[n - 1]

    def asg_state(self, asg_id):
        return int(self.stack.r("HGET", key("assignment:" + asg_id), "state") or 0)

    def assign(self, ws, inc, uid):
        rid = "as-" + uid
        command(ws, rid, assign={"incidentId": inc["id"], "unitId": uid})
        rep = reply_for(ws, rid)
        self.assertTrue(rep.get("ok"), rep)
        return rep["assignment"]

    def test_unanswered_goes_by_sms_and_the_crews_1_accepts_it(self):
        add_unit(self.stack, "AMB-91", phone=UNIT_PHONE)
        ws = console(self.stack)
        inc = open_incident(self, ws, 91, category="fire",
                            description="Kebakaran rumah di Jl. Tjilik Riwut km 5, asap tebal")
        asg = self.assign(ws, inc, "AMB-91")
        offer = self.wait_mt(UNIT_PHONE, "SIAGA TUGAS")
        self.assertRegex(offer.text, r"^SIAGA TUGAS %s P[1-4] Kebakaran, .+\. "
                                     r"Balas 1 terima, 2 tolak\.$" % inc["id"])
        self.assertLessEqual(len(offer.text), 160)
        self.assertEqual(offer.kind, "text")  # GSM 7-bit: one SMS
        self.assertIn("(%.5f,%.5f)" % (inc["location"]["lat"], inc["location"]["lon"]), offer.text)
        # the console sees when the SMS went
        def sms_sent(m):
            a = m.get("update", {}).get("assignment", {})
            return a.get("id") == asg["id"] and a.get("smsSentAtMs", "0") != "0"
        until(ws, sms_sent, 20, "smsSentAtMs of %s" % asg["id"])

        reports = self.stack.xlen("reports")
        self.k.send_text(UNIT_PHONE, "112", "1")
        up = assignment_update(ws, asg["id"], "ACCEPTED", timeout=40)
        self.assertEqual(up["assignment"]["answeredVia"], "sms")
        self.assertEqual(up["unit"]["status"], "UNIT_STATUS_EN_ROUTE")
        self.assertEqual(up["incident"]["status"], "INCIDENT_STATUS_DISPATCHED")
        self.assertNotEqual(up["incident"]["times"].get("acceptedAtMs", "0"), "0")
        self.wait_mt(UNIT_PHONE, "SIAGA: tugas %s diterima" % inc["id"])
        self.assertEqual(self.stack.xlen("reports"), reports)  # no citizen report

        # a second "1" (with the reference) is safe: answered, nothing changes
        version = self.stack.r("HGET", key("assignment:" + asg["id"]), "version")
        self.k.send_text(UNIT_PHONE, "112", "1 " + inc["id"])
        self.wait_mt(UNIT_PHONE, "SIAGA: tugas %s sudah Anda terima" % inc["id"])
        self.assertEqual(self.stack.r("HGET", key("assignment:" + asg["id"]), "version"), version)
        self.assertEqual(self.stack.xlen("reports"), reports)
        self.assertEqual(len(self.mts(UNIT_PHONE, "SIAGA TUGAS")), 1)

        # status words move the unit
        self.k.send_text(UNIT_PHONE, "112", "TIBA")
        self.wait_mt(UNIT_PHONE, "SIAGA: AMB-91 TIBA")
        self.k.send_text(UNIT_PHONE, "112", "selesai.")
        up = assignment_update(ws, asg["id"], "CLEARED", timeout=40)
        self.assertEqual(up["unit"]["status"], "UNIT_STATUS_RETURNING")
        self.assertNotEqual(up["incident"]["times"].get("clearedAtMs", "0"), "0")
        self.assertNotEqual(up["incident"]["times"].get("onSceneAtMs", "0"), "0")
        self.assertEqual(self.stack.xlen("reports"), reports)

    def test_the_first_acceptance_tells_the_citizens_help_is_coming(self):
        citizen, phone = "+6281234500094", "+6281300009004"
        add_unit(self.stack, "DMK-94", kind="fire", phone=phone)
        ws = console(self.stack)
        self.k.send_text(citizen, "112", "kebakaran gudang di jalan rajawali no 94 tolong")
        up = until(ws, lambda m: "rajawali no 94" in m.get("update", {}).get("incident", {})
                   .get("summary", ""), 60, "the citizen's incident")["update"]
        inc = up["incident"]
        self.wait_mt(citizen, "SIAGA 112: Laporan Anda diterima")  # the acknowledgement
        asg = self.assign(ws, inc, "DMK-94")
        self.k.send_text(phone, "112", "OTW")  # setting out accepts it
        up = assignment_update(ws, asg["id"], "ACCEPTED", timeout=40)
        self.assertEqual(up["incident"]["status"], "INCIDENT_STATUS_DISPATCHED")
        self.assertEqual(up["unit"]["status"], "UNIT_STATUS_EN_ROUTE")
        mt = self.wait_mt(citizen, "SIAGA 112: Petugas sedang menuju lokasi laporan %s" % inc["id"])
        self.assertEqual(mt.kind, "text")

    def test_a_crew_told_by_sms_hears_of_the_cancel(self):
        phone = "+6281300009005"
        add_unit(self.stack, "AMB-95", phone=phone)
        ws = console(self.stack)
        inc = open_incident(self, ws, 95)
        asg = self.assign(ws, inc, "AMB-95")
        self.wait_mt(phone, "SIAGA TUGAS")
        command(ws, "cx", cancelAssignment={"assignmentId": asg["id"], "reason": "unit lain"})
        self.assertTrue(reply_for(ws, "cx").get("ok"))
        self.wait_mt(phone, "SIAGA: tugas %s dibatalkan" % inc["id"])

    def test_still_unanswered_times_out(self):
        phone = "+6281300009002"
        add_unit(self.stack, "AMB-92", phone=phone)
        ws = console(self.stack)
        inc = open_incident(self, ws, 92)
        asg = self.assign(ws, inc, "AMB-92")
        self.wait_mt(phone, "SIAGA TUGAS")
        up = assignment_update(ws, asg["id"], "TIMED_OUT", timeout=40)
        self.assertEqual(up["unit"]["status"], "UNIT_STATUS_AVAILABLE")
        self.assertIsNone(self.stack.r("ZSCORE", key("assign:due"), asg["id"]))
        self.wait_mt(phone, "SIAGA: tugas %s tidak dijawab" % inc["id"])
        # too late now: the crew hears so
        self.k.send_text(phone, "112", "TERIMA")
        self.wait_mt(phone, "SIAGA: tidak ada tugas untuk AMB-92")
        self.assertEqual(self.asg_state(asg["id"]), 6)

    def test_siagad_killed_while_pending_sends_the_sms_once(self):
        phone = "+6281300009003"
        add_unit(self.stack, "AMB-93", phone=phone)
        ws = console(self.stack)
        inc = open_incident(self, ws, 93)
        asg = self.assign(ws, inc, "AMB-93")
        ws.close()
        self.stack.siagad.kill()
        self.stack.start_siagad()
        wait_until(self.stack._healthy, 30, "siagad back", interval=0.1)
        self.wait_mt(phone, "SIAGA TUGAS")
        wait_until(lambda: self.asg_state(asg["id"]) == 6, 40, "timed out after the restart")
        time.sleep(ACK_S)  # a second SMS would have had its chance
        self.assertEqual(len(self.mts(phone, "SIAGA TUGAS")), 1, self.k.mt_messages())


if __name__ == "__main__":
    harness.main()
