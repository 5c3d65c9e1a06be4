"""Redis high availability: siagad and the worker find the primary through
Redis Sentinel, follow a failover, and with --min-replicas 1 acknowledge only
what a replica has, so every 202 survives the primary's death."""
import json
import re
import signal
import sys
import time

import harness
from harness import json_report, key, json_messages_until
from test_responder import add_unit, command, connect, reply_for

MAX_REPORTS = 400        # bounds the posting loop in count...
POST_SECONDS = 40.0      # ...and in time
ACKED_BEFORE_KILL = 20
ACKED_AFTER_FAILOVER = 10


class Failover(harness.StackTestCase):
    """A primary, two replicas (one keeps confirming WAIT 1 after the other
    is promoted) and three sentinels."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.HAStack(name=cls.__name__, workers=1, replicas=2, sentinels=3,
                                    down_after_ms=1000, failover_timeout_ms=3000,
                                    siagad_args=["--min-replicas", "1"]).start()

    def post(self, i):
        """One report with its own key; the answer must come (no hang)."""
        resp = self.stack.post_report(json_report(i), {"Idempotency-Key": "ha-%d" % i})
        self.assertIn(resp.status, (202, 503), resp)
        if resp.status == 503:
            self.assertIsNotNone(resp.header("retry-after"), resp.headers)
            self.assertErrorBody(resp, "503 during the failover")
        return resp

    def console_sees(self, ws, rid):
        """Reads the console until an update names rid: True, or until it is
        closed with 4001 (resync: the new primary holds less than it read):
        False. Anything else fails."""
        deadline = time.monotonic() + 20
        for _ in range(100000):
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, "the console never saw %s" % rid)
            try:
                m = ws.recv(left)
            except TimeoutError:
                continue
            if m.kind == "close":
                self.assertEqual(m.code, 4001, m)
                return False
            self.assertEqual(m.kind, "text", m)
            msg = json.loads(m.data)
            if rid in msg.get("update", {}).get("incident", {}).get("reportIds", []):
                return True
        self.fail("the console never saw %s" % rid)

    def test_kill_primary_while_reporting(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        unit_token = add_unit(self.stack, "FIRE-HA", kind="fire")
        unit = connect(self, unit_token)
        self.assertIn("hello", unit.recv_json(5))
        old_primary = self.stack.redis_port
        old_proc = self.stack.redis_proc
        acked, refused, killed_at, i = [], 0, None, 0
        acked_after = 0
        deadline = time.monotonic() + POST_SECONDS
        while i < MAX_REPORTS and time.monotonic() < deadline:
            resp = self.post(i)
            i += 1
            if resp.status == 202:
                acked.append(resp.json()["reportId"])
                if killed_at is not None and refused > 0:
                    if acked_after == 0:
                        back_after = time.monotonic() - kill_time
                    acked_after += 1
            else:
                self.assertIsNotNone(killed_at, "503 before the primary died: %r" % resp)
                refused += 1
            if killed_at is None and len(acked) == ACKED_BEFORE_KILL:
                old_proc.p.send_signal(signal.SIGKILL)
                old_proc.p.wait(timeout=5)
                killed_at = i
                kill_time = time.monotonic()
            if acked_after >= ACKED_AFTER_FAILOVER:
                break
            if killed_at is not None and acked_after == 0:
                time.sleep(0.05)  # a bounded count of 503s while the sentinels agree
        self.assertIsNotNone(killed_at, "the primary was never killed")
        sys.stderr.write("failover: %d reports, %d acknowledged, %d refused (503); first 202 "
                         "%.1f s after the kill\n" % (i, len(acked), refused,
                                                     back_after if acked_after else -1))
        self.assertGreater(refused, 0, "no 503 at all: was the primary really killed?")
        self.assertGreaterEqual(acked_after, ACKED_AFTER_FAILOVER,
                                "after %d reports (%d refused), only %d acknowledged after the "
                                "failover" % (i, refused, acked_after))

        new_primary = self.stack.follow_primary()
        self.assertNotEqual(new_primary, old_primary, "the sentinels still name the dead primary")
        self.assertIn(b"role:master", self.stack.info(new_primary))

        # Every acknowledged report is on the new primary, triaged, in exactly
        # one incident.
        def triaged():
            with self.stack.redis() as r:
                return all(r("HGET", key("report:" + rid), "incident") for rid in acked)
        harness.wait_until(triaged, 30, "every acknowledged report triaged on the new primary",
                           0.2)
        harness.assert_each_in_one_incident(self, self.stack, acked)

        # The console opened before the failover stayed with siagad: it sees
        # the last report, or was told to start again (4001); a new one
        # starts from the new primary's snapshot.
        if not self.console_sees(ws, acked[-1]):
            ws = self.stack.ws()
            snap = ws.recv_json(5)
            self.assertIn("snapshot", snap)

        # The responder connected before the failover gets an assignment made
        # after it (or, told to start again, gets it once reconnected).
        incident = self.stack.r("HGET", key("report:" + acked[-1]), "incident").decode()
        command(ws, "as-ha", assign={"incidentId": incident, "unitId": "FIRE-HA"})
        rep, _ = reply_for(ws, "as-ha", 10)
        self.assertTrue(rep.get("ok"), rep)
        def offered(m):
            """The incident an assignment message, or a hello carrying one, offers."""
            if "assignment" in m:
                return m["assignment"]["incident"]["id"]
            hello = m.get("hello", {})
            return hello["incident"]["id"] if hello.get("assignment") else None
        try:
            offer = json_messages_until(unit, offered, 10, "the assignment")[-1]
        except AssertionError as e:  # closed to start again: the hello brings it
            if "timed out" in str(e):
                raise
            unit = connect(self, unit_token)
            offer = json_messages_until(unit, offered, 10, "the assignment")[-1]
        self.assertEqual(offered(offer), incident)
        unit.close()
        ws.close()
        self.assertTrue(self.stack.siagad.alive(), "siagad died in the failover")
        self.assertTrue(self.stack.workers[0].alive(), "the worker died in the failover")


class HungPrimary(harness.StackTestCase):
    """A primary that stops answering but keeps its connections (SIGSTOP, as
    a machine cut off the network): only the sentinels' +switch-master can
    move siagad before the primary comes back."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.HAStack(name=cls.__name__, workers=1, replicas=1, sentinels=3,
                                    down_after_ms=1000, failover_timeout_ms=3000).start()

    def test_switch_master_moves_siagad(self):
        st = self.stack
        old = st.redis_proc
        before = st.post_report(json_report(1), {"Idempotency-Key": "hung-1"})
        self.assertEqual(before.status, 202, before)
        old.p.send_signal(signal.SIGSTOP)
        try:
            def accepted():
                resp = st.post_report(json_report(2), {"Idempotency-Key": "hung-2"})
                self.assertIn(resp.status, (202, 503), resp)
                return resp if resp.status == 202 else None
            # One request may wait for the failover on the stopped primary; the
            # client's timeout bounds it.
            resp = harness.wait_until(accepted, 40, "a 202 after the failover", 0.2)
            self.assertEqual(st.follow_primary(), st.replica_ports[0])
            rid = resp.json()["reportId"]
            self.assertTrue(st.r("HGET", key("report:" + rid), "token"), "not on the new primary")
            with open(st.siagad.log_path, "rb") as f:
                self.assertRegex(f.read(), rb"event=redis\.failover conn=\S+ master=" +
                             re.escape(harness.SENTINEL_MASTER.encode()))
        finally:
            old.p.send_signal(signal.SIGKILL)
            old.p.wait(timeout=5)


