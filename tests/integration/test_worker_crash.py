"""A worker killed mid-burst loses nothing: its pending reports are claimed by
the other worker (--claim-idle-ms 1000), every acknowledged report ends up in
exactly one incident, once, and the consumer group has nothing pending."""
import collections
import signal
import threading
import time

import harness
from harness import json_report, key

N_REPORTS = 200
GROUP = "triage"


class WorkerCrash(harness.StackTestCase):
    STACK = {"workers": 2, "claim_idle_ms": 1000}

    def pending_summary(self):
        count, _, _, consumers = self.stack.r("XPENDING", key("reports"), GROUP)
        return count, {c.decode(): int(n) for c, n in (consumers or [])}

    def test_kill_worker_mid_burst(self):
        before = self.stack.xlen()
        results = [None] * N_REPORTS
        done = [0]
        lock = threading.Lock()
        next_i = iter(range(N_REPORTS))

        def poster():
            while True:
                with lock:
                    i = next(next_i, None)
                if i is None:
                    return
                try:
                    results[i] = self.stack.post_report(json_report(i))
                except Exception as e:  # reported below
                    results[i] = e
                with lock:
                    done[0] += 1

        threads = [threading.Thread(target=poster) for _ in range(8)]
        for t in threads:
            t.start()
        harness.wait_until(lambda: done[0] >= N_REPORTS // 2, 60, "half of the burst posted", 0.005)
        w1 = self.stack.workers[0]
        # Freeze first, so whatever w1 has read stays un-acknowledged, then kill.
        w1.p.send_signal(signal.SIGSTOP)
        posted_at_stop = done[0]
        time.sleep(0.2)
        w1.kill()
        _, by_consumer = self.pending_summary()
        print("\nw1 stopped after %d of %d posts; %d entries pending for it at the kill"
              % (posted_at_stop, N_REPORTS, by_consumer.get("w1", 0)))
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "posting threads hung")

        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "report %d: %r" % (i, r))
            self.assertEqual(r.status, 202, "report %d: %r" % (i, r))
        rids = [r.json()["reportId"] for r in results]
        self.assertEqual(len(set(rids)), N_REPORTS, "report ids are not unique")
        self.assertEqual(self.stack.xlen(), before + N_REPORTS)

        def settled():
            count, _ = self.pending_summary()
            if count:
                return False
            with self.stack.redis() as r:
                return all(r("HGET", key("report:" + rid), "incident") for rid in rids)
        try:
            harness.wait_until(settled, 60, "every report triaged and nothing pending", 0.2)
        except AssertionError:
            count, by = self.pending_summary()
            with self.stack.redis() as r:
                missing = [x for x in rids if not r("HGET", key("report:" + x), "incident")]
            self.fail("after 60 s: %d pending %r, %d reports without incident (e.g. %s)"
                      % (count, by, len(missing), missing[:3]))
        self.assertTrue(self.stack.workers[1].alive(), "worker w2 died")

        # Each report in exactly one incident: the one its index names.
        named = harness.assert_each_in_one_incident(self, self.stack, rids)

        # Exactly-once effect: one transition per report in the updates stream.
        per_report = collections.Counter(u["report_id"] for _, u in harness.updates(self.stack))
        dup = {x: n for x, n in per_report.items() if x in named and n != 1}
        self.assertFalse(dup, "reports with more than one update: %r" % dup)
        self.assertEqual(set(rids) - set(per_report), set(), "reports without an update")


if __name__ == "__main__":
    harness.main()
