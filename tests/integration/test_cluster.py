"""Redis Cluster by region: three primaries on loopback, siagad and a worker
with --cluster find the primary owning the region's slot (CLUSTER SLOTS),
and keep every acknowledged report while that slot is migrated to another
primary with reports flowing; two regions on one cluster stay apart."""
import os
import subprocess
import sys
import threading
import time

import harness
import test_sentinel
from harness import Redis, RedisError, free_port, json_report, wait_until
from test_responder import command, reply_for

MAX_REPORTS = 600       # bounds the posting loop in count...
POST_SECONDS = 60.0     # ...and in time
ACKED_AFTER_MOVE = 10   # acknowledged reports wanted once the slot has moved
MIGRATE_BATCH = 5       # keys per MIGRATE: small, so the migration lasts a while


def cluster_cmd(port, *args):
    with Redis(port, timeout=5) as r:
        return r(*args)


def text(v):
    return v.decode() if isinstance(v, bytes) else v


class ClusterStack(harness.Stack):
    """Three cluster primaries (no replicas), siagad, the workers and
    siaga-admin started with --cluster and the stack's region. self.redis_port
    is the primary owning the region's slot (follow_slot)."""

    def __init__(self, region=harness.REGION, **kw):
        super().__init__(**kw)
        self.region = region
        self.node_ports = [free_port() for _ in range(3)]
        self.redis_port = self.node_ports[0]
        self.node_procs = {}

    def redis_args(self):
        return ["--cluster", ",".join("127.0.0.1:%d" % p for p in self.node_ports),
                "--region", self.region]

    def start_redis(self):
        for port in self.node_ports:
            d = os.path.join(self.tmp, "node-%d" % port)
            os.makedirs(d, exist_ok=True)
            self.node_procs[port] = self._spawn_redis(
                "node-%d" % port, port, d,
                ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                 "--cluster-port", str(free_port()), "--cluster-node-timeout", "5000"))
        p = subprocess.run(["redis-cli", "--cluster", "create"] +
                           ["127.0.0.1:%d" % q for q in self.node_ports] + ["--cluster-yes"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise AssertionError("redis-cli --cluster create: %s %s" % (p.stdout, p.stderr))
        wait_until(self._cluster_ok, 30, "every node says cluster_state:ok and agrees", 0.1)
        self.follow_slot()
        self.redis_proc = self.node_procs[self.redis_port]

    def _cluster_ok(self):
        owners = set()
        for port in self.node_ports:
            if b"cluster_state:ok" not in cluster_cmd(port, "CLUSTER", "INFO"):
                return False
            owners.add(self.owner_of(self.slot(), port))
        return len(owners) == 1

    def slot(self, region=None):
        return cluster_cmd(self.node_ports[0], "CLUSTER", "KEYSLOT",
                           "{%s}" % (region or self.region))

    def node_id(self, port):
        return text(cluster_cmd(port, "CLUSTER", "MYID"))

    def owner_of(self, slot, asked=None):
        """The port of the primary serving slot, as node `asked` sees it."""
        for rng in cluster_cmd(asked or self.node_ports[0], "CLUSTER", "SLOTS"):
            if rng[0] <= slot <= rng[1]:
                return rng[2][1]
        return None

    def follow_slot(self):
        self.redis_port = self.owner_of(self.slot())
        return self.redis_port

    def start_migration(self, to_port):
        """The region's slot IMPORTING on to_port, MIGRATING on its owner."""
        slot, src = self.slot(), self.redis_port
        cluster_cmd(to_port, "CLUSTER", "SETSLOT", slot, "IMPORTING", self.node_id(src))
        cluster_cmd(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", self.node_id(to_port))

    def migrate_keys(self, to_port, keys):
        cluster_cmd(self.redis_port, "MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys)

    def migrate_slot(self, to_port, pause=None):
        """Moves the region's slot to to_port as redis-cli --cluster reshard
        does: IMPORTING there, MIGRATING here, the keys a few at a time, then
        NODE on every node. pause() runs between MIGRATE batches (reports keep
        flowing meanwhile). Returns the number of keys moved."""
        slot, src = self.slot(), self.redis_port
        dst_id = self.node_id(to_port)
        self.start_migration(to_port)
        moved = 0
        for _ in range(10000):  # bounded: each round moves at least one key
            keys = cluster_cmd(src, "CLUSTER", "GETKEYSINSLOT", slot, MIGRATE_BATCH)
            if not keys:
                break
            self.migrate_keys(to_port, keys)
            moved += len(keys)
            if pause:
                pause()
        self.assert_empty(src, slot)
        for port in [to_port, src] + [p for p in self.node_ports if p not in (src, to_port)]:
            cluster_cmd(port, "CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        wait_until(lambda: all(self.owner_of(slot, p) == to_port for p in self.node_ports), 20,
                   "every node names the new owner", 0.1)
        self.redis_port = to_port
        self.redis_proc = self.node_procs[to_port]
        return moved

    @staticmethod
    def assert_empty(port, slot):
        n = cluster_cmd(port, "CLUSTER", "COUNTKEYSINSLOT", slot)
        if n != 0:
            raise AssertionError("%d keys left in slot %d on %d" % (n, slot, port))


class SlotMigration(harness.StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = ClusterStack(name=cls.__name__, workers=1).start()

    def test_keyslot_and_start(self):
        """siagad serves from the primary owning the region's slot, and the
        keys land there, on no other node."""
        rid = self.stack.post_report(json_report(900), {"Idempotency-Key": "c-900"}).json()
        self.incident_of(rid["reportId"])
        owner = self.stack.redis_port
        for port in self.stack.node_ports:
            n = cluster_cmd(port, "CLUSTER", "COUNTKEYSINSLOT", self.stack.slot())
            if port == owner:
                self.assertGreater(n, 0)
            else:
                self.assertEqual(n, 0, port)

    def test_migrate_while_reporting(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        acked, refused, state = [], [0], {"moved": False, "after": 0}
        lock, stop = threading.Lock(), threading.Event()

        def post_loop():
            deadline = time.monotonic() + POST_SECONDS
            for i in range(MAX_REPORTS):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                # A client retries its 503 with the same key: at most once.
                resp = self.stack.post_report(json_report(i), {"Idempotency-Key": "mig-%d" % i})
                if resp.status == 202:
                    with lock:
                        acked.append(resp.json()["reportId"])
                        if state["moved"]:
                            state["after"] += 1
                            if state["after"] >= ACKED_AFTER_MOVE:
                                return
                else:
                    self.assertEqual(resp.status, 503, resp)
                    self.assertIsNotNone(resp.header("retry-after"), resp.headers)
                    with lock:
                        refused[0] += 1
                    time.sleep(0.02)

        errors = []

        def run():
            try:
                post_loop()
            except BaseException as e:  # surfaced in the main thread
                errors.append(e)
        poster = threading.Thread(target=run)
        poster.start()
        try:
            wait_until(lambda: len(acked) >= 20, 30, "20 reports acknowledged before the move")
            src = self.stack.redis_port
            dst = next(p for p in self.stack.node_ports if p != src)
            moved = self.stack.migrate_slot(dst, pause=lambda: time.sleep(0.01))
            with lock:
                state["moved"] = True
            poster.join(POST_SECONDS + 10)
        finally:
            stop.set()
            poster.join(15)
        self.assertEqual(errors, [])
        sys.stderr.write("migration: %d keys moved from %d to %d; %d reports acknowledged, "
                         "%d refused (503)\n" % (moved, src, dst, len(acked), refused[0]))
        self.assertGreater(moved, 0)
        self.assertGreaterEqual(state["after"], ACKED_AFTER_MOVE,
                                "only %d acknowledged after the slot moved" % state["after"])
        self.assertEqual(self.stack.owner_of(self.stack.slot()), dst)
        ClusterStack.assert_empty(src, self.stack.slot())

        def triaged():
            with self.stack.redis() as r:
                return all(r("HGET", harness.key("report:" + rid), "incident") for rid in acked)
        wait_until(triaged, 60, "every acknowledged report triaged on the new owner", 0.2)
        harness.assert_each_in_one_incident(self, self.stack, acked)
        self.assertEqual(len(set(acked)), len(acked))

        # The console opened before the move sees the last report (or was
        # told to start again, and a new one's snapshot has it).
        if not test_sentinel.Failover.console_sees(self, ws, acked[-1]):
            ws = self.stack.ws()
            self.assertIn("snapshot", ws.recv_json(5))
        ws.close()
        self.assertTrue(self.stack.siagad.alive(), "siagad died in the migration")
        self.assertTrue(self.stack.workers[0].alive(), "the worker died in the migration")


class HalfMoved(harness.StackTestCase):
    """A console command whose script writes a key it finds in the data (the
    closed set of transition.lua) while that key alone has been migrated:
    refused whole, the incident as it was; done once the slot has moved."""

    @classmethod
    def setUpClass(cls):
        cls.stack = ClusterStack(name=cls.__name__, workers=1).start()

    def test_close_with_closed_set_moved(self):
        s = self.stack
        ws = s.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        a = self.incident_of(s.post_report(json_report(1)).json()["reportId"])
        command(ws, "close-a", setStatus={"incidentId": a, "status": "INCIDENT_STATUS_CLOSED"})
        self.assertTrue(reply_for(ws, "close-a")[0].get("ok"))  # the closed set exists now
        # By SMS: every key transition.lua names exists (its SMS set, sms:out),
        # so Redis lets the script start.
        b = self.incident_of(self.post_sms("081300000777", "banjir di depan rumah, air tinggi"))
        self.assertNotEqual(a, b)
        # And one open with a place, so the geo set exists.
        self.assertNotIn(self.incident_of(s.post_report(json_report(5)).json()["reportId"]), (a, b))
        for k in ("closed", "sms:out", "incident:%s:sms" % b, "audit:" + b, "geo"):
            self.assertEqual(s.r("EXISTS", harness.key(k)), 1, k)
        before = s.r("HGET", harness.key("incident:" + b), "version")
        updates = s.r("XLEN", harness.key("updates"))

        dst = next(p for p in s.node_ports if p != s.redis_port)
        s.start_migration(dst)
        s.migrate_keys(dst, [harness.key("closed")])
        command(ws, "close-b", setStatus={"incidentId": b, "status": "INCIDENT_STATUS_CLOSED"})
        rep, _ = reply_for(ws, "close-b", 10)
        self.assertFalse(rep.get("ok"), rep)
        self.assertEqual(s.r("HGET", harness.key("incident:" + b), "version"), before)
        self.assertIsNotNone(s.r("ZSCORE", harness.key("open"), b))
        self.assertEqual(s.r("XLEN", harness.key("updates")), updates)

        s.migrate_slot(dst)
        for i in range(50):  # the first commands may meet the MOVED: bounded retries
            command(ws, "close-b-%d" % i,
                    setStatus={"incidentId": b, "status": "INCIDENT_STATUS_CLOSED"})
            rep, _ = reply_for(ws, "close-b-%d" % i, 10)
            if rep.get("ok"):
                break
            time.sleep(0.2)
        self.assertTrue(rep.get("ok"), rep)
        self.assertIsNone(s.r("ZSCORE", harness.key("open"), b))
        self.assertIsNotNone(s.r("ZSCORE", harness.key("closed"), b))
        ws.close()


class TwoRegions(harness.StackTestCase):
    """plk and a second region whose slot is on another primary, each with its
    own siagad and worker on the one cluster."""

    @classmethod
    def setUpClass(cls):
        cls.stack = ClusterStack(name=cls.__name__, workers=1).start()
        s = cls.stack
        cls.other = None
        for i in range(100):  # a region name whose slot is on another node
            name = "r%d" % i
            if s.owner_of(s.slot(name)) != s.redis_port:
                cls.other = name
                break
        cls.other_http = free_port()
        argv = [s.siagad_bin, "--listen", "127.0.0.1:%d" % cls.other_http, "--cluster",
                ",".join("127.0.0.1:%d" % p for p in s.node_ports), "--region", cls.other]
        cls.other_siagad = s._spawn("siagad-" + cls.other, argv)
        s.workers.append(s._spawn("worker-" + cls.other,
                                  [s.worker_bin, "--cluster", "127.0.0.1:%d" % s.node_ports[2],
                                   "--region", cls.other, "--consumer", "w-other"]))
        wait_until(lambda: harness.http(cls.other_http, "GET", "/healthz", timeout=2).status == 200,
                   harness.START_TIMEOUT, "the second region's siagad", 0.1)

    def key_of(self, region, suffix):
        return "siaga:{%s}:%s" % (region, suffix)

    def test_each_region_its_own_keys(self):
        self.assertIsNotNone(self.other)
        s = self.stack
        plk_port, other_port = s.redis_port, s.owner_of(s.slot(self.other))
        self.assertNotEqual(plk_port, other_port)
        plk, other = [], []
        for i in range(10):
            r = s.post_report(json_report(i), {"Idempotency-Key": "plk-%d" % i})
            self.assertEqual(r.status, 202, r)
            plk.append(r.json()["reportId"])
            r = harness.http(self.other_http, "POST", "/v1/reports", json_report(i + 50),
                             {"Idempotency-Key": "other-%d" % i})
            self.assertEqual(r.status, 202, r)
            other.append(r.json()["reportId"])

        def filed(port, region, rids):
            with Redis(port) as c:
                return all(c("HGET", self.key_of(region, "report:" + rid), "incident")
                           for rid in rids)
        wait_until(lambda: filed(plk_port, "plk", plk), 30, "plk's reports triaged", 0.2)
        wait_until(lambda: filed(other_port, self.other, other), 30,
                   "the other region's reports triaged", 0.2)
        with Redis(plk_port) as c:
            self.assertEqual(c("XLEN", self.key_of("plk", "reports")), len(plk))
            for rid in other:
                self.assertFalse(c("EXISTS", self.key_of("plk", "report:" + rid)), rid)
        with Redis(other_port) as c:
            self.assertEqual(c("XLEN", self.key_of(self.other, "reports")), len(other))
            for rid in plk:
                self.assertFalse(c("EXISTS", self.key_of(self.other, "report:" + rid)), rid)
            # The other region's keys are on its node only, and plk's not there.
            self.assertEqual(c("CLUSTER", "COUNTKEYSINSLOT", s.slot()), 0)
        with Redis(plk_port) as c:
            self.assertEqual(c("CLUSTER", "COUNTKEYSINSLOT", s.slot(self.other)), 0)
        # A key asked of the wrong node is refused with MOVED: the slots are
        # really apart, not one server answering both.
        with Redis(plk_port) as c:
            try:
                c("XLEN", self.key_of(self.other, "reports"))
                self.fail("no MOVED from the wrong node")
            except RedisError as e:
                self.assertIn("MOVED", str(e))


if __name__ == "__main__":
    harness.main()
