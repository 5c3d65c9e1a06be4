"""Redis goes away and comes back: siagad answers 503 with Retry-After while it
is gone, never accepts what it cannot store, and recovers on its own."""
import time

import harness
from harness import json_report, key

RECOVERY_TIMEOUT = 30.0


class RedisOutage(harness.StackTestCase):
    STACK = {"workers": 1}

    def report_ids_in_stream(self):
        """Report ids stored in the reports stream (field "r" = Report pb)."""
        out = []
        for _, fields in harness.stream_entries(self.stack, "reports"):
            out.append(harness.pb_first(harness.pb_decode(fields[b"r"]), 1, b"").decode())
        return out

    def metrics(self):
        resp = self.stack.http("GET", "/metrics", auth=False)
        self.assertEqual(resp.status, 200, resp)
        return resp.body.decode().splitlines()

    def test_outage_and_recovery(self):
        ok = self.stack.post_report(json_report(1))
        self.assertEqual(ok.status, 202, ok)
        accepted = [ok.json()["reportId"]]

        self.stack.stop_redis()
        self.assertTrue(self.stack.siagad.alive(), "siagad died with Redis")

        for i in range(3):
            t0 = time.monotonic()
            resp = self.stack.post_report(json_report(10 + i), {"Idempotency-Key": "outage-%d" % i})
            self.assertLess(time.monotonic() - t0, 10, "503 must come promptly")
            self.assertEqual(resp.status, 503, resp)
            retry_after = resp.header("retry-after")
            self.assertIsNotNone(retry_after, resp.headers)
            self.assertTrue(retry_after.isdigit() and int(retry_after) >= 1, retry_after)
            self.assertTrue(resp.header("content-type", "").startswith("application/json"), resp)
            self.assertErrorBody(resp, "503 during outage")

        health = self.stack.http("GET", "/healthz", timeout=10)
        self.assertEqual(health.status, 503, health)
        # GET /metrics needs no Redis, and shows the outage.
        metrics = self.metrics()
        self.assertIn('siaga_redis_connected{conn="commands"} 0', metrics)
        self.assertIn('siaga_redis_connected{conn="follow"} 0', metrics)
        self.assertIn('siaga_http_requests_total{route="reports",code="503"} 3', metrics)

        # The console refuses or tells it cannot serve; siagad must not crash.
        hs = harness.ws_handshake(self.stack.http_port, "/v1/console", (harness.JSON_PROTO,),
                                  extra_headers=self.stack.auth_headers())
        if hs.ws is not None:
            hs.ws.close()
        self.assertTrue(self.stack.siagad.alive(), "siagad died during the outage")

        self.stack.start_redis()  # same port, same dir: the AOF is loaded

        def accepted_again():
            r = self.stack.post_report(json_report(20), {"Idempotency-Key": "after-outage"})
            if r.status == 202:
                return r
            self.assertEqual(r.status, 503, r)  # only 503 while reconnecting
            return None
        resp = harness.wait_until(accepted_again, RECOVERY_TIMEOUT, "POST 202 after Redis restart", 0.25)
        accepted.append(resp.json()["reportId"])
        self.assertTrue(self.stack.siagad.alive())
        self.assertEqual(len([p for p in self.stack.all_procs if p.name == "siagad"]), 1)

        health = harness.wait_until(
            lambda: self.stack.http("GET", "/healthz").status == 200, 10, "/healthz 200 again")
        self.assertTrue(health)
        # The follower reconnects on its own backoff, maybe a little later.
        metrics = harness.wait_until(
            lambda: (lambda m: m if 'siaga_redis_connected{conn="follow"} 1' in m else None)(
                self.metrics()), 10, "the follower reconnected")
        self.assertIn('siaga_redis_connected{conn="commands"} 1', metrics)
        self.assertIn('siaga_redis_connects_total{conn="commands"} 2', metrics, "one reconnect")
        self.assertIn('siaga_redis_connects_total{conn="follow"} 2', metrics, "one reconnect")

        # What was acknowledged survived (AOF), and nothing refused was stored
        # behind the client's back.
        self.assertEqual(sorted(self.report_ids_in_stream()), sorted(accepted))

        # The worker reconnected too: the new report gets triaged.
        harness.wait_until(lambda: self.stack.r("HGET", key("report:" + accepted[1]), "incident"),
                           RECOVERY_TIMEOUT, "report accepted after the outage triaged", 0.2)
        self.assertTrue(self.stack.workers[0].alive(), "worker died with Redis")


if __name__ == "__main__":
    harness.main()
