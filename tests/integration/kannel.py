"""A private Kannel 1.4.5 for the integration tests: bearerbox, smsbox and
the fake operator SMSC `fakesmsc` on free loopback ports in a temporary
directory. Standard library only; every wait is bounded.

Facts this module relies on (checked by running Kannel 1.4.5 on Debian 12):
- fakesmsc is a *client* of bearerbox: `group = smsc, smsc = fake, port = P`
  makes bearerbox listen on P and fakesmsc connect to it (it panics with
  "Failed to open connection" when nothing listens yet). So the start order
  is bearerbox, smsbox, then fakesmsc.
- Without messages on its command line fakesmsc runs in "interactive mode":
  it reads `FROM TO type data` lines on stdin until end of input. Here stdin
  is a pipe this process keeps open. `-m 0` makes it send nothing at all,
  even from stdin, so `-m` is left out.
- The data of type `ucs2` is the URL-encoded UTF-16BE bytes (not hex).
- fakesmsc waits for stdin with select() but reads it through stdio: lines
  already pulled into stdio's buffer are not seen until more input arrives
  (the tail of a burst, or the rest of a line longer than about 255 bytes,
  stays behind). So every write here ends with one extra line to a sink
  number (SINK) that smsbox routes to a service that does nothing; that
  line is the one left behind. After a burst that line may have been read
  with the tail: call flush() (a separate write, later) until all arrived.
  Lines are also kept within MAX_LINE bytes (ucs2_data keeps letters and
  digits literal to stay short).
- In its non-interactive mode (messages on the command line, -m N) fakesmsc
  sends only about 5 messages per second even with -i 0, and never exits.
- fakesmsc logs each MT message it receives as
  `DEBUG: Got message N: <FROM TO type data>` (on stderr, debug level; its
  stdout stays empty), `text` literal, `ucs-2` URL-encoded UTF-16BE.
- bearerbox and smsbox bind 0.0.0.0 unless told otherwise: admin-interface
  (works, though the 1.4.5 guide does not list it), smsbox-interface,
  sendsms-interface and, on the fake SMSC group, our-host bind them to
  loopback; the allow/deny lists are a second fence.
- Probing bearerbox's box or SMSC port with a connect would look like a box
  or an SMSC client; readiness is read from /proc/net/tcp and from
  bearerbox's status page instead.
"""
import os
import re
import signal
import sys
import urllib.parse
import urllib.request

import harness
from harness import free_port, wait_until

BEARERBOX = os.environ.get("KANNEL_BEARERBOX", "/usr/sbin/bearerbox")
SMSBOX = os.environ.get("KANNEL_SMSBOX", "/usr/sbin/smsbox")
FAKESMSC = os.environ.get("KANNEL_FAKESMSC", "/usr/lib/kannel/test/fakesmsc")
MAX_LINE = 250   # bytes per fakesmsc stdin line, without the newline (see above)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

SENDSMS_USER = "siaga"
SENDSMS_PASSWORD = "rahasia-uji"
ADMIN_PASSWORD = "admin-uji"
DEFAULT_SENDER = "112"
SINK = "99999"                      # receiver of the flush lines (see above)
_FLUSH = b"+0 %s text flush\n" % SINK.encode()
SINK_SERVICE = {"name": "sink", "keyword-regex": ".*", "catch-all": True,
                "allowed-receiver-prefix": SINK, "text": "-", "max-messages": 0,
                "omit-empty": True}


def available():
    """(True, "") when the three Kannel programs are installed, else (False, why)."""
    for b in (BEARERBOX, SMSBOX, FAKESMSC):
        if not os.access(b, os.X_OK):
            return False, "Kannel not installed (%s missing; apt-get install kannel kannel-extras)" % b
    return True, ""


