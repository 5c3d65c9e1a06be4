"""Dispatcher commands over the console WebSocket: SetStatus and AddNote are
applied atomically, answered with a reply, broadcast as updates to every
console, checked against the version the dispatcher saw, and refused with a
precise error code when wrong."""
import time

import harness
from harness import json_report, key
from clients import json_messages_until


def command(ws, request_id, **action):
    # "actor" is a forged name: the server must act as the signed-in account
    ws.send_json({"command": dict({"requestId": request_id, "actor": "Budi"}, **action)})


def reply_for(ws, request_id, timeout=5):
    msg = json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                              timeout, "reply %s" % request_id)[-1]
    return msg["reply"]


class Commands(harness.StackTestCase):
    STACK = {"workers": 1}

    def open_incident(self, i):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        r = self.stack.post_report(json_report(i, description="Kebakaran gudang, ada orang terjebak"))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        msg = json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "incident for %s" % rid)[-1]
        return ws, msg["update"]["incident"]

    def test_status_change_and_note_reach_every_console(self):
        ws, inc = self.open_incident(1)
        other = self.stack.ws()
        self.assertIn("snapshot", other.recv_json(5))

        command(ws, "ack-1", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED",
                                        "expectedVersion": inc["version"]})
        rep = reply_for(ws, "ack-1")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["status"], "INCIDENT_STATUS_ACKNOWLEDGED")
        self.assertEqual(int(rep["incident"]["version"]), int(inc["version"]) + 1)

        upd = json_messages_until(other, lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_STATUS_CHANGED",
                                  5, "status update on the other console")[-1]["update"]
        self.assertEqual(upd["incident"]["id"], inc["id"])
        self.assertEqual(upd["actor"], "disp")

        command(ws, "note-1", addNote={"incidentId": inc["id"], "text": "Damkar Pahandut dikirim"})
        rep = reply_for(ws, "note-1")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["notes"][-1]["text"], "Damkar Pahandut dikirim")
        self.assertEqual(rep["incident"]["notes"][-1]["author"], "disp")

        # The stored incident and its audit trail agree with the replies.
        stored = self.stack.http("GET", "/v1/incidents/" + inc["id"]).json()
        self.assertEqual(stored["version"], rep["incident"]["version"])
        self.assertEqual(self.stack.r("XLEN", key("audit:" + inc["id"])), 3)

        # Closing takes the incident off the open list.
        command(ws, "close-1", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_CLOSED"})
        self.assertTrue(reply_for(ws, "close-1").get("ok"))
        ids = [i["id"] for i in self.stack.http("GET", "/v1/incidents").json().get("incidents", [])]
        self.assertNotIn(inc["id"], ids)
        self.assertIsNone(self.stack.r("ZSCORE", key("open"), inc["id"]))
        ws.close()
        other.close()

    def test_refusals(self):
        ws, inc = self.open_incident(2)
        before = self.stack.xlen("updates")
        cases = [
            ("stale", {"setStatus": {"incidentId": inc["id"], "status": "INCIDENT_STATUS_CLOSED",
                                     "expectedVersion": "99"}}, "version_conflict"),
            ("missing", {"setStatus": {"incidentId": "PLK-999999", "status": "INCIDENT_STATUS_CLOSED"}},
             "not_found"),
            ("bad-id", {"setStatus": {"incidentId": "../../etc", "status": "INCIDENT_STATUS_CLOSED"}},
             "not_found"),
            ("no-status", {"setStatus": {"incidentId": inc["id"]}}, "bad_command"),
            ("empty-note", {"addNote": {"incidentId": inc["id"], "text": ""}}, "bad_command"),
            ("long-note", {"addNote": {"incidentId": inc["id"], "text": "x" * 1001}}, "bad_command"),
        ]
        for rid, action, code in cases:
            with self.subTest(rid):
                command(ws, rid, **action)
                rep = reply_for(ws, rid)
                self.assertFalse(rep.get("ok"), rep)
                self.assertEqual(rep.get("errorCode"), code, rep)
                self.assertTrue(rep.get("message"), rep)
                # The one shape of a refusal: {code, message}.
                self.assertEqual(rep["error"], {"code": code, "message": rep["message"]})
        # Nothing refused was written.
        self.assertEqual(self.stack.xlen("updates"), before)
        ping_id = "ping-after"
        command(ws, ping_id, ping={})
        self.assertTrue(reply_for(ws, ping_id).get("ok"))
        ws.close()


    def test_a_misspelt_command_is_answered_and_the_console_stays(self):
        ws, inc = self.open_incident(3)
        # "ACKNOWLEDGED" is not an IncidentStatus name (INCIDENT_STATUS_ACKNOWLEDGED is).
        command(ws, "bad-1", setStatus={"incidentId": inc["id"], "status": "ACKNOWLEDGED"})
        rep = reply_for(ws, "bad-1")
        self.assertFalse(rep.get("ok"), rep)
        self.assertEqual(rep["errorCode"], "bad_command")
        self.assertIn("status", rep["message"])
        command(ws, "bad-2", frobnicate={})
        self.assertEqual(reply_for(ws, "bad-2")["errorCode"], "bad_command")
        command(ws, "after", ping={})
        self.assertTrue(reply_for(ws, "after").get("ok"), "the console was closed")
        ws.close()

    def test_acknowledge_claims_and_overrides_stand(self):
        ws, inc = self.open_incident(4)
        self.assertEqual(inc.get("phones"), ["+62812%07d" % 4], "the caller's number is kept")
        command(ws, "ack", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        rep = reply_for(ws, "ack")
        self.assertEqual(rep["incident"]["handler"], harness.DISPATCHER)
        self.assertTrue(int(rep["incident"]["acknowledgedAtMs"]) > 0)

        # An override needs a reason, and is shown with it.
        command(ws, "p-noreason", setPriority={"incidentId": inc["id"], "priority": "P4"})
        self.assertEqual(reply_for(ws, "p-noreason").get("errorCode"), "bad_command")
        command(ws, "p4", setPriority={"incidentId": inc["id"], "priority": "P4",
                                       "reason": "Api sudah padam menurut petugas RT"})
        rep = reply_for(ws, "p4")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["priority"], "P4")
        self.assertEqual(rep["incident"]["priorityOverride"]["reason"], "Api sudah padam menurut petugas RT")
        self.assertEqual(rep["incident"]["priorityOverride"]["by"], harness.DISPATCHER)
        self.assertEqual(self.stack.r("HGET", key("incident:" + inc["id"]), "priority"), b"4")
        command(ws, "cat", setCategory={"incidentId": inc["id"], "category": "rescue",
                                        "reason": "Orang terjebak, bukan kebakaran"})
        self.assertEqual(reply_for(ws, "cat")["incident"]["category"], "rescue")
        command(ws, "cat-bad", setCategory={"incidentId": inc["id"], "category": "alien", "reason": "x"})
        self.assertEqual(reply_for(ws, "cat-bad").get("errorCode"), "bad_command")

        # A later, alarming report from another caller joins the incident and
        # does not undo the dispatcher's decisions.
        later = json_report(4, description="Kebakaran besar, ada orang terjebak di dalam")
        later["reporter"]["phone"] = "+6281299999904"
        later["category"] = "rescue"
        r = self.stack.post_report(later)
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        upd = json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "the later report joining")[-1]["update"]["incident"]
        self.assertEqual(upd["id"], inc["id"])
        self.assertEqual(upd["priority"], "P4")
        self.assertEqual(upd["category"], "rescue")
        self.assertEqual(sorted(upd["phones"]), sorted(["+62812%07d" % 4, "+6281299999904"]))

        # Clearing is a supervisor's.
        command(ws, "clear", setPriority={"incidentId": inc["id"], "clear": True})
        self.assertEqual(reply_for(ws, "clear").get("errorCode"), "forbidden")
        ws.close()

