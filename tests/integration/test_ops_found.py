"""What a new user found running the stack (issue 14, "Found when tried as a
new user"), each with its fix: --version on every binary; a second siagad on
a port in use is refused unless both ask for --reuse-port; --gazetteer errors
name the file and the reason; /healthz shows the workers, the triage backlog
and the outbound SMS waiting; no --kannel-sendsms is warned about; log lines
carry their time; scripts/up refuses ports in use without touching their
owner, stops the stack when a child exits, and on Ctrl-C stops Redis with
SHUTDOWN rather than letting the terminal's SIGINT reach it."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Redis, free_port, wait_until

SOURCE = os.environ.get("SIAGA_SOURCE") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TIME_PREFIX = re.compile(rb"^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=")


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        m = re.search(r"project\(siaga VERSION (\S+)", f.read())
    return m.group(1)


def run(argv, timeout=30):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Binaries(harness.StackTestCase):
    STACK = {"workers": 1}

    def siagad(self, name, *args):
        return self.stack._spawn(name, [self.stack.siagad_bin, "--redis",
                                        "127.0.0.1:%d" % self.stack.redis_port] + list(args))

    def health(self, port=None):
        r = harness.http(port or self.stack.http_port, "GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_version(self):
        version = project_version()
        for b in (self.stack.siagad_bin, self.stack.worker_bin, self.stack.admin_bin):
            rc, out, _ = run([b, "--version"])
            self.assertEqual(rc, 0, b)
            self.assertTrue(out.startswith(os.path.basename(b) + " " + version), out)

    def test_second_siagad_on_a_port_in_use_is_refused(self):
        rc, _, err = run([self.stack.siagad_bin, "--listen", "127.0.0.1:%d" % self.stack.http_port,
                          "--redis", "127.0.0.1:%d" % self.stack.redis_port])
        self.assertNotEqual(rc, 0)
        self.assertIn("address already in use", err)
        self.assertIn("--reuse-port", err)
        self.health()  # the first one still serves
        # --processes probes the port before its children share it.
        rc, _, err = run([self.stack.siagad_bin, "--listen", "127.0.0.1:%d" % self.stack.http_port,
                          "--redis", "127.0.0.1:%d" % self.stack.redis_port, "--processes", "2"])
        self.assertNotEqual(rc, 0)
        self.assertIn("address already in use", err)

    def test_reuse_port_when_both_ask(self):
        port = free_port()
        a = self.siagad("siagad-a", "--listen", "127.0.0.1:%d" % port, "--reuse-port")
        wait_until(lambda: self.health(port), 20, "siagad a serving")
        b = self.siagad("siagad-b", "--listen", "127.0.0.1:%d" % port, "--reuse-port")
        try:
            time.sleep(1)
            self.assertTrue(b.alive(), b.tail())
            self.health(port)
        finally:
            self.assertEqual(b.stop(), 0)
            self.assertEqual(a.stop(), 0)

    def test_processes_share_their_port(self):
        port = free_port()
        p = self.siagad("siagad-procs", "--listen", "127.0.0.1:%d" % port, "--processes", "2")
        try:
            wait_until(lambda: self.health(port), 20, "siagad --processes 2 serving")
        finally:
            self.assertEqual(p.stop(), 0)

    def test_gazetteer_error_names_the_file_and_the_reason(self):
        rc, _, err = run([self.stack.siagad_bin, "--listen", "127.0.0.1:%d" % free_port(),
                          "--redis", "127.0.0.1:%d" % self.stack.redis_port,
                          "--gazetteer", "/nonexistent/places.tsv"])
        self.assertNotEqual(rc, 0)
        self.assertIn('what=gazetteer file=/nonexistent/places.tsv reason="no such file or directory"',
                      err)
        self.assertNotIn("line", err)
        self.assertNotIn("out of memory", err)

    def test_health_shows_workers_triage_and_sms(self):
        h = self.health()
        self.assertEqual(h["status"], "ok")
        self.assertEqual(h["workers"], 1, h)
        for k in ("consumers", "pending", "lag"):
            self.assertIsInstance(h["triage"][k], int, h)
        self.assertEqual(h["smsOutbound"]["sender"], "none")
        self.assertTrue(any("--kannel-sendsms" in w for w in h["warnings"]), h)
        self.assertFalse(any("worker" in w for w in h["warnings"]), h)
        # An SMS report is acknowledged by SMS: with no sender it waits, and
        # /healthz counts it.
        before = h["smsOutbound"]["waiting"]
        self.post_sms("+6281355500001", "kebakaran rumah di jl. kinibalu")
        wait_until(lambda: self.health()["smsOutbound"]["waiting"] > before, 20,
                   "the acknowledgement counted as waiting")
        # A second worker is counted, and no longer once it stopped.
        w = self.stack.start_worker(2)
        wait_until(lambda: self.health()["workers"] == 2, 20, "two workers")
        w.stop()
        self.stack.workers.remove(w)
        wait_until(lambda: self.health()["workers"] == 1, 20, "one worker again")

    def test_warning_and_log_times(self):
        with open(self.stack.siagad.log_path, "rb") as f:
            lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith(b"=== start")]
        self.assertTrue(any(b"event=sms.no_sender" in ln for ln in lines), lines)
        self.assertTrue(any(b"event=serving" in ln for ln in lines), lines)
        for ln in lines:
            self.assertRegex(ln, TIME_PREFIX)
        with open(self.stack.workers[0].log_path, "rb") as f:
            wl = [ln for ln in f.read().splitlines() if ln and not ln.startswith(b"=== start")]
        self.assertTrue(wl)
        for ln in wl:
            self.assertRegex(ln, TIME_PREFIX)


def children(pid):
    """Pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ScriptsUp(unittest.TestCase):
    """scripts/up on the binaries of SIAGA_BUILD (no install, no build)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="siaga-it-up-")
        self.port, self.redis_port = free_port(), free_port()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait(timeout=10)
        for port in (self.redis_port,):
            try:
                with Redis(port, timeout=1) as r:
                    r("SHUTDOWN", "NOSAVE")
            except Exception:
                pass

    def up(self):
        env = dict(os.environ, SIAGA_PORT=str(self.port), SIAGA_REDIS_PORT=str(self.redis_port),
                   SIAGA_PROCESSES="1", SIAGA_WORKERS="1", SIAGA_VAR=self.tmp)
        self.out = open(os.path.join(self.tmp, "up.out"), "wb")
        p = subprocess.Popen([os.path.join(SOURCE, "scripts", "up")], env=env, stdout=self.out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def output(self):
        with open(os.path.join(self.tmp, "up.out"), "rb") as f:
            return f.read().decode(errors="replace")

    def redis_log(self):
        with open(os.path.join(self.tmp, "log", "redis.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def serving(self, p):
        self.assertIsNone(p.poll(), self.output())
        return harness.http(self.port, "GET", "/healthz", timeout=2).status == 200

    def redis_up(self):
        try:
            with Redis(self.redis_port, timeout=1) as r:
                return r("PING") == "PONG"
        except OSError:
            return False

    def test_port_in_use_is_refused_and_its_owner_left_alone(self):
        owner = subprocess.Popen(["redis-server", "--port", str(self.redis_port), "--bind",
                                  "127.0.0.1", "--save", "", "--dir", self.tmp],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(owner)
        wait_until(self.redis_up, 10, "the owner's Redis")
        p = self.up()
        self.assertEqual(p.wait(timeout=60), 1, self.output())
        self.assertIn("port %d is in use" % self.redis_port, self.output())
        self.assertTrue(self.redis_up(), "scripts/up stopped the Redis it did not start")

    def test_a_child_exiting_stops_the_stack(self):
        p = self.up()
        wait_until(lambda: self.serving(p), 60, "scripts/up serving", interval=0.2)
        workers = [c for c in children(p.pid) if "siaga-worker" in cmdline(c)]
        self.assertEqual(len(workers), 1, [cmdline(c) for c in children(p.pid)])
        os.kill(workers[0], signal.SIGKILL)
        self.assertEqual(p.wait(timeout=60), 1, self.output())
        self.assertIn("worker 1 (pid %d) exited" % workers[0], self.output())
        self.assertFalse(self.redis_up())
        self.assertIn("User requested shutdown", self.redis_log())

    def test_ctrl_c_stops_redis_with_shutdown(self):
        p = self.up()
        wait_until(lambda: self.serving(p), 60, "scripts/up serving", interval=0.2)
        os.killpg(p.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        self.assertEqual(p.wait(timeout=60), 0, self.output())
        self.assertFalse(self.redis_up())
        log = self.redis_log()
        self.assertIn("User requested shutdown", log)
        self.assertNotIn("Received SIGINT", log)


if __name__ == "__main__":
    unittest.main()
