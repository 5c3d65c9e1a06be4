"""Merge and Unmerge over the console WebSocket: two incidents that are one
emergency become one (reports, notes, numbers and the more urgent priority
move into the one that carries on; the other is closed and points at it);
the callers' next SMS joins the surviving one; an unmerge takes exactly what
came in back out and reopens the other as it was; refusals write nothing."""
import harness
from harness import key, json_report
from clients import json_messages_until


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


def reply_for(ws, request_id, timeout=5):
    return json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                               timeout, "reply %s" % request_id)[-1]["reply"]


class Merge(harness.StackTestCase):
    STACK = {"workers": 1}

    def incident_for(self, ws, rid):
        return json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "incident for %s" % rid)[-1]["update"]["incident"]

    def sms_incident(self, ws, phone, text):
        self.post_sms(phone, text)
        return json_messages_until(
            ws, lambda m: phone in m.get("update", {}).get("incident", {}).get("phones", []),
            15, "incident of %s" % phone)[-1]["update"]["incident"]

    def test_merge_then_unmerge(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        # Two reports of one fire, far enough apart (3 km) to open two incidents.
        a = self.stack.post_report(json_report(1, description="Kebakaran gudang karet, asap hitam"))
        self.assertEqual(a.status, 202, a)
        inc_a = self.incident_for(ws, a.json()["reportId"])
        inc_b = self.sms_incident(ws, "+6281377700001", "ada kebakaran besar, orang terjebak di lantai 2 jl. rajawali")
        self.assertNotEqual(inc_a["id"], inc_b["id"])
        command(ws, "note-b", addNote={"incidentId": inc_b["id"], "text": "Penelepon di lokasi"})
        inc_b = reply_for(ws, "note-b")["incident"]
        before_a = self.stack.http("GET", "/v1/incidents/" + inc_a["id"]).json()

        other = self.stack.ws()
        self.assertIn("snapshot", other.recv_json(5))
        command(ws, "m1", merge={"incidentId": inc_b["id"], "intoIncidentId": inc_a["id"],
                                 "expectedVersion": inc_b["version"],
                                 "intoExpectedVersion": before_a["version"]})
        rep = reply_for(ws, "m1")
        self.assertTrue(rep.get("ok"), rep)
        merged = rep["incident"]
        self.assertEqual(merged["id"], inc_a["id"])
        self.assertEqual(merged["reportCount"], before_a.get("reportCount", 1) + inc_b.get("reportCount", 1))
        for rid in inc_b["reportIds"]:
            self.assertIn(rid, merged["reportIds"])
        self.assertIn("+6281377700001", merged["phones"])
        self.assertIn("Penelepon di lokasi", [n["text"] for n in merged["notes"]])
        self.assertEqual(merged["merged"][0]["incidentId"], inc_b["id"])
        self.assertEqual(merged["merged"][0]["by"], "disp")
        # The more urgent priority of the two stays.
        want = min(before_a["priority"], inc_b["priority"])
        self.assertEqual(merged["priority"], want)
        # Every console sees both changes.
        seen = json_messages_until(
            other, lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_MERGED" and
            m["update"]["incident"]["id"] == inc_b["id"], 5, "the merged one closing")
        closed = seen[-1]["update"]["incident"]
        self.assertEqual(closed["status"], "INCIDENT_STATUS_CLOSED")
        self.assertEqual(closed["mergedInto"], inc_a["id"])
        self.assertIsNone(self.stack.r("ZSCORE", key("open"), inc_b["id"]))
        self.assertIsNotNone(self.stack.r("ZSCORE", key("closed"), inc_b["id"]))
        # The caller's next SMS joins the incident that carries on.
        self.assertEqual(self.stack.r("GET", key("phone:+6281377700001")), inc_a["id"].encode())
        self.assertEqual(self.stack.r("SISMEMBER", key("incident:%s:sms" % inc_a["id"]), "+6281377700001"), 1)
        self.post_sms("+6281377700001", "apinya makin besar")
        joined = json_messages_until(
            ws, lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_REPORT_ATTACHED", 15,
            "the caller's next SMS")[-1]["update"]["incident"]
        self.assertEqual(joined["id"], inc_a["id"])

        # Refusals write nothing.
        n = self.stack.xlen("updates")
        for rid, action, code in [
            ("r1", {"merge": {"incidentId": inc_b["id"], "intoIncidentId": inc_a["id"]}}, "not_open"),
            ("r2", {"merge": {"incidentId": inc_a["id"], "intoIncidentId": inc_a["id"]}}, "bad_command"),
            ("r3", {"merge": {"incidentId": inc_a["id"], "intoIncidentId": "PLK-999999"}}, "not_found"),
            ("r4", {"unmerge": {"incidentId": inc_a["id"]}}, "not_merged"),
            ("r5", {"merge": {"incidentId": inc_a["id"], "intoIncidentId": inc_b["id"]}}, "not_open"),
        ]:
            command(ws, rid, **action)
            r = reply_for(ws, rid)
            self.assertFalse(r.get("ok"), (rid, r))
            self.assertEqual(r["error"]["code"], code, (rid, r))
        self.assertEqual(self.stack.xlen("updates"), n)

        # Unmerge: exactly what came in goes back out.
        command(ws, "u1", unmerge={"incidentId": inc_b["id"]})
        rep = reply_for(ws, "u1")
        self.assertTrue(rep.get("ok"), rep)
        back = rep["incident"]
        self.assertEqual(back["id"], inc_b["id"])
        self.assertEqual(back["status"], inc_b.get("status", "INCIDENT_STATUS_OPEN"))
        self.assertNotIn("mergedInto", back)
        a_now = self.stack.http("GET", "/v1/incidents/" + inc_a["id"]).json()
        for rid in inc_b["reportIds"]:
            self.assertNotIn(rid, a_now["reportIds"])
        self.assertNotIn("+6281377700001", a_now.get("phones", []))
        self.assertNotIn("Penelepon di lokasi", [x["text"] for x in a_now.get("notes", [])])
        self.assertNotIn("merged", a_now)
        # The SMS that came after the merge joined the surviving incident: it stays there.
        self.assertEqual(a_now["reportCount"], before_a.get("reportCount", 1) + 1)
        self.assertEqual(a_now["priority"], before_a["priority"])
        self.assertIsNotNone(self.stack.r("ZSCORE", key("open"), inc_b["id"]))
        self.assertEqual(self.stack.r("GET", key("phone:+6281377700001")), inc_b["id"].encode())
        self.assertEqual(self.stack.r("SISMEMBER", key("incident:%s:sms" % inc_a["id"]), "+6281377700001"), 0)
        ws.close()
        other.close()

    def test_another_dispatchers_incident_is_a_supervisors_to_merge(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        a = self.stack.post_report(json_report(30))
        b = self.stack.post_report(json_report(31))
        inc_a = self.incident_for(ws, a.json()["reportId"])
        inc_b = self.incident_for(ws, b.json()["reportId"])
        self.stack.add_user("sari", "dispatcher", "sari-password-1")
        sari = self.stack.ws(token=self.stack.login("sari", "sari-password-1"))
        self.assertIn("snapshot", sari.recv_json(5))
        command(sari, "ack", setStatus={"incidentId": inc_a["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        self.assertTrue(reply_for(sari, "ack").get("ok"))
        command(ws, "m", merge={"incidentId": inc_b["id"], "intoIncidentId": inc_a["id"]})
        r = reply_for(ws, "m")
        self.assertEqual(r["error"]["code"], "forbidden", r)
        self.stack.add_user("kepala", "supervisor", "kepala-password-1")
        boss = self.stack.ws(token=self.stack.login("kepala", "kepala-password-1"))
        self.assertIn("snapshot", boss.recv_json(5))
        command(boss, "m", merge={"incidentId": inc_b["id"], "intoIncidentId": inc_a["id"]})
        self.assertTrue(reply_for(boss, "m").get("ok"))
        for s in (ws, sari, boss):
            s.close()


class Split(harness.StackTestCase):
    STACK = {"workers": 1}

    def test_split_takes_a_report_out_into_a_new_incident(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        first = json_report(40, description="Kebakaran rumah, asap tebal")
        r1 = self.stack.post_report(first).json()["reportId"]
        inc = json_messages_until(
            ws, lambda m: r1 in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "the first report")[-1]["update"]["incident"]
        # A second emergency next door joins by distance: a man fell from a roof.
        second = json_report(40, category="medical", description="ada orang jatuh dari atap, tidak sadar")
        second["category"] = "fire"
        second["reporter"] = {"phone": "+6281355500040"}
        r2 = self.stack.post_report(second).json()["reportId"]
        inc = json_messages_until(
            ws, lambda m: r2 in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "the second report joining")[-1]["update"]["incident"]
        self.assertEqual(inc["reportCount"], 2)

        command(ws, "s1", split={"incidentId": inc["id"], "reportId": r2, "expectedVersion": inc["version"]})
        rep = reply_for(ws, "s1")
        self.assertTrue(rep.get("ok"), rep)
        fresh = rep["incident"]
        self.assertNotEqual(fresh["id"], inc["id"])
        self.assertEqual(fresh["reportIds"], [r2])
        self.assertEqual(fresh["status"] if "status" in fresh else "INCIDENT_STATUS_OPEN", "INCIDENT_STATUS_OPEN")
        self.assertIn("+6281355500040", fresh.get("phones", []))
        self.assertTrue(any(inc["id"] in n["text"] for n in fresh["notes"]), fresh["notes"])
        left = self.stack.http("GET", "/v1/incidents/" + inc["id"]).json()
        self.assertEqual(left["reportIds"], [r1])
        self.assertEqual(left["reportCount"], 1)
        self.assertEqual(int(left["version"]), int(inc["version"]) + 1)
        self.assertIsNotNone(self.stack.r("ZSCORE", key("open"), fresh["id"]))
        # The report's follower follows the new incident.
        self.assertEqual(self.stack.r("HGET", key("report:" + r2), "incident"), fresh["id"].encode())
        # One update for each: the one it left (SPLIT = 11), the new one (CREATED = 1).
        last = [u["kind"] for _, u in harness.updates(self.stack)][-2:]
        self.assertEqual(last, [11, 1])

        n = self.stack.xlen("updates")
        for rid, action, code in [
            ("x1", {"split": {"incidentId": inc["id"], "reportId": r1}}, "only_report"),
            ("x2", {"split": {"incidentId": "PLK-999999", "reportId": r1}}, "not_found"),
            ("x3", {"split": {"incidentId": inc["id"], "reportId": "no such"}}, "bad_command"),
        ]:
            command(ws, rid, **action)
            r = reply_for(ws, rid)
            self.assertEqual(r["error"]["code"], code, (rid, r))
        self.assertEqual(self.stack.xlen("updates"), n)
        ws.close()


if __name__ == "__main__":
    harness.main()
