"""siagad --check-config (issue 14): every option with a bad value is refused
with a message naming the option and what it wants (exit 2); the files the
options name are read as at start, with the file, the reason and the line;
a port another process serves is refused; a good configuration says ok
(exit 0), warns of what works but is missing, and starts nothing."""
import os
import socket
import subprocess
import tempfile
import unittest

SIAGAD = os.path.join(os.environ.get("SIAGA_BUILD", "build"), "siagad")

# option -> a bad value: each must be refused, naming the option.
BAD = {
    "--listen": "nohost", "--redis": "x:y", "--region": "BAD!", "--processes": "0",
    "--sms-per-minute": "-1", "--console-max-lag": "0", "--p1-escalate": "0",
    "--ack-target": "1,2", "--claim-grace": "-5", "--session-idle": "0",
    "--map-tiles": "ftp://x/{z}", "--allowed-origin": "foo", "--snapshot-page": "0",
    "--sms-number": "abc", "--assign-ack-s": "0", "--assign-ack-p1-s": "99999",
    "--unit-speed-kmh": "0", "--unit-stale-s": "0", "--unit-connected-s": "2",
    "--metrics-allow": "999.1.1.1",
    "--report-rate": "5/h", "--report-burst": "0", "--lookup-rate": "x", "--lookup-burst": "x",
    "--conns-per-address": "-1", "--limit-table": "1", "--trusted-proxy": "nginx.local",
    "--sentinel": "x", "--sentinel-master": "a b", "--min-replicas": "-1",
    "--min-replicas-timeout-ms": "0", "--cluster": "a:1,,b:2", "--public-url": "ftp://x", "--kannel-sendsms": "notaurl",
}


def check(*args):
    p = subprocess.run([SIAGAD, "--check-config"] + list(args), capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout + p.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CheckConfig(unittest.TestCase):
    def test_a_good_configuration_is_ok_and_starts_nothing(self):
        port = free_port()
        rc, out = check("--listen", "127.0.0.1:%d" % port, "--region", "plk", "--processes", "2")
        self.assertEqual(rc, 0, out)
        self.assertIn("configuration ok", out)
        self.assertIn("warning: no --kannel-sendsms", out)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_every_bad_option_is_named(self):
        for opt, value in BAD.items():
            with self.subTest(opt=opt):
                rc, out = check(opt, value)
                self.assertEqual(rc, 2, out)
                self.assertIn("siagad: " + opt, out)
                self.assertNotIn("configuration ok", out)

    def test_cluster_is_instead_of_redis_and_sentinel(self):
        for other in (["--redis", "127.0.0.1:6379"],
                      ["--sentinel", "127.0.0.1:26379", "--sentinel-master", "siaga"]):
            with self.subTest(other=other):
                rc, out = check("--cluster", "127.0.0.1:7000", *other)
                self.assertEqual(rc, 2, out)
                self.assertIn("siagad: --cluster is instead of --redis and --sentinel", out)
        rc, out = check("--listen", "127.0.0.1:%d" % free_port(), "--cluster",
                        "127.0.0.1:7000,127.0.0.1:7001")
        self.assertEqual(rc, 0, out)

    def test_files_are_read_as_at_start(self):
        with tempfile.TemporaryDirectory() as d:
            kinds = os.path.join(d, "kinds.tsv")
            with open(kinds, "w") as f:
                f.write("# unit kinds\nfire\tfire,land_fire\nnot a line of the format\n")
            protocol = os.path.join(d, "protocol.tsv")
            with open(protocol, "w") as f:
                f.write("bogus\tline\n")
            cases = [
                (["--gazetteer", os.path.join(d, "nonexistent.tsv")],
                 "--gazetteer %s: no such file or directory" % os.path.join(d, "nonexistent.tsv")),
                (["--unit-kinds", kinds], "--unit-kinds %s:" % kinds),
                (["--triage-protocol", protocol], "--triage-protocol %s:1:" % protocol),
            ]
            for args, want in cases:
                with self.subTest(args=args):
                    rc, out = check("--listen", "127.0.0.1:%d" % free_port(), *args)
                    self.assertEqual(rc, 2, out)
                    self.assertIn(want, out)
                    self.assertIn("configuration refused", out)
            rc, out = check("--listen", "127.0.0.1:%d" % free_port(), "--unit-kinds", kinds)
            self.assertIn("at line 3", out, "the line at fault")

    def test_a_port_in_use_is_refused_unless_shared(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            rc, out = check("--listen", "127.0.0.1:%d" % port)
            self.assertEqual(rc, 2, out)
            self.assertIn("--listen 127.0.0.1:%d: " % port, out)
            self.assertIn("--reuse-port", out)

    def test_missing_leaflet_is_a_warning(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out = check("--listen", "127.0.0.1:%d" % free_port(), "--leaflet-dir", d)
            self.assertEqual(rc, 0, out)
            self.assertIn("warning: --leaflet-dir %s has no leaflet.js" % d, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