class OneSentinel(harness.StackTestCase):
    """One sentinel that will not fail over on its own: the test stops the
    replica, then moves the primary by hand, so siagad meets READONLY on a
    connection that stays open, and a sentinel that still names the old
    primary."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.HAStack(name=cls.__name__, workers=1, replicas=1, sentinels=1,
                                    down_after_ms=60000,
                                    siagad_args=["--min-replicas", "1",
                                                 "--min-replicas-timeout-ms", "200"]).start()

    def siagad_log(self):
        with open(self.stack.siagad.log_path, "rb") as f:
            return f.read()

    def test_1_no_ack_without_a_replica(self):
        """--min-replicas 1 with the one replica gone: no 202 and no gateway
        2xx, though the report may be stored; the retry with the same key,
        once the replica is back, gets the first answer."""
        st = self.stack
        ok = st.post_report(json_report(1), {"Idempotency-Key": "mr-1"})
        self.assertEqual(ok.status, 202, ok)
        replica = st.replica_ports[0]
        st.redis_procs[replica].stop()
        harness.wait_until(lambda: b"connected_slaves:0" in st.info(st.redis_port), 10,
                           "the primary without its replica")

        before = st.xlen()
        app = st.post_report(json_report(2), {"Idempotency-Key": "mr-2"})
        self.assertEqual(app.status, 503, app)
        self.assertIsNotNone(app.header("retry-after"), app.headers)
        self.assertErrorBody(app, "app report without a replica")
        sms = {"from": "+6281234567041", "to": "112", "text": "kebakaran di pasar",
               "messageId": "mr-sms-1"}
        gw = st.http("POST", "/v1/sms/inbound", sms)
        self.assertEqual(gw.status, 503, gw)
        self.assertErrorBody(gw, "gateway report without a replica")
        stored = st.xlen() - before  # both were appended on the primary all the same
        self.assertEqual(stored, 2)

        st.start_data_server(replica, st.redis_port)
        again = st.post_report(json_report(2), {"Idempotency-Key": "mr-2"})
        self.assertEqual(again.status, 202, again)
        gw2 = st.http("POST", "/v1/sms/inbound", sms)
        self.assertEqual(gw2.status, 202, gw2)
        self.assertEqual(st.xlen() - before, 2, "a retry appended again")
        rid = again.json()["reportId"]
        self.assertEqual(st.r("HGET", key("idem:app:mr-2"), "id").decode(), rid,
                         "the retry's answer is not the first append's")

    def test_2_readonly_reply_asks_the_sentinels_again(self):
        st = self.stack
        first = st.post_report(json_report(3), {"Idempotency-Key": "ro-1"})
        self.assertEqual(first.status, 202, first)
        a, b = st.redis_port, st.replica_ports[0]

        # b becomes the primary and a its replica; the sentinel still names a.
        with harness.Redis(b) as r:
            r("REPLICAOF", "NO", "ONE")
        with harness.Redis(a) as r:
            r("REPLICAOF", "127.0.0.1", str(b))
        harness.wait_until(lambda: b"master_link_status:up" in st.info(a), 10, "a replicating b")

        # a refuses writes and is no primary: never a 202 from it, and siagad
        # is not ready while the sentinel names it (a replica answers PING,
        # so /healthz would say 200 without the ROLE check).
        for n in range(5):
            resp = st.post_report(json_report(10 + n), {"Idempotency-Key": "ro-stale-%d" % n})
            self.assertEqual(resp.status, 503, resp)
            health = st.http("GET", "/healthz")
            self.assertEqual(health.status, 503, health)
            time.sleep(0.3)
        self.assertIn(b"event=redis.read_only", self.siagad_log())
        self.assertIn(b"event=redis.not_primary", self.siagad_log())

        # The sentinel learns of b: siagad and the worker follow.
        with harness.Redis(st.sentinel_ports[0]) as r:
            r("SENTINEL", "REMOVE", harness.SENTINEL_MASTER)
            r("SENTINEL", "MONITOR", harness.SENTINEL_MASTER, "127.0.0.1", str(b), "1")
            r("SENTINEL", "SET", harness.SENTINEL_MASTER, "down-after-milliseconds", "60000")
        self.assertEqual(st.follow_primary(), b)

        def accepted():
            resp = st.post_report(json_report(30), {"Idempotency-Key": "ro-after"})
            self.assertIn(resp.status, (202, 503), resp)
            return resp if resp.status == 202 else None
        resp = harness.wait_until(accepted, 20, "a 202 from the new primary", 0.2)
        rid = resp.json()["reportId"]
        harness.wait_until(lambda: st.r("HGET", key("report:" + rid), "incident"), 20,
                           "the worker triaging on the new primary", 0.2)
        harness.assert_each_in_one_incident(self, st, [first.json()["reportId"], rid])


if __name__ == "__main__":
    harness.main()
