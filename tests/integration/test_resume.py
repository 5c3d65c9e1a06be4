"""Console resume: after=<last seen id> replays exactly what was missed; an id
no longer retained gets a fresh snapshot first. Checked against XRANGE of the
updates stream."""
import time

import harness
from harness import JSON_PROTO, json_messages_until, json_report, key, stream_id


class Resume(harness.StackTestCase):
    STACK = {"workers": 1}
    next_i = 200

    def post_many(self, n):
        rids = []
        for _ in range(n):
            Resume.next_i += 1
            r = self.stack.post_report(json_report(Resume.next_i))
            self.assertEqual(r.status, 202, r)
            rids.append(r.json()["reportId"])
        return rids

    def wait_triaged(self, rids, timeout=20):
        """Waits until the updates stream holds an update for every report,
        then lets it settle (no new entry for 0.5 s, bounded)."""
        harness.wait_until(lambda: set(rids) <= {u["report_id"] for _, u in harness.updates(self.stack)},
                           timeout, "updates for %d reports" % len(rids))
        n = self.stack.xlen("updates")
        for _ in range(20):
            time.sleep(0.5)
            m = self.stack.xlen("updates")
            if m == n:
                return
            n = m
        self.fail("updates stream never settled")

    def last_update_id(self):
        last = self.stack.r("XREVRANGE", key("updates"), "+", "-", "COUNT", 1)
        return last[0][0].decode() if last else None

    def expect_quiet(self, ws, seconds=1.0):
        try:
            m = ws.recv(seconds)
        except TimeoutError:
            return
        self.fail("unexpected extra message: %r" % (m,))

    def live_update_follows(self, ws, after_id):
        """A new report's update arrives next, and it is the next stream entry."""
        rid = self.post_many(1)[0]
        msgs = json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "live update for %s" % rid)
        got = [m["update"]["id"] for m in msgs if "update" in m]
        want = [eid for eid, _ in harness.updates(self.stack, "(" + after_id)][:len(got)]
        self.assertEqual(got, want, "live updates after %s" % after_id)

    def test_1_resume_replays_exactly_the_missed_updates(self):
        ws = self.stack.ws(protocols=(JSON_PROTO,))
        first = ws.recv_json(5)
        self.assertIn("snapshot", first)
        start = first["snapshot"].get("lastUpdateId") or "-"

        rids = self.post_many(3)
        pending = set(rids)

        def all_seen(m):
            pending.difference_update(m.get("update", {}).get("incident", {}).get("reportIds", []))
            return not pending
        msgs = json_messages_until(ws, all_seen, 20, "updates for the first 3 reports")
        live_ids = [m["update"]["id"] for m in msgs if "update" in m]
        ws.close()
        last = live_ids[-1]
        in_stream = [eid for eid, _ in harness.updates(self.stack, start if start == "-" else "(" + start, last)]
        self.assertEqual(live_ids, in_stream, "live stream before the disconnect had a gap or duplicate")

        missed_rids = self.post_many(5)
        self.wait_triaged(missed_rids)
        expected = harness.updates(self.stack, "(" + last)
        self.assertGreaterEqual(len(expected), 5)

        ws = self.stack.ws("/v1/console?after=" + last, protocols=(JSON_PROTO,))
        try:
            got = []
            for _ in range(len(expected)):
                msg = ws.recv_json(10)
                self.assertNotIn("snapshot", msg, "resume within retention must not send a snapshot")
                self.assertIn("update", msg, msg)
                got.append(msg["update"])
            self.assertEqual([u["id"] for u in got], [eid for eid, _ in expected])
            for u, (eid, stored) in zip(got, expected):
                self.assertEqual(u.get("reportId", ""), stored["report_id"], eid)
                self.assertEqual(u["incident"]["id"], stored["incident"]["id"], eid)
                self.assertEqual(u["incident"].get("reportIds", []), stored["incident"]["report_ids"], eid)
            self.assertTrue(set(missed_rids) <= {u.get("reportId") for u in got})
            self.expect_quiet(ws)
            self.live_update_follows(ws, expected[-1][0])
        finally:
            ws.close()

        # Resuming at the newest id replays nothing.
        newest = self.last_update_id()
        ws = self.stack.ws("/v1/console?after=" + newest, protocols=(JSON_PROTO,))
        try:
            self.expect_quiet(ws)
        finally:
            ws.close()

    def check_snapshot(self, first, retained, open_ids):
        self.assertEqual(list(first), ["snapshot"], first)
        snap = first["snapshot"]
        self.assertEqual(snap.get("lastUpdateId"), retained)
        # Open incidents, most urgent first (the open set's order).
        self.assertEqual([i["id"] for i in snap.get("incidents", [])], open_ids)
        return snap

    def open_ids(self):
        return [x.decode() for x in self.stack.r("ZREVRANGE", key("open"), 0, -1)]

    def test_2_trimmed_history_gives_a_snapshot_first(self):
        self.wait_triaged(self.post_many(2))
        history = [eid for eid, _ in harness.updates(self.stack)]
        old = history[0]
        self.stack.r("XTRIM", key("updates"), "MAXLEN", 1)
        self.assertEqual(self.stack.xlen("updates"), 1)
        retained = self.last_update_id()
        self.assertEqual(retained, history[-1])
        open_ids = self.open_ids()
        self.assertTrue(open_ids)

        # This siagad may still hold the trimmed updates in memory: then it
        # may replay them, but exactly; otherwise a snapshot. Never a gap.
        for after in (old, "0-1"):
            with self.subTest(phase="before restart", after=after):
                ws = self.stack.ws("/v1/console?after=" + after, protocols=(JSON_PROTO,))
                try:
                    first = ws.recv_json(5)
                    if "snapshot" in first:
                        self.check_snapshot(first, retained, open_ids)
                    else:
                        want = [h for h in history if stream_id(h) > stream_id(after)]
                        got = [first] + [ws.recv_json(5) for _ in range(len(want) - 1)]
                        self.assertEqual([m.get("update", {}).get("id") for m in got], want,
                                         "a replay must be exact")
                    self.expect_quiet(ws, 0.5)
                finally:
                    ws.close()

        # A new siagad only has Redis to go by: what was trimmed is gone.
        self.stack.restart_siagad()
        for after in (old, "0-1"):
            with self.subTest(phase="after restart", after=after):
                ws = self.stack.ws("/v1/console?after=" + after, protocols=(JSON_PROTO,))
                try:
                    snap = self.check_snapshot(ws.recv_json(5), retained, open_ids)
                    self.expect_quiet(ws, 0.5)
                    self.live_update_follows(ws, snap["lastUpdateId"])
                    retained, open_ids = self.last_update_id(), self.open_ids()
                finally:
                    ws.close()


if __name__ == "__main__":
    harness.main()
