"""The systemd units of config/systemd/ are what an operator installs: they
must be valid for systemd, and the command lines they run (with
config/systemd/siaga.env) must start a working stack and stop cleanly on the
SIGTERM systemd sends.

- `systemd-analyze verify` on every unit, with the binaries pointed at this
  build: no warning at all (and a broken copy does warn: the check can fail);
- siagad and two workers started from the units' ExecStart lines (the env
  file's values, ports moved to this test's), a report through them reaching
  an incident, and each process leaving with 0 well within TimeoutStopSec."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

import harness
from harness import wait_until, json_report

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNITS = os.path.join(ROOT, "config", "systemd")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def read_env(path):
    """systemd's EnvironmentFile: KEY=value lines, '#' comments."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = line.partition("=")
            env[k.strip()] = v.strip()
    return env


def unit_value(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + "="):
                return line[len(key) + 1:].strip()
    raise AssertionError("%s has no %s=" % (path, key))


def exec_argv(path, env, instance="1"):
    """A unit's ExecStart as systemd splits it: ${VAR} is one word, $VAR
    splits at spaces, %i is the instance and %H the host name."""
    words = []
    for w in unit_value(path, "ExecStart").split():
        w = w.replace("%i", instance).replace("%H", socket.gethostname())
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
        if m:
            words.extend(env.get(m.group(1), "").split())
            continue
        words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda x: env.get(x.group(1), ""), w))
    return words


def rendered(dest, build):
    """The units with /usr/local/bin pointed at this build, the template as
    instance 1; returns their paths."""
    out = []
    for name in sorted(os.listdir(UNITS)):
        if not name.endswith(".service"):
            continue
        with open(os.path.join(UNITS, name)) as f:
            text = f.read().replace("/usr/local/bin/", build.rstrip("/") + "/")
        target = os.path.join(dest, name.replace("@.service", "@1.service"))
        with open(target, "w") as f:
            f.write(text)
        out.append(target)
    return out


def verify(paths):
    p = subprocess.run([SYSTEMD_ANALYZE, "verify"] + paths, capture_output=True, text=True,
                       timeout=60, cwd=os.path.dirname(paths[0]))
    return p.returncode, (p.stdout + p.stderr).strip()


class UnitFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if SYSTEMD_ANALYZE is None:
            raise AssertionError("systemd-analyze not found (Debian package systemd)")
        cls.build = os.environ["SIAGA_BUILD"]
        cls.tmp = tempfile.mkdtemp(prefix="siaga-it-systemd-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_1_units_verify_without_a_warning(self):
        paths = rendered(self.tmp, self.build)
        names = sorted(os.path.basename(p) for p in paths)
        self.assertEqual(names, ["kannel-bearerbox.service", "kannel-smsbox.service",
                                 "siaga-worker@1.service", "siagad.service"])
        rc, out = verify(paths)
        self.assertEqual((rc, out), (0, ""), "systemd-analyze verify")

    def test_2_a_broken_unit_is_caught(self):
        d = os.path.join(self.tmp, "broken")
        os.makedirs(d, exist_ok=True)
        paths = rendered(d, self.build)
        siagad = next(p for p in paths if p.endswith("/siagad.service"))
        with open(siagad) as f:
            text = f.read()
        with open(siagad, "w") as f:
            f.write(text.replace("[Service]\n", "[Service]\nRestartSecs=1\n"))
        rc, out = verify([siagad])
        self.assertIn("RestartSecs", out, "an unknown key must be reported")
        # ... and a binary that is not there fails outright.
        with open(siagad, "w") as f:
            f.write(text.replace(self.build.rstrip("/") + "/siagad", "/nonexistent/siagad"))
        rc, out = verify([siagad])
        self.assertNotEqual(rc, 0, out)


class UnitStack(harness.Stack):
    """A stack whose siagad and workers run the units' command lines."""

    def __init__(self, env):
        super().__init__(workers=2, name="systemd")
        self.env = env

    def unit_env(self):
        env = dict(self.env)
        env["SIAGA_REDIS"] = "127.0.0.1:%d" % self.redis_port
        env["SIAGA_LISTEN"] = "127.0.0.1:%d" % self.http_port
        return env

    def start_siagad(self):
        argv = exec_argv(os.path.join(UNITS, "siagad.service"), self.unit_env())
        argv[0] = self.siagad_bin
        self.siagad = self._spawn("siagad", argv)
        return self.siagad

    def start_worker(self, i):
        argv = exec_argv(os.path.join(UNITS, "siaga-worker@.service"), self.unit_env(), str(i))
        argv[0] = self.worker_bin
        w = self._spawn("worker-%d" % i, argv)
        self.workers.append(w)
        return w


class UnitCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = read_env(os.path.join(UNITS, "siaga.env"))
        cls.stack = UnitStack(env).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_1_the_env_file_is_what_siagad_runs_with(self):
        argv = self.stack.siagad.argv
        self.assertIn("--processes", argv, "SIAGAD_OPTS is split into words")
        self.assertEqual(argv[argv.index("--region") + 1], "plk")
        names = [w.argv[w.argv.index("--consumer") + 1] for w in self.stack.workers]
        self.assertEqual(len(set(names)), 2, "each instance has its own consumer name: %r" % names)

    def test_2_a_report_through_the_units_reaches_an_incident(self):
        resp = self.stack.post_report(json_report(1, description="kebakaran rumah di jalan rajawali"))
        self.assertEqual(resp.status, 202, resp)
        rid = resp.json()["reportId"]

        def incident():
            got = self.stack.http("GET", "/v1/incidents")
            self.assertEqual(got.status, 200, got)
            return any(rid in (i.get("reportIds") or []) for i in got.json().get("incidents", []))
        wait_until(incident, 20, "the report in an incident")

    def test_3_sigterm_stops_each_process_cleanly_and_in_time(self):
        timeout = float(unit_value(os.path.join(UNITS, "siagad.service"), "TimeoutStopSec"))
        for p in [self.stack.siagad] + self.stack.workers:
            p.p.send_signal(signal.SIGTERM)
            rc = p.p.wait(timeout=timeout)  # systemd would SIGKILL it after this
            self.assertEqual(rc, 0, "%s left with %s:\n%s" % (p.name, rc, p.tail()))


if __name__ == "__main__":
    harness.main()
