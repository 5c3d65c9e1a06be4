"""Idempotency-Key: a retry maps to the first report, never a second one."""
import threading

import harness
from harness import json_report, key


class Idempotency(harness.StackTestCase):
    STACK = {"workers": 1}

    def post(self, report, idem_key):
        return self.stack.post_report(report, {"Idempotency-Key": idem_key})

    def test_same_key_same_report(self):
        before = self.stack.xlen()
        r1 = self.post(json_report(1), "retry-key-0001")
        self.assertEqual(r1.status, 202, r1)
        r2 = self.post(json_report(1), "retry-key-0001")
        self.assertEqual(r2.status, 202, r2)
        self.assertEqual(r1.json(), r2.json())
        self.assertEqual(r1.json()["status"], "accepted")
        self.assertEqual(self.stack.xlen(), before + 1)

        # A different key is a different report.
        r3 = self.post(json_report(2), "retry-key-0002")
        self.assertEqual(r3.status, 202, r3)
        self.assertNotEqual(r3.json()["reportId"], r1.json()["reportId"])
        self.assertNotEqual(r3.json()["trackingToken"], r1.json()["trackingToken"])
        self.assertEqual(self.stack.xlen(), before + 2)

        # Without a key, the same body twice is two reports.
        r4 = self.stack.post_report(json_report(3))
        r5 = self.stack.post_report(json_report(3))
        self.assertEqual((r4.status, r5.status), (202, 202), (r4, r5))
        self.assertNotEqual(r4.json()["reportId"], r5.json()["reportId"])
        self.assertEqual(self.stack.xlen(), before + 4)

        # The one report under the key is triaged once: exactly one incident
        # names it, and the worker does not duplicate it.
        rid = r1.json()["reportId"]
        iid = harness.wait_until(
            lambda: self.stack.r("HGET", key("report:" + rid), "incident"), 15,
            "report %s triaged" % rid)
        inc = self.stack.http("GET", "/v1/incidents/" + iid.decode())
        self.assertEqual(inc.status, 200, inc)
        self.assertEqual(inc.json().get("reportIds"), [rid])

    def test_concurrent_retries_one_report(self):
        """A client that times out and retries while the first request is in
        flight: eight simultaneous POSTs with one key make one report."""
        before = self.stack.xlen()
        results, barrier = [None] * 8, threading.Barrier(8)

        def one(i):
            try:
                barrier.wait(5)
                results[i] = self.post(json_report(10), "burst-key-7")
            except Exception as e:  # reported below
                results[i] = e
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for r in results:
            self.assertIsInstance(r, harness.Response, r)
            self.assertEqual(r.status, 202, r)
        bodies = [r.json() for r in results]
        self.assertEqual(len({b["reportId"] for b in bodies}), 1, bodies)
        self.assertEqual(len({b["trackingToken"] for b in bodies}), 1, bodies)
        self.assertEqual(self.stack.xlen(), before + 1)


if __name__ == "__main__":
    harness.main()
