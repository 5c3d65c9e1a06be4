"""An incident's history for the dispatcher's detail: GET
/v1/incidents/{id}/history gives its audit trail (who did what, when) and the
reports that joined it as their senders wrote them (channel, time, text, the
caller's number), signed-in only."""
import harness
from harness import json_report
from clients import json_messages_until


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


def reply_for(ws, request_id, timeout=5):
    return json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                               timeout, "reply %s" % request_id)[-1]["reply"]


class History(harness.StackTestCase):
    STACK = {"workers": 1}

    def test_trail_and_reports(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        first = json_report(1, description="Kebakaran gudang karet, asap hitam tebal")
        first["reporter"] = {"phone": "+6281200000001"}
        r = self.stack.post_report(first)
        self.assertEqual(r.status, 202, r)
        rid1 = r.json()["reportId"]
        inc = json_messages_until(
            ws, lambda m: rid1 in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "incident for the first report")[-1]["update"]["incident"]
        # A second caller about the same fire, a few metres away: it joins.
        second = json_report(2, description="api besar di gudang dekat pasar")
        second["location"] = dict(first["location"])
        second["location"]["lat"] += 0.0002
        second["reporter"] = {"phone": "+6281200000002"}
        r = self.stack.post_report(second)
        self.assertEqual(r.status, 202, r)
        rid2 = r.json()["reportId"]
        json_messages_until(
            ws, lambda m: rid2 in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "the second report joining")
        command(ws, "ack", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        self.assertTrue(reply_for(ws, "ack").get("ok"))
        command(ws, "note", addNote={"incidentId": inc["id"], "text": "Damkar Pahandut berangkat"})
        self.assertTrue(reply_for(ws, "note").get("ok"))

        resp = self.stack.http("GET", "/v1/incidents/%s/history" % inc["id"])
        self.assertEqual(resp.status, 200, resp)
        h = resp.json()
        self.assertEqual(h["incidentId"], inc["id"])
        kinds = [u["kind"] for u in h["updates"]]
        self.assertEqual(kinds, ["UPDATE_KIND_CREATED", "UPDATE_KIND_REPORT_ATTACHED",
                                 "UPDATE_KIND_STATUS_CHANGED", "UPDATE_KIND_NOTE_ADDED"])
        self.assertEqual([u.get("actor") for u in h["updates"]][2:], ["disp", "disp"])
        self.assertEqual(h["updates"][2]["incident"]["status"], "INCIDENT_STATUS_ACKNOWLEDGED")
        self.assertEqual(h["updates"][3]["incident"]["notes"][0]["text"], "Damkar Pahandut berangkat")
        # Every update names its entry in the updates stream.
        self.assertTrue(all("-" in u.get("id", "") for u in h["updates"]), h["updates"])
        # The trail carries the state, not every report's id again.
        self.assertNotIn("reportIds", h["updates"][1]["incident"])
        reports = h["reports"]
        self.assertEqual([x["id"] for x in reports], [rid1, rid2])
        self.assertEqual(reports[0]["description"], first["description"])
        self.assertEqual(reports[1]["reporter"]["phone"], "+6281200000002")
        self.assertEqual(reports[0]["channel"], "CHANNEL_APP")
        self.assertFalse(h.get("more", False))
        ws.close()

    def test_refusals(self):
        resp = self.stack.http("GET", "/v1/incidents/PLK-000001/history", auth=False)
        self.assertEqual(resp.status, 401, resp)
        self.assertErrorBody(resp)
        for path in ("/v1/incidents/PLK-999999/history", "/v1/incidents/PLK-000001/audit",
                     "/v1/incidents/PLK-000001/history/x", "/v1/incidents/bad%20id/history"):
            resp = self.stack.http("GET", path)
            self.assertEqual(resp.status, 404, (path, resp))
            self.assertErrorBody(resp, path)


if __name__ == "__main__":
    harness.main()
