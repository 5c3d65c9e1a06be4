"""--triage-protocol FILE (siaga-worker and siagad): the triage protocol as
data.

A bad file is refused at start, before Redis is tried, with the file, the
line and the reason, and the program exits non-zero. A good file is what the
worker scores with: the shipped protocol with the fire complaint at 55 and
P1 from 55 makes a plain house fire (the built-in's P2 at 50) a P1 at 55."""
import atexit
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from clients import json_messages_until
from harness import key, wait_until

SOURCE = os.environ.get("SIAGA_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..")
SHIPPED = os.path.join(SOURCE, "data", "protocol", "triage-protocol.tsv")
TMP = tempfile.mkdtemp(prefix="siaga-it-protocol-")
atexit.register(shutil.rmtree, TMP, True)


def shipped_lines():
    with open(SHIPPED, encoding="utf-8") as f:
        return f.read().split("\n")


def write_edited(name, edits):
    """The shipped file with lines replaced: edits maps a line's prefix to
    its replacement. Returns the path and the 1-based line of each edit."""
    lines, at = shipped_lines(), {}
    for prefix, new in edits.items():
        k = next(i for i, line in enumerate(lines) if line.startswith(prefix))
        lines[k], at[prefix] = new, k + 1
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path, at


CUSTOM, _ = write_edited("custom.tsv", {
    "complaint\tfire\t": "complaint\tfire\t55\t-\tkebakaran\tfire",
    "priority\tP1\t": "priority\tP1\t55\tlife at risk, and every fire"})


class BadProtocolFile(unittest.TestCase):
    def worker(self, path, program="siaga-worker"):
        build = os.environ["SIAGA_BUILD"]
        # A port nothing listens on: the file is read before Redis is tried.
        return subprocess.run([os.path.join(build, program), "--redis",
                               "127.0.0.1:%d" % harness.free_port(), "--triage-protocol", path],
                              capture_output=True, text=True, timeout=60)

    def test_bad_files_refused_at_start(self):
        cases = [
            ("levels.tsv", "determinant\ttrapped\t",
             "determinant\ttrapped\tDELTA\t40\t-\tAda korban terjebak\tsomeone trapped",
             "outside the band"),
            ("priority.tsv", "priority\tP2\t", "priority\tP2\t75\tserious", "P1 > P2 > P3"),
            ("complaint.tsv", "complaint\tflood\t", "complaint\tbanjir\t35\t-\tbanjir\tflood",
             "unknown complaint"),
            ("fields.tsv", "rule\tunclear_plea\t", "rule\tunclear_plea", "4 fields"),
        ]
        for name, prefix, new, why in cases:
            with self.subTest(name=name):
                path, at = write_edited(name, {prefix: new})
                p = self.worker(path)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn("%s:%d: " % (path, at[prefix]), p.stderr)
                self.assertIn(why, p.stderr)
                self.assertNotIn("consumer", p.stderr)  # it never started

    def test_siagad_refuses_too(self):
        path, at = write_edited("siagad.tsv", {"level\tECHO\t": "level\tECHO\t35"})
        p = self.worker(path, "siagad")
        self.assertEqual(p.returncode, 2, p)
        # siagad logs it as an event (README "Logs"): the file, the line, the reason.
        self.assertIn("event=start.failed", p.stderr)
        self.assertIn("%s:%d: a level row has 4 fields" % (path, at["level\tECHO\t"]), p.stderr)
        self.assertNotIn("serving", p.stderr)

    def test_missing_file(self):
        p = self.worker(os.path.join(TMP, "nope.tsv"))
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("nope.tsv: cannot open or read the file", p.stderr)


class ProtocolFileDecides(harness.StackTestCase):
    STACK = {"workers": 1, "worker_args": ["--triage-protocol", CUSTOM],
             "siagad_args": ["--triage-protocol", CUSTOM]}

    def incident_of(self, rid):
        iid = wait_until(lambda: self.stack.r("HGET", key("report:" + rid), "incident"), 30,
                         "report %s triaged" % rid).decode()
        return self.stack.http("GET", "/v1/incidents/" + iid).json()

    def test_the_file_is_scored_with(self):
        resp = self.stack.post_report(harness.json_report(7, "fire", "Kebakaran rumah warga"))
        self.assertEqual(resp.status, 202, resp)
        inc = self.incident_of(resp.json()["reportId"])
        self.assertEqual(inc["category"], "fire", inc)
        self.assertEqual(inc["score"], 55, inc)
        self.assertEqual(inc["priority"], "P1", inc)
        base = [r for r in inc["reasons"] if r["rule"] == "category.fire"]
        self.assertEqual([r["points"] for r in base], [55], inc["reasons"])
        # The rest of the file as shipped: the urgent plea's 5 points.
        resp = self.stack.post_report(harness.json_report(47, "flood", "Banjir, tolong"))
        inc = self.incident_of(resp.json()["reportId"])
        self.assertEqual(inc["score"], 40, inc)
        self.assertEqual(inc["priority"], "P3", inc)

    def test_siagad_splits_with_the_file(self):
        # Two reports of one place join; split out, the second is scored
        # again by siagad: 55 and P1 under the file (50 and P2 built in).
        first = self.stack.post_report(harness.json_report(60, "fire", "Kebakaran gudang"))
        inc = self.incident_of(first.json()["reportId"])
        second = harness.json_report(60, "fire", "Kebakaran rumah sebelah gudang")
        second["reporter"] = {"phone": "+6281355500060"}
        r2 = self.stack.post_report(second).json()["reportId"]
        wait_until(lambda: self.incident_of(r2)["id"] == inc["id"], 30, "the second joining")
        inc = self.incident_of(r2)
        ws = self.stack.ws()
        try:
            self.assertIn("snapshot", ws.recv_json(5))
            ws.send_json({"command": {"requestId": "s1", "split": {
                "incidentId": inc["id"], "reportId": r2, "expectedVersion": inc["version"]}}})
            rep = json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == "s1",
                                      10, "the split's reply")[-1]["reply"]
        finally:
            ws.close()
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["incident"]["reportIds"], [r2])
        self.assertEqual(rep["incident"]["score"], 55, rep)
        self.assertEqual(rep["incident"]["priority"], "P1", rep)


if __name__ == "__main__":
    harness.main()