class ClaimGrace(harness.StackTestCase):
    """Acknowledging takes an incident in hand; another dispatcher may take it
    over within the claim grace, then only a supervisor, with a reason."""
    STACK = {"workers": 1, "siagad_args": ["--claim-grace", "2"]}

    def test_take_over_within_the_grace_then_only_a_supervisor(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        r = self.stack.post_report(json_report(7, description="Kebakaran rumah, ada orang terjebak"))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        inc = json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "incident for %s" % rid)[-1]["update"]["incident"]
        self.stack.add_user("tini", "dispatcher", "tini-password")
        self.stack.add_user("kepala", "supervisor", "kepala-password")
        tini = self.stack.ws(token=self.stack.login("tini", "tini-password"))
        self.assertIn("snapshot", tini.recv_json(5))
        boss = self.stack.ws(token=self.stack.login("kepala", "kepala-password"))
        self.assertIn("snapshot", boss.recv_json(5))
        ack = {"incidentId": inc["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED"}

        command(ws, "mine", setStatus=ack)
        self.assertEqual(reply_for(ws, "mine")["incident"]["handler"], harness.DISPATCHER)
        command(ws, "again", setStatus=ack)  # one's own again changes nothing
        self.assertEqual(reply_for(ws, "again").get("errorCode"), "no_change")
        command(tini, "take", setStatus=ack)  # within the grace: anyone
        rep = reply_for(tini, "take")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["handler"], "tini")
        self.assertEqual(rep["incident"]["notes"][-1]["text"], "Diambil alih dari disp oleh tini")

        time.sleep(2.5)  # past the grace (2 s here)
        command(ws, "late", setStatus=ack)
        self.assertEqual(reply_for(ws, "late").get("errorCode"), "forbidden")
        command(boss, "noreason", setStatus=ack)
        self.assertEqual(reply_for(boss, "noreason").get("errorCode"), "bad_command")
        command(boss, "reassign", setStatus=dict(ack, reason="tini pindah ke meja radio"))
        rep = reply_for(boss, "reassign")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["handler"], "kepala")
        self.assertEqual(rep["incident"]["notes"][-1]["text"],
                         "Diambil alih dari tini oleh kepala: tini pindah ke meja radio")
        for c in (ws, tini, boss):
            c.close()


if __name__ == "__main__":
    harness.main()