def listening(port):
    """True if some socket LISTENs on TCP `port` (any address), read from
    /proc/net/tcp{,6} so that nothing connects to it."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f, None)
                for line in f:
                    parts = line.split()
                    if len(parts) > 3 and parts[3] == "0A" and \
                            int(parts[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


class KProc(harness.Proc):
    """harness.Proc with a longer stop: bearerbox may take seconds to exit."""

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        return super().stop(sig, timeout)


class MT:
    """One message Kannel delivered to fakesmsc (mobile terminated)."""

    def __init__(self, sender, receiver, kind, text, raw):
        self.sender, self.receiver, self.kind, self.text, self.raw = sender, receiver, kind, text, raw

    def __repr__(self):
        return "<MT %s -> %s %s %r>" % (self.sender, self.receiver, self.kind, self.text)


_GOT = re.compile(r"Got message \d+: <(.*)>\s*$")


def parse_mt(data):
    """fakesmsc's `FROM TO type data` of an MT message -> MT, or None."""
    parts = data.split(" ", 3)
    if len(parts) < 4:
        return None
    sender, receiver, kind, payload = parts
    if kind == "text":
        text = payload
    elif kind in ("ucs-2", "ucs2"):
        text = urllib.parse.unquote_to_bytes(payload.replace("+", " ")).decode("utf-16-be", "replace")
    elif kind == "data":
        text = urllib.parse.unquote_to_bytes(payload.replace("+", " ")).decode("latin-1")
    else:
        text = payload
    return MT(sender, receiver, kind, text, data)


def ucs2_data(text):
    """fakesmsc's payload for a UCS-2 MO: the URL-encoded UTF-16BE bytes."""
    return urllib.parse.quote_from_bytes(text.encode("utf-16-be"), safe=_SAFE)


_SAFE = "".join(chr(c) for c in range(0x30, 0x3A)) + \
    "".join(chr(c) for c in range(0x41, 0x5B)) + "".join(chr(c) for c in range(0x61, 0x7B))


