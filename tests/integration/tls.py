"""A private nginx terminating TLS in front of a Stack's siagad, from the
repository's own config/nginx/siaga.conf: a self-signed certificate made
with the openssl command in a temporary directory, the site filled in
(free loopback port, certificate, siagad's address), and nginx run in the
foreground by config/nginx/standalone.conf with its pid, logs and temporary
files in that directory. Standard library only; every wait is bounded.

Facts this module relies on (Debian 12, nginx 1.22.1, OpenSSL 3.0):
- `nginx -e FILE` sends the log of the start, before the configuration is
  read, somewhere other than /var/log/nginx, which an ordinary user may not
  open.
- Started as root without a `user` directive, nginx's worker runs as
  nobody: the directory is made traversable for it (0711), though the
  bodies of siagad's size stay in memory and no temporary file is written.
"""
import os
import re
import shutil
import ssl
import subprocess
import tempfile

import harness

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config", "nginx")


def fill(template, values):
    """The text of a template with each @NAME@ replaced; every placeholder must be known."""
    with open(os.path.join(CONFIG, template)) as f:
        text = f.read()
    for name, value in values.items():
        text = text.replace("@%s@" % name, value)
    left = re.findall(r"@[A-Z_]+@", "\n".join(ln.split("#")[0] for ln in text.splitlines()))
    if left:
        raise AssertionError("%s: placeholders left unfilled: %s" % (template, left))
    return text


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("openssl req: %s" % p.stderr)
    return cert, key


class Nginx:
    """nginx on a free port of 127.0.0.1, proxying to the stack's siagad.
    Stopped with the stack (it is one of its processes)."""

    def __init__(self, stack):
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=stack.tmp)
        os.chmod(self.dir, 0o711)
        os.chmod(stack.tmp, 0o711)
        self.cert, self.key = make_cert(self.dir)
        self.port = harness.free_port()
        self.access_log_path = os.path.join(self.dir, "siaga.access.log")
        site = os.path.join(self.dir, "siaga.conf")
        with open(site, "w") as f:
            f.write(fill("siaga.conf", {"LISTEN": "127.0.0.1:%d" % self.port,
                                        "SERVER_NAME": "localhost",
                                        "CERT": self.cert, "KEY": self.key,
                                        "UPSTREAM": "127.0.0.1:%d" % stack.http_port,
                                        "ACCESS_LOG": self.access_log_path}))
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(fill("standalone.conf", {"DIR": self.dir, "SITE": site}))
        # The client's view: only this certificate is trusted, and the name is checked.
        self.context = ssl.create_default_context(cafile=self.cert)
        argv = [self.nginx, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                "-c", self.conf]
        check = subprocess.run(argv + ["-t"], capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise AssertionError("nginx -t: %s" % check.stderr)
        self.proc = stack._spawn("nginx", argv)
        harness.wait_until(self._ready, harness.START_TIMEOUT, "nginx answers over TLS",
                           interval=0.1)

    def _ready(self):
        if not self.proc.alive():
            raise AssertionError("nginx exited with %s:\n%s\n%s" % (
                self.proc.p.returncode, self.proc.tail(), self.error_log()))
        try:
            return harness.http(self.port, "GET", "/healthz", timeout=2,
                                tls=self.context).status == 200
        except OSError:
            return False

    def error_log(self, n=40):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return "\n".join(f.read().splitlines()[-n:])
        except OSError as e:
            return "(no error log: %s)" % e
