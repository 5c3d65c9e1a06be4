"""siaga-admin report against a known history made through the real paths:
an app report and SMS into a real siagad and worker, a dispatcher's
acknowledgements, category and prank marks from the console, a unit that
accepts, arrives and clears over the responder socket. The CSV counts and
times must be what the test did; the SVG must be well-formed XML."""
import csv
import os
import tempfile
import time
import xml.etree.ElementTree as ET

import harness
from clients import json_messages_until
from test_responder import add_unit, command_ok, connect

WIB_S = 7 * 3600
PRANK_PHONE = "+6281299990001"
SVG = "{http://www.w3.org/2000/svg}"


def wib_date(ms):
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000 + WIB_S))


def wib_hour(ms):
    return (ms // 1000 + WIB_S) // 3600 % 24


def nearest_rank(values, p):
    values = sorted(values)
    k = -(-len(values) * p // 100)  # ceil
    return values[k - 1]


def secs(ms):
    return "%d.%03d" % (ms // 1000, ms % 1000)


def now_ms():
    return int(time.time() * 1000)


class Report(harness.StackTestCase):
    STACK = {"workers": 1}

    def console(self):
        ws = self.stack.ws()
        json_messages_until(ws, lambda m: "snapshot" in m and not m["snapshot"].get("more"), 10,
                            "snapshot")
        return ws


    def get(self, incident_id):
        resp = self.stack.http("GET", "/v1/incidents/" + incident_id)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()

    def history(self, incident_id):
        resp = self.stack.http("GET", "/v1/incidents/%s/history" % incident_id)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()


    def report(self, *args):
        out = tempfile.mkdtemp(prefix="siaga-report-", dir=self.stack.tmp)
        rc, stdout, stderr = self.stack.admin("report", *args, "--out", out)
        return rc, stdout, stderr, out

    def test_counts_and_times_are_what_happened(self):
        st = self.stack
        console = self.console()
        token = add_unit(st, "AMB-71")

        # An app report naming its kecamatan in the address.
        app = harness.json_report(1, category="medical",
                                  description="Bapak pingsan di pasar, tidak sadar")
        app["location"]["address"] = "Jl. Ahmad Yani, Kec. Pahandut"
        r = st.post_report(app)
        self.assertEqual(r.status, 202, r)
        medical = self.incident_of(r.json()["reportId"])
        fire = self.incident_of(self.post_sms("+6281211110001",
                                              "Kebakaran rumah di Kec. Jekan Raya, tolong cepat"))
        question = self.incident_of(self.post_sms("+6281211110002",
                                                  "mau tanya jadwal pemadaman listrik besok"))
        prank = self.incident_of(self.post_sms(PRANK_PHONE, "ada kebakaran gudang di Kec. Bukit Batu"))
        self.assertEqual(len({medical, fire, question, prank}), 4)

        # The dispatcher: acknowledges two, calls one a nonemergency, marks
        # the prank caller, whose next message then carries the flag.
        before_ack = now_ms()
        command_ok(self, console, "a1", setStatus={"incidentId": medical,
                                          "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        after_ack = now_ms()
        command_ok(self, console, "a2", setStatus={"incidentId": fire,
                                          "status": "INCIDENT_STATUS_ACKNOWLEDGED"})
        if self.get(question)["category"] != "nonemergency":
            command_ok(self, console, "c1", setCategory={"incidentId": question, "category": "nonemergency",
                                                "reason": "Pertanyaan, bukan darurat"})
        command_ok(self, console, "p1", markPrank={"incidentId": prank, "prank": True})
        again = self.post_sms(PRANK_PHONE, "kebakaran lagi di Kec. Bukit Batu")
        self.incident_of(again)

        # A unit: assigned, accepts, arrives, clears.
        unit = connect(self, token)
        self.assertIn("hello", unit.recv_json(5))
        a = command_ok(self, console, "as1", assign={"incidentId": medical, "unitId": "AMB-71"})["assignment"]
        command_ok(self, unit, "u1", accept={"assignmentId": a["id"]})
        command_ok(self, unit, "u2", setUnitStatus={"status": "UNIT_STATUS_ON_SCENE"})
        command_ok(self, unit, "u3", setUnitStatus={"status": "UNIT_STATUS_RETURNING"})
        unit.close()
        console.close()

        # What the test expects, from what it did and what the store says.
        incidents = {i: self.get(i) for i in (medical, fire, question, prank)}
        self.assertEqual(incidents[question]["category"], "nonemergency")
        contacts = []  # (channel, category, class, kecamatan, hour)
        for iid, inc in incidents.items():
            for rep in self.history(iid)["reports"]:
                phone = rep.get("reporter", {}).get("phone", "")
                cls = ("prank" if phone == PRANK_PHONE else
                       "nonemergency" if inc["category"] == "nonemergency" else "emergency")
                text = rep.get("location", {}).get("address", "") + rep.get("description", "")
                kec = next((k for k in ("Pahandut", "Jekan Raya", "Bukit Batu") if k in text),
                           "unknown")
                contacts.append((rep["channel"].replace("CHANNEL_", "").lower(), inc["category"],
                                 cls, kec, wib_hour(int(rep["receivedAtMs"]))))
        self.assertEqual(len(contacts), 5, contacts)
        received = [int(rep["receivedAtMs"]) for i in incidents for rep in self.history(i)["reports"]]

        rc, out, err, d = self.report("--from", wib_date(min(received)),
                                      "--to", wib_date(max(received)))
        self.assertEqual(rc, 0, err)
        for name in ("contacts_by_channel_category.csv", "contacts_by_kecamatan_hour.csv",
                     "response_times_by_priority.csv", "report.svg"):
            self.assertIn(os.path.join(d, name), out)

        # Contacts by channel and category, the classes apart.
        with open(os.path.join(d, "contacts_by_channel_category.csv")) as f:
            rows = list(csv.DictReader(f))
        want = {}
        for ch, cat, cls, _, _ in contacts:
            want.setdefault((ch, cat), {"emergency": 0, "nonemergency": 0, "prank": 0})[cls] += 1
        got = {(r["channel"], r["category"]): {c: int(r[c]) for c in ("emergency", "nonemergency",
                                                                        "prank")}
               for r in rows if r["channel"] != "all"}
        self.assertEqual(got, want)
        total = [r for r in rows if r["channel"] == "all"][0]
        self.assertEqual((int(total["emergency"]), int(total["nonemergency"]), int(total["prank"]),
                          int(total["total"])), (2, 1, 2, 5))

        # By kecamatan and hour of the day (WIB).
        with open(os.path.join(d, "contacts_by_kecamatan_hour.csv")) as f:
            places = list(csv.DictReader(f))
        want = {}
        for _, _, _, kec, hour in contacts:
            want.setdefault(kec, [0] * 24)[hour] += 1
        got = {p["kecamatan"]: [int(p["%02d" % h]) for h in range(24)] for p in places}
        self.assertEqual(got, want)
        self.assertEqual(places[-1]["kecamatan"], "unknown", "unknown comes last")

        # Response times by priority, each from the incident's opening.
        def first_ack(iid):
            for u in self.history(iid)["updates"]:
                if u["incident"].get("status", "INCIDENT_STATUS_OPEN") != "INCIDENT_STATUS_OPEN":
                    return int(u["atMs"])
            return 0
        self.assertTrue(before_ack <= first_ack(medical) <= after_ack,
                        (before_ack, first_ack(medical), after_ack))
        steps = {"assign": "assignedAtMs", "accept": "acceptedAtMs", "en_route": "enRouteAtMs",
                 "arrive": "onSceneAtMs"}
        want = {}
        for iid, inc in incidents.items():
            t = {k: int(v) for k, v in inc.get("times", {}).items()}
            created = t.get("createdAtMs") or int(inc["createdAtMs"])
            at = {s: t.get(f, 0) for s, f in steps.items()}
            at["acknowledge"] = first_ack(iid)
            durations = {s: v - created for s, v in at.items() if v}
            if t.get("clearedAtMs") and at["arrive"]:
                durations["on_scene"] = t["clearedAtMs"] - at["arrive"]
            for p in (inc["priority"], "all"):
                want.setdefault((p, "incidents"), 0)
                want[(p, "incidents")] += 1
                for s, v in durations.items():
                    want.setdefault((p, s), []).append(v)
        self.assertEqual(len(want[("all", "acknowledge")]), 2)
        self.assertEqual(len(want[("all", "on_scene")]), 1, "the unit cleared")
        with open(os.path.join(d, "response_times_by_priority.csv")) as f:
            times = list(csv.DictReader(f))
        self.assertEqual(len(times), 5 * 6)
        for row in times:
            p, s = row["priority"], row["step"]
            self.assertEqual(int(row["incidents"]), want.get((p, "incidents"), 0), row)
            values = want.get((p, s), [])
            self.assertEqual(int(row["reached"]), len(values), row)
            self.assertEqual(row["p50_s"], secs(nearest_rank(values, 50)) if values else "", row)
            self.assertEqual(row["p90_s"], secs(nearest_rank(values, 90)) if values else "", row)

        # The chart: well-formed SVG, one bar per hour with its count.
        svg = ET.parse(os.path.join(d, "report.svg")).getroot()
        self.assertEqual(svg.tag, SVG + "svg")
        bars = [r for r in svg.iter(SVG + "rect") if r.get("class") == "hour"]
        self.assertEqual(len(bars), 24)
        per_hour = [0] * 24
        for c in contacts:
            per_hour[c[4]] += 1
        self.assertEqual([int(b.find(SVG + "title").text.split()[1]) for b in bars], per_hour)
        self.assertEqual(len([r for r in svg.iter(SVG + "rect") if r.get("class") == "ack"]), 8)

        # The days before and after it (WIB) have nothing in it.
        for day in (wib_date(min(received) - 86400 * 1000), wib_date(max(received) + 86400 * 1000)):
            rc, out, err, d = self.report("--from", day, "--to", day)
            self.assertEqual(rc, 0, err)
            with open(os.path.join(d, "contacts_by_channel_category.csv")) as f:
                self.assertEqual(f.read().splitlines(), ["channel,category,emergency,"
                                                         "nonemergency,prank,total",
                                                         "all,all,0,0,0,0"], day)
            with open(os.path.join(d, "response_times_by_priority.csv")) as f:
                self.assertEqual([r["incidents"] for r in csv.DictReader(f)], ["0"] * 30, day)

    def test_bad_dates_are_refused(self):
        for args in (("--from", "2026-02-30", "--to", "2026-03-01"),
                     ("--from", "2026-03-02", "--to", "2026-03-01"),
                     ("--from", "2026-3-1", "--to", "2026-03-01"),
                     ("--to", "2026-03-01")):
            rc, out, err, d = self.report(*args)
            self.assertEqual(rc, 1, (args, out, err))
            self.assertIn("YYYY-MM-DD", err)
            self.assertEqual(os.listdir(d), [], "nothing written")


if __name__ == "__main__":
    harness.main()