class Kannel:
    """bearerbox + smsbox + fakesmsc. `services` is a list of sms-service
    groups as dicts (rendered in order, values quoted as needed). Ports are
    chosen at construction, so the sendsms URL is known before start().
    Logs: each program's stdout at `log_level` (-v; 0 debug .. 2 warning)
    into <dir>/kannel-<program>.log; fakesmsc logs MT messages at debug
    level only, so mt_messages() needs fakesmsc_verbosity 0."""

    def __init__(self, tmpdir, services, log_level=0, fakesmsc_verbosity=0, smsbox_extra=None):
        ok, why = available()
        if not ok:
            raise RuntimeError(why)
        self.dir = os.path.join(tmpdir, "kannel")
        os.makedirs(self.dir, exist_ok=True)
        self.admin_port = free_port()
        self.smsbox_port = free_port()
        self.smsc_port = free_port()
        self.sendsms_port = free_port()
        self.services = services
        self.log_level = log_level
        self.fakesmsc_verbosity = fakesmsc_verbosity
        self.smsbox_extra = smsbox_extra or {}
        self.conf_path = os.path.join(self.dir, "kannel.conf")
        self.bearerbox = self.smsbox = self.fakesmsc = None
        self.procs = []
        self._mt_offset = 0
        self._mts = []

    # -- configuration
    def sendsms_url(self, user=SENDSMS_USER, password=SENDSMS_PASSWORD):
        return "http://127.0.0.1:%d/cgi-bin/sendsms?%s" % (
            self.sendsms_port, urllib.parse.urlencode({"username": user, "password": password}))

    @staticmethod
    def _group(name, fields):
        out = ["group = %s" % name]
        for k, v in fields.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, int):
                v = str(v)
            else:
                v = '"%s"' % v.replace('"', '\\"')
            out.append("%s = %s" % (k, v))
        return "\n".join(out) + "\n"

    def render(self):
        d = self.dir
        core = {"admin-port": self.admin_port, "admin-interface": "127.0.0.1",
                "admin-password": ADMIN_PASSWORD,
                "admin-allow-ip": "127.0.0.1", "admin-deny-ip": "*.*.*.*",
                "smsbox-interface": "127.0.0.1", "smsbox-port": self.smsbox_port,
                "box-allow-ip": "127.0.0.1", "box-deny-ip": "*.*.*.*",
                "access-log": os.path.join(d, "bearerbox-access.log")}
        smsc = {"smsc": "fake", "smsc-id": "fake", "port": self.smsc_port,
                "our-host": "127.0.0.1", "connect-allow-ip": "127.0.0.1"}
        smsbox = {"bearerbox-host": "127.0.0.1", "bearerbox-port": self.smsbox_port,
                  "sendsms-port": self.sendsms_port, "sendsms-interface": "127.0.0.1",
                  "access-log": os.path.join(d, "smsbox-access.log")}
        smsbox.update(self.smsbox_extra)
        user = {"username": SENDSMS_USER, "password": SENDSMS_PASSWORD,
                "default-sender": DEFAULT_SENDER, "max-messages": 3, "concatenation": True,
                "user-allow-ip": "127.0.0.1", "user-deny-ip": "*.*.*.*"}
        text = "# rendered by tests/integration/kannel.py\n\n"
        text += self._group("core", core) + "\n" + self._group("smsc", smsc) + "\n"
        text += self._group("smsbox", smsbox) + "\n" + self._group("sendsms-user", user) + "\n"
        for s in [SINK_SERVICE] + list(self.services):
            text += self._group("sms-service", s) + "\n"
        with open(self.conf_path, "w") as f:
            f.write(text)
        return text

    # -- lifecycle
    def _spawn(self, name, argv, stdin_pipe=False):
        p = KProc(name, argv, self.dir, cwd=self.dir, stdin_pipe=stdin_pipe)
        self.procs.append(p)
        return p

    def _check_alive(self, *procs):
        for p in procs:
            if not p.alive():
                raise AssertionError("%s exited with %s during start:\n%s" %
                                     (p.name, p.p.returncode, p.tail()))

    def status(self):
        url = "http://127.0.0.1:%d/status.txt?password=%s" % (self.admin_port, ADMIN_PASSWORD)
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.read().decode(errors="replace")

    def start(self, timeout=START_TIMEOUT):
        """bearerbox (admin, box and SMSC ports listening), smsbox (sendsms port
        listening, connected to bearerbox), then fakesmsc (connected); raises
        and stops what it started on failure."""
        try:
            self.render()
            self.bearerbox = self._spawn("kannel-bearerbox", [BEARERBOX, "-v", str(self.log_level),
                                                              self.conf_path])

            def bb_ready():
                self._check_alive(self.bearerbox)
                return all(listening(p) for p in (self.admin_port, self.smsbox_port, self.smsc_port))
            wait_until(bb_ready, timeout, "bearerbox ports", interval=0.1)

            self.smsbox = self._spawn("kannel-smsbox", [SMSBOX, "-v", str(self.log_level),
                                                        self.conf_path])

            def sb_ready():
                self._check_alive(self.bearerbox, self.smsbox)
                return listening(self.sendsms_port) and \
                    re.search(r"smsbox:.*on-line", self.status()) is not None
            wait_until(sb_ready, timeout, "smsbox listening and connected", interval=0.1)

            self.fakesmsc = self._spawn("kannel-fakesmsc",
                                        [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port),
                                         "-i", "0", "-v", str(self.fakesmsc_verbosity)],
                                        stdin_pipe=True)

            def fs_ready():
                self._check_alive(self.bearerbox, self.smsbox, self.fakesmsc)
                return re.search(r"fake\[fake\].*\(online", self.status()) is not None
            wait_until(fs_ready, timeout, "fakesmsc connected to bearerbox", interval=0.1)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """smsbox, then bearerbox, then fakesmsc (fakesmsc exits by itself when
        bearerbox goes); each bounded. Never raises."""
        for p in (self.smsbox, self.bearerbox, self.fakesmsc):
            if p is None:
                continue
            try:
                p.stop()
            except Exception as e:  # keep stopping the others
                sys.stderr.write("stopping %s: %r\n" % (p.name, e))

    def tails(self, n=40):
        return "\n".join("---- %s (%s) last %d lines ----\n%s" % (p.name, p.log_path, n, p.tail(n))
                         for p in self.procs)

    # -- messages
    @staticmethod
    def check_line(line):
        if "\n" in line or "\r" in line:
            raise ValueError("one fakesmsc line at a time")
        if len(line.encode("utf-8")) > MAX_LINE:
            raise ValueError("fakesmsc line over %d bytes (it would be sent late): %r"
                             % (MAX_LINE, line[:80]))

    def send_line(self, line):
        self.check_line(line)
        self._check_alive(self.fakesmsc)
        self.fakesmsc.p.stdin.write(line.encode("utf-8") + b"\n" + _FLUSH)
        self.fakesmsc.p.stdin.flush()

    def send_lines(self, lines):
        """Many MO lines in one write (full speed)."""
        for ln in lines:
            self.check_line(ln)
        self._check_alive(self.fakesmsc)
        self.fakesmsc.p.stdin.write(b"".join(ln.encode("utf-8") + b"\n" for ln in lines) + _FLUSH)
        self.fakesmsc.p.stdin.flush()

    def flush(self):
        """One line to the sink number: releases lines fakesmsc has buffered."""
        self._check_alive(self.fakesmsc)
        self.fakesmsc.p.stdin.write(_FLUSH)
        self.fakesmsc.p.stdin.flush()

    def send_text(self, sender, receiver, text):
        """A 7-bit (GSM) MO: `FROM TO text data`."""
        self.send_line("%s %s text %s" % (sender, receiver, text))

    def send_ucs2(self, sender, receiver, text):
        """A UCS-2 MO (as a handset sends any text outside the GSM alphabet)."""
        self.send_line("%s %s ucs2 %s" % (sender, receiver, ucs2_data(text)))

    def mt_messages(self):
        """Every MT message fakesmsc has logged so far, in order."""
        try:
            with open(self.fakesmsc.log_path, "rb") as f:
                f.seek(self._mt_offset)
                data = f.read()
        except OSError:
            return list(self._mts)
        end = data.rfind(b"\n") + 1  # only whole lines
        self._mt_offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            m = _GOT.search(line)
            if m:
                mt = parse_mt(m.group(1))
                if mt is not None:
                    self._mts.append(mt)
        return list(self._mts)

    def wait_mt(self, pred, timeout, what):
        """The first MT message with pred(mt) true, within `timeout` seconds."""
        def find():
            return next((m for m in self.mt_messages() if pred(m)), None)
        try:
            return wait_until(find, timeout, what, interval=0.1)
        except AssertionError as e:
            raise AssertionError("%s; MT so far: %r" % (e, self.mt_messages()))


