"""GET /v1/incidents/{id}/eido with a real Redis, siagad and worker: an
incident made of two callers' reports and a second incident merged into it,
acknowledged, with a unit that accepted; every field the EIDO carries is
checked against the incident and its history, and every $ref resolves."""
import datetime
import json
import xml.etree.ElementTree as ET

import harness
from clients import json_messages_until
from test_responder import add_unit, command_ok, connect

GML = "{http://www.opengis.net/gml}"


def ms_of(nena):
    """A NENA timestamp as Unix ms."""
    return int(datetime.datetime.fromisoformat(nena).timestamp() * 1000)


def ids_and_refs(node, ids, refs):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$id":
                ids.append(v)
            elif k == "$ref":
                refs.append(v)
            else:
                ids_and_refs(v, ids, refs)
    elif isinstance(node, list):
        for v in node:
            ids_and_refs(v, ids, refs)


class Eido(harness.StackTestCase):
    STACK = {"workers": 1}



    def post(self, report):
        r = self.stack.post_report(report)
        self.assertEqual(r.status, 202, r)
        return self.incident_of(r.json()["reportId"])

    def eido(self, incident_id):
        resp = self.stack.http("GET", "/v1/incidents/%s/eido" % incident_id)
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.header("content-type", "").startswith("application/json"), resp)
        return resp.json()

    def test_eido_matches_the_incident(self):
        st = self.stack
        console = st.ws()
        json_messages_until(console, lambda m: "snapshot" in m and not m["snapshot"].get("more"),
                            10, "snapshot")
        token = add_unit(st, "AMB-81")
        first = harness.json_report(7, category="medical", description="Ibu pingsan di rumah")
        first["reporter"]["name"] = "Siti \"Ani\" Aminah"
        first["location"]["address"] = "Jl. Kinibalu no. 3 <dekat masjid>"
        a = self.post(first)
        second = harness.json_report(7, category="medical", description="Ada orang pingsan")
        second["reporter"] = {"phone": "+6281200000099"}
        self.assertEqual(self.post(second), a, "the second caller joins the first incident")
        b = self.post(harness.json_report(9, category="medical", description="Pingsan di jalan"))
        self.assertNotEqual(a, b)
        command_ok(self, console, "m1", merge={"incidentId": b, "intoIncidentId": a})
        command_ok(self, console, "k1", setStatus={"incidentId": a, "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        command_ok(self, console, "n1", addNote={"incidentId": a, "text": "Keluarga menunggu di depan"})
        unit = connect(self, token)
        self.assertIn("hello", unit.recv_json(5))
        asg = command_ok(self, console, "as1", assign={"incidentId": a, "unitId": "AMB-81"})["assignment"]
        command_ok(self, unit, "u1", accept={"assignmentId": asg["id"]})
        unit.close()
        console.close()

        inc = st.http("GET", "/v1/incidents/" + a).json()
        history = st.http("GET", "/v1/incidents/%s/history" % a).json()
        doc = self.eido(a)

        # Every reference names a component of the document, and ids are unique.
        ids, refs = [], []
        ids_and_refs(doc, ids, refs)
        self.assertEqual(len(ids), len(set(ids)), ids)
        self.assertTrue(set(refs) <= set(ids), set(refs) - set(ids))

        ic = doc["incidentComponent"]
        self.assertEqual(ic["internalIncidentId"], a)
        self.assertEqual(ic["incidentTrackingIdentifier"], "urn:emergency:uid:incidentid:%s:siaga" % a)
        self.assertEqual(ic["incidentTypeInternalCode"], inc["category"])
        self.assertEqual(inc["status"], "INCIDENT_STATUS_DISPATCHED", "the unit accepted")
        self.assertEqual(ic["incidentStatusInternalText"], ["DISPATCHED"])
        self.assertEqual(ic["incidentPriorityInternalText"], inc["priority"])
        self.assertEqual(ic["incidentCommonPriorityNumber"],
                         {"P1": 10, "P2": 7, "P3": 4, "P4": 1}[inc["priority"]])
        self.assertEqual(ic["updatedByAgentReference"], {"$ref": "agent:" + harness.DISPATCHER})
        self.assertEqual(ms_of(ic["lastUpdateTimestamp"]), int(inc["updatedAtMs"]))
        self.assertTrue(ic["lastUpdateTimestamp"].endswith("+07:00"), ic)

        # One call per report, merged ones included, at the time it came.
        reports = {r["id"]: r for r in history["reports"]}
        self.assertEqual(len(reports), 3, "two callers and the merged incident's report")
        calls = {c["$id"]: c for c in doc["callComponent"]}
        self.assertEqual(set(calls), {"urn:emergency:uid:callid:%s:siaga" % r for r in reports})
        for rid, r in reports.items():
            c = calls["urn:emergency:uid:callid:%s:siaga" % rid]
            self.assertEqual(ms_of(c["callStartTimestamp"]), int(r["receivedAtMs"]))
            self.assertEqual((c["direction"], c["localCallType"]), ("incoming", "app"))
            self.assertEqual(c["locationReference"], [{"$ref": "location:" + rid}])

        # One person per number, with the calls they made and their name.
        persons = doc["personComponent"]
        phones = {r["reporter"]["phone"] for r in reports.values()}
        self.assertEqual(len(persons), len(phones))
        by_call = {}
        for p in persons:
            self.assertEqual(p["personIncidentRoleRegistryText"], ["Caller"])
            for cid in p["callIdentifier"]:
                by_call[cid] = p
        self.assertEqual(set(by_call), set(calls))
        siti = [p for p in persons if "ncPersonComponent" in p]
        self.assertEqual(len(siti), 1)
        self.assertEqual(siti[0]["ncPersonComponent"]["personName"]["personFullName"],
                         "Siti \"Ani\" Aminah")
        for cid, c in calls.items():
            self.assertEqual(c["personReference"], [{"$ref": by_call[cid]["$id"]}])

        # The incident's location as PIDF-LO, and each caller's.
        locs = {l["$id"]: l for l in doc["locationComponent"]}
        mine = locs["location:" + a]
        self.assertEqual(mine["locationTypeDescriptionRegistryText"], "CurrentIncident")
        pos = ET.fromstring(mine["locationByValue"]).find(".//" + GML + "pos").text.split()
        self.assertAlmostEqual(float(pos[0]), inc["location"]["lat"], places=6)
        self.assertAlmostEqual(float(pos[1]), inc["location"]["lon"], places=6)
        for rid in reports:
            self.assertEqual(locs["location:" + rid]["locationTypeDescriptionRegistryText"], "Caller")
        self.assertEqual(locs["location:" + [r for r in reports if reports[r]["reporter"].get("name")][0]]
                         ["locationDescriptionText"], "Jl. Kinibalu no. 3 <dekat masjid>")

        # The dispatcher as an agent (a jCard), the unit as a resource.
        agents = {g["$id"]: g for g in doc["agentComponent"]}
        self.assertEqual(set(agents), {"agent:" + harness.DISPATCHER})
        jcard = json.loads(agents["agent:" + harness.DISPATCHER]["agentJcard"])
        self.assertEqual(jcard[0], "vcard")
        self.assertIn(["fn", {}, "text", harness.DISPATCHER], jcard[1])
        res = doc["emergencyResourceComponent"]
        self.assertEqual(len(res), len(inc["assignments"]))
        self.assertEqual(res[0]["$id"], "resource:" + asg["id"])
        self.assertEqual(res[0]["emergencyResourceName"], "AMB-81")
        self.assertEqual(res[0]["unitStatusInternal"], ["ACCEPTED"])

        # The merge, from both sides.
        self.assertEqual([(m["incidentTrackingIdentifier"], m["incidentMergeDirectionCode"])
                          for m in doc["mergeComponent"]],
                         [("urn:emergency:uid:incidentid:%s:siaga" % b, "REPLACING")])
        other = self.eido(b)
        self.assertEqual([(m["incidentTrackingIdentifier"], m["incidentMergeDirectionCode"])
                          for m in other["mergeComponent"]],
                         [("urn:emergency:uid:incidentid:%s:siaga" % a, "REPLACED")])
        self.assertEqual(other["incidentComponent"]["incidentStatusInternalText"], ["CLOSED"])

    def test_refusals(self):
        resp = self.stack.http("GET", "/v1/incidents/PLK-999999/eido")
        self.assertEqual(resp.status, 404, resp)
        self.assertErrorBody(resp, "unknown incident")
        resp = self.stack.http("GET", "/v1/incidents/PLK-000001/eido", auth=False)
        self.assertEqual(resp.status, 401, resp)
        self.assertErrorBody(resp, "no session")
        resp = self.stack.http("GET", "/v1/incidents/PLK-000001/eidox")
        self.assertEqual(resp.status, 404, resp)
        resp = self.stack.http("POST", "/v1/incidents/PLK-000001/eido", {})
        self.assertEqual(resp.status, 405, resp)


if __name__ == "__main__":
    harness.main()
