"""Integration test harness for siaga: private Redis, siagad and workers.

Standard library only. Each test class starts its own stack (Stack) on free
loopback ports in a temporary directory and stops it on teardown, always.
Children also get PR_SET_PDEATHSIG, so a test process killed by a ctest
timeout takes them down with it. Every wait is bounded in count and time.

Environment: SIAGA_BUILD (directory holding siagad and siaga-worker),
SIAGA_SOURCE (repository root, optional here). SIAGA_KEEP_TMP=1 keeps the
temporary directories even when every test passes.
"""
import collections
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from http.client import HTTPException

from clients import (Redis, RedisError, Response, http, raw_http, Message, WebSocket,  # noqa: F401
                     Handshake, ws_handshake, json_messages_until,
                     OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG)
from wire import pb_decode, pb_first, decode_update  # noqa: F401 (re-exported)

REGION = "plk"
JSON_PROTO = "siaga.console.v1.json"
PB_PROTO = "siaga.console.v1"
STOP_TIMEOUT = 5.0
START_TIMEOUT = 20.0

DISPATCHER = "disp"            # the account every stack signs its consoles in with
DISPATCHER_PASSWORD = "disp-password-1"

_all_stacks = []


def key(suffix):
    return "siaga:{%s}:%s" % (REGION, suffix)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what, interval=0.05):
    """Calls pred() until it returns a truthy value, at most `timeout` seconds
    and a bounded number of times; returns that value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    for _ in range(int(timeout / interval) + 2):
        try:
            value = pred()
            if value:
                return value
        except (OSError, RedisError, HTTPException) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s%s" %
                         (timeout, what, " (last error: %r)" % last_exc if last_exc else ""))


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the child gets SIGKILL when this process dies.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


# ---------------------------------------------------------------- processes

class Proc:
    def __init__(self, name, argv, logdir, cwd=None, stdin_pipe=False):
        self.name, self.argv = name, argv
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "ab")
        self.log.write(("\n=== start %s\n" % " ".join(argv)).encode())
        self.log.flush()
        self.p = subprocess.Popen(argv, cwd=cwd,
                                  stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT,
                                  preexec_fn=_die_with_parent)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        if self.p.stdin is not None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if self.p.poll() is None:
            try:
                self.p.send_signal(sig)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=timeout)
        if not self.log.closed:
            self.log.close()
        return self.p.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError as e:
            return "(no log: %s)" % e


class Stack:
    """One private Redis, one siagad and `workers` siaga-worker processes."""

    def __init__(self, workers=1, claim_idle_ms=None, name="stack", siagad_args=(), worker_args=()):
        build = os.environ.get("SIAGA_BUILD")
        if not build:
            raise RuntimeError("SIAGA_BUILD is not set (directory with siagad and siaga-worker)")
        self.siagad_bin = os.path.join(build, "siagad")
        self.worker_bin = os.path.join(build, "siaga-worker")
        self.admin_bin = os.path.join(build, "siaga-admin")
        for b in (self.siagad_bin, self.worker_bin, self.admin_bin):
            if not os.access(b, os.X_OK):
                raise RuntimeError("missing executable %s" % b)
        self.n_workers, self.claim_idle_ms, self.name = workers, claim_idle_ms, name
        self.siagad_args = list(siagad_args)  # extra siagad options, e.g. --webhook-secret
        self.worker_args = list(worker_args)  # extra worker options, e.g. --triage-protocol
        self.tmp = tempfile.mkdtemp(prefix="siaga-it-%s-" % name)
        self.redis_port = free_port()
        self.http_port = free_port()
        self.redis_proc, self.siagad, self.workers = None, None, []
        self.all_procs = []
        self.sms_sent = 0  # message ids for post_sms, unique on this stack's Redis
        self.token = None  # the dispatcher's session, once started
        _all_stacks.append(self)

    # -- lifecycle
    def start(self):
        try:
            self.start_redis()
            self.add_user(DISPATCHER, "dispatcher", DISPATCHER_PASSWORD)
            self.start_siagad()
            for i in range(1, self.n_workers + 1):
                self.start_worker(i)
            wait_until(self._healthy, START_TIMEOUT, "siagad /healthz 200", interval=0.1)
            self.token = self.login(DISPATCHER, DISPATCHER_PASSWORD)
        except BaseException:
            self.stop()
            raise
        return self

    def redis_args(self):
        """How siagad, the workers and siaga-admin find Redis."""
        return ["--redis", "127.0.0.1:%d" % self.redis_port]

    def start_siagad(self):
        self.siagad = self._spawn("siagad", [self.siagad_bin, "--listen",
                                  "127.0.0.1:%d" % self.http_port] + self.redis_args() +
                                  self.siagad_args)
        return self.siagad

    def restart_siagad(self):
        """SIGTERM siagad, start a new one on the same port, wait for /healthz."""
        self.siagad.stop()
        self.start_siagad()
        wait_until(self._healthy, START_TIMEOUT, "restarted siagad /healthz 200", interval=0.1)

    def _spawn(self, name, argv):
        p = Proc(name, argv, self.tmp)
        self.all_procs.append(p)
        return p

    def start_worker(self, i):
        argv = [self.worker_bin] + self.redis_args() + ["--consumer", "w%d" % i]
        if self.claim_idle_ms is not None:
            argv += ["--claim-idle-ms", str(self.claim_idle_ms)]
        argv += self.worker_args
        w = self._spawn("worker-w%d" % i, argv)
        self.workers.append(w)
        return w

    def _healthy(self):
        for p in (self.siagad, *self.workers):
            if not p.alive():
                raise AssertionError("%s exited with %s during start:\n%s" %
                                     (p.name, p.p.returncode, p.tail()))
        return self.http("GET", "/healthz", timeout=2).status == 200

    def start_redis(self):
        self.redis_proc = self._spawn_redis("redis", self.redis_port, self.tmp)

    def _spawn_redis(self, name, port, dirname, extra=()):
        """A redis-server on port with its files in dirname; waits for PING."""
        proc = self._spawn(name, [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--dir", dirname, "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", ""] + list(extra))

        def pong():
            if not proc.alive():
                raise AssertionError("redis-server %s exited:\n%s" % (name, proc.tail()))
            with Redis(port, timeout=1) as r:
                return r("PING") == "PONG"
        wait_until(pong, 10, "redis %s PING" % name, interval=0.05)
        return proc

    def stop_redis(self):
        """SIGTERM: Redis flushes the AOF and exits; waits until it is gone."""
        return self.redis_proc.stop(signal.SIGTERM, timeout=10)

    def stop(self):
        for p in reversed(self.all_procs):
            try:
                p.stop()
            except Exception as e:  # keep stopping the others
                sys.stderr.write("stopping %s: %r\n" % (p.name, e))

    def tails(self, n=40):
        out = []
        seen = set()
        for p in self.all_procs:
            if p.log_path in seen:
                continue
            seen.add(p.log_path)
            out.append("---- %s (%s) last %d lines ----\n%s" % (p.name, p.log_path, n, p.tail(n)))
        return "\n".join(out)

    # -- accounts
    def admin(self, *args, stdin=None):
        """Runs siaga-admin against this stack's Redis: (exit code, stdout, stderr)."""
        p = subprocess.run([self.admin_bin] + self.redis_args() + list(args), input=stdin, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def add_user(self, name, role, password):
        rc, out, err = self.admin("user", "add", name, "--role", role, stdin=password + "\n")
        if rc != 0:
            raise AssertionError("siaga-admin user add %s: %s %s" % (name, out, err))

    def login(self, name, password):
        """Signs in; returns the session token."""
        resp = self.http("POST", "/v1/auth/login", {"username": name, "password": password},
                         auth=False)
        if resp.status != 200:
            raise AssertionError("sign-in of %s: %r" % (name, resp))
        return resp.json()["token"]

    def auth_headers(self, token=None):
        return {"Authorization": "Bearer " + (token or self.token)}

    # -- clients
    def redis(self, timeout=5.0):
        return Redis(self.redis_port, timeout=timeout)

    def r(self, *args):
        with Redis(self.redis_port) as c:
            return c(*args)

    def http(self, method, path, body=None, headers=None, timeout=10.0, auth=True):
        """An HTTP request, signed in as the stack's dispatcher unless auth is False
        or headers name their own Authorization."""
        if auth and self.token:
            headers = dict(headers or {})
            if not any(k.lower() == "authorization" for k in headers):
                headers.update(self.auth_headers())
        return http(self.http_port, method, path, body, headers, timeout)

    def raw(self, data, timeout=10.0, shutdown_write=False):
        return raw_http(self.http_port, data, timeout, shutdown_write)

    def post_report(self, report, headers=None):
        return self.http("POST", "/v1/reports", report, headers)

    def ws(self, path="/v1/console", protocols=(JSON_PROTO,), timeout=5.0, token=None):
        hs = ws_handshake(self.http_port, path, protocols, timeout,
                          extra_headers=self.auth_headers(token))
        if hs.ws is None:
            raise AssertionError("websocket upgrade %s %r refused: %s %r" %
                                 (path, protocols, hs.status, hs.headers))
        return hs.ws

    def xlen(self, name="reports"):
        return self.r("XLEN", key(name))


SENTINEL_MASTER = "siaga"


class HAStack(Stack):
    """A primary, `replicas` replicas and `sentinels` Redis sentinels (quorum:
    a majority), with siagad, the workers and siaga-admin started with
    --sentinel. self.redis_port follows the primary (follow_primary)."""

    def __init__(self, replicas=1, sentinels=3, down_after_ms=1000, failover_timeout_ms=3000,
                 **kw):
        super().__init__(**kw)
        self.n_sentinels, self.down_after_ms = sentinels, down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.replica_ports = [free_port() for _ in range(replicas)]
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.redis_procs = {}  # port -> Proc of the two data servers
        self.sentinel_procs = []

    def redis_args(self):
        return ["--sentinel", ",".join("127.0.0.1:%d" % p for p in self.sentinel_ports),
                "--sentinel-master", SENTINEL_MASTER]

    def start_redis(self):
        self.start_data_server(self.redis_port)
        self.redis_proc = self.redis_procs[self.redis_port]
        for port in self.replica_ports:
            self.start_data_server(port, self.redis_port)
        for i, port in enumerate(self.sentinel_ports):
            self.start_sentinel(i, port, self.redis_port)
        wait_until(self._sentinels_ready, 20, "every sentinel sees the replica and the others",
                   interval=0.1)

    def start_data_server(self, port, primary_port=None):
        """A redis-server on port (again: same directory), a replica of
        primary_port if given, in sync before this returns."""
        d = os.path.join(self.tmp, "redis-%d" % port)
        os.makedirs(d, exist_ok=True)
        extra = ("--replicaof", "127.0.0.1", str(primary_port)) if primary_port else ()
        self.redis_procs[port] = self._spawn_redis("redis-%d" % port, port, d, extra)
        if primary_port:
            wait_until(lambda: b"master_link_status:up" in self.info(port), 10,
                       "replica %d in sync" % port)

    def start_sentinel(self, i, port, primary_port):
        conf = os.path.join(self.tmp, "sentinel-%d.conf" % i)  # sentinel rewrites it
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\n"
                    "sentinel monitor %s 127.0.0.1 %d %d\n"
                    "sentinel down-after-milliseconds %s %d\n"
                    "sentinel failover-timeout %s %d\n" %
                    (port, self.tmp, SENTINEL_MASTER, primary_port, self.n_sentinels // 2 + 1,
                     SENTINEL_MASTER, self.down_after_ms, SENTINEL_MASTER,
                     self.failover_timeout_ms))
        self.sentinel_procs.append(self._spawn("sentinel-%d" % i,
                                               ["redis-server", conf, "--sentinel"]))

    def _sentinels_ready(self):
        for port in self.sentinel_ports:
            with Redis(port, timeout=1) as r:
                m = r("SENTINEL", "MASTER", SENTINEL_MASTER)
            info = dict(zip(m[::2], m[1::2]))
            if (int(info[b"num-slaves"]) < len(self.replica_ports) or
                    int(info[b"num-other-sentinels"]) < self.n_sentinels - 1):
                return False
        return True

    def info(self, port):
        with Redis(port, timeout=1) as r:
            return r("INFO", "replication")

    def primary_by_sentinels(self):
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                with Redis(port, timeout=1) as r:
                    return int(r("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER)[1])
            except (OSError, RedisError, TypeError):
                continue
        return None

    def follow_primary(self):
        """Points self.redis_port (self.r, self.redis) at the primary now."""
        port = self.primary_by_sentinels()
        if port is not None:
            self.redis_port = port
            self.redis_proc = self.redis_procs[port]
        return port


def assert_each_in_one_incident(test, stack, rids):
    """Each report id in rids is in exactly one incident: the one its index
    names (the reports must be triaged already)."""
    with stack.redis() as r:
        named = {rid: r("HGET", key("report:" + rid), "incident").decode() for rid in rids}
    occurrences = collections.Counter()
    holder = {}
    for iid in sorted(set(named.values())):
        resp = stack.http("GET", "/v1/incidents/" + iid)
        test.assertEqual(resp.status, 200, "incident %s: %r" % (iid, resp))
        report_ids = resp.json().get("reportIds", [])
        occurrences.update(report_ids)
        for x in report_ids:
            holder[x] = iid
    for rid in rids:
        test.assertEqual(occurrences[rid], 1, "report %s appears %d times" % (rid, occurrences[rid]))
        test.assertEqual(holder[rid], named[rid], rid)
    return named


def stream_entries(stack, name, start="-", end="+", count=None):
    """XRANGE as [(entry id str, {field bytes: value bytes})]."""
    args = ["XRANGE", key(name), start, end] + (["COUNT", count] if count else [])
    return [(eid.decode(), dict(zip(kv[::2], kv[1::2]))) for eid, kv in stack.r(*args)]


def updates(stack, start="-", end="+"):
    """The updates stream decoded: [(entry id, IncidentUpdate dict)]."""
    return [(eid, decode_update(f[b"u"])) for eid, f in stream_entries(stack, "updates", start, end)]


def stream_id(s):
    a, b = s.split("-")
    return (int(a), int(b))


def json_report(i, category="fire", description=None):
    """A valid JSON report at a grid point ~3 km from its neighbours around
    Palangka Raya, so distinct i do not cluster into one incident."""
    lat = -2.35 + (i // 20) * 0.03
    lon = 113.60 + (i % 20) * 0.03
    return {"category": category,
            "description": description or "Kebakaran rumah no. %d, asap tebal" % i,
            "location": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "reporter": {"phone": "+62812%07d" % i}}


class StackTestCase(unittest.TestCase):
    """Base class: one stack per test class (STACK = dict of Stack kwargs)."""
    STACK = {"workers": 1}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(name=cls.__name__, **cls.STACK).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def post_sms(self, phone, text):
        """One SMS through the generic inbound webhook, with a message id of
        its own; asserts the 202 and returns the report id."""
        self.stack.sms_sent += 1
        body = json.dumps({"from": phone, "to": "112", "text": text,
                           "messageId": "it-%d" % self.stack.sms_sent})
        resp = self.stack.http("POST", "/v1/sms/inbound", body,
                               {"Content-Type": "application/json"})
        self.assertEqual(resp.status, 202, resp)
        return resp.json()["reportId"]

    def incident_of(self, report_id, timeout=20):
        """The incident the worker put the report in (the report index)."""
        return wait_until(lambda: self.stack.r("HGET", key("report:" + report_id), "incident"),
                          timeout, "incident of %s" % report_id).decode()

    def assertErrorBody(self, resp, what=""):
        """Every 4xx/5xx carries {"code": str, "message": str} as JSON."""
        try:
            body = resp.json()
        except ValueError:
            self.fail("%s: error body is not JSON: %r" % (what, resp))
        self.assertIsInstance(body, dict, what)
        self.assertIsInstance(body.get("code"), str, "%s: %r" % (what, body))
        self.assertTrue(body["code"], "%s: empty code %r" % (what, body))
        self.assertIsInstance(body.get("message"), str, "%s: %r" % (what, body))
        self.assertTrue(body["message"], "%s: empty message %r" % (what, body))


def main():
    """Runs the module's tests, prints unittest's summary, then the log tails
    of every stack if anything failed; exits non-zero on failure."""
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    ok = prog.result.wasSuccessful() and prog.result.testsRun > 0
    for s in _all_stacks:
        s.stop()
    if not ok:
        for s in _all_stacks:
            sys.stderr.write("\n==== logs of %s (kept in %s) ====\n%s\n" % (s.name, s.tmp, s.tails()))
    elif not os.environ.get("SIAGA_KEEP_TMP"):
        for s in _all_stacks:
            shutil.rmtree(s.tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)