WEBHOOK_SECRET = "uji-rahasia-kannel"


class KannelStackCase(harness.StackTestCase):
    """Base class: one stack whose siagad sends SMS through a private Kannel
    (--kannel-sendsms) and takes every MO from it on /v1/sms/kannel (the
    default post-url service); fakesmsc is the citizens' handsets.
    SIAGAD_ARGS adds siagad options."""
    SIAGAD_ARGS = ()

    @classmethod
    def setUpClass(cls):
        ok, why = available()
        if not ok:
            sys.exit("%s: %s" % (cls.__name__, why))  # scripts/test installs Kannel
        cls.k = None
        cls.stack = harness.Stack(name=cls.__name__, **cls.STACK)
        cls.k = Kannel(cls.stack.tmp, [], smsbox_extra={"http-request-retry": 5,
                                                        "http-queue-delay": 1})
        cls.stack.siagad_args = ["--kannel-sendsms", cls.k.sendsms_url(),
                                 "--webhook-secret", WEBHOOK_SECRET] + list(cls.SIAGAD_ARGS)
        url = "http://127.0.0.1:%d/v1/sms/kannel?secret=%s&id=%%I" % (cls.stack.http_port,
                                                                       WEBHOOK_SECRET)
        cls.k.services = [{"name": "siaga-post", "keyword": "default", "post-url": url,
                           "send-sender": True, "max-messages": 0, "omit-empty": True}]
        try:
            cls.stack.start()
            cls.k.start()
        except BaseException:
            cls.tearDownClass()
            raise
        cls.stack.all_procs.extend(cls.k.procs)  # their logs with the stack's on failure

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.k is not None:
                cls.k.stop()
        finally:
            cls.stack.stop()

    def mts(self, phone):
        """The MT messages fakesmsc received for phone so far."""
        return [m for m in self.k.mt_messages() if m.receiver.lstrip("+") == phone.lstrip("+")]
