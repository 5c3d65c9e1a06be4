"""Logs an operator can read: every line siagad and the worker write is one
logfmt event with its time and level, and a command, a refused upgrade and
a refused sign-in are logged with who and why, never with the password or
the token."""
import re

import harness
from harness import DISPATCHER, DISPATCHER_PASSWORD, JSON_PROTO, json_messages_until, json_report
from clients import ws_handshake
from test_responder import add_unit, command, connect, reply_for

KEY = r"[A-Za-z0-9_.]+"
BARE = r'[^\s="\\]+'
QUOTED = r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\u[0-9a-f]{4})*"'
FIELD = re.compile(r"(%s)=(%s|%s)" % (KEY, BARE, QUOTED))
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = ("debug", "info", "warn", "error")


def unquote(v):
    if not v.startswith('"'):
        return v
    out, i, s = [], 0, v[1:-1]
    while i < len(s):
        if s[i] == "\\":
            c = s[i + 1]
            if c == "u":
                out.append(chr(int(s[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(c, c))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse_line(line):
    """The fields of one logfmt line, in order; AssertionError if it is not one."""
    fields, pos = [], 0
    while pos < len(line):
        m = FIELD.match(line, pos)
        if m is None:
            raise AssertionError("not logfmt at byte %d: %r" % (pos, line))
        fields.append((m.group(1), unquote(m.group(2))))
        pos = m.end()
        if pos < len(line):
            if line[pos] != " ":
                raise AssertionError("no space after a field at byte %d: %r" % (pos, line))
            pos += 1
    return fields


def events(path):
    """Every complete line the process wrote (the harness's own "=== start"
    lines apart), each checked as logfmt with time, level and event first."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")[:-1]  # the last may be half written
    out = []
    for line in lines:
        if line == "" or line.startswith("=== start "):
            continue
        fields = parse_line(line)
        keys = [k for k, _ in fields]
        if keys[:3] != ["time", "level", "event"]:
            raise AssertionError("time, level, event first: %r" % line)
        d = dict(fields)
        if len(d) != len(fields):
            raise AssertionError("a key twice: %r" % line)
        if not TIME.match(d["time"]) or d["level"] not in LEVELS:
            raise AssertionError("bad time or level: %r" % line)
        out.append(d)
    return out, text


HOSTILE_NAME = 'x" role=admin\nlevel=error'  # tries to forge a field and a line


class Logs(harness.StackTestCase):
    STACK = {"workers": 1, "siagad_args": ["--log-level", "debug"]}

    def find(self, event, **want):
        evs, _ = events(self.stack.siagad.log_path)
        return [e for e in evs if e["event"] == event and
                all(e.get(k) == v for k, v in want.items())]

    def wait_event(self, event, **want):
        return harness.wait_until(lambda: self.find(event, **want), 10,
                                  "%s %r in siagad's log" % (event, want))

    def test_operator_log(self):
        # A command as the dispatcher, with a forged actor name in it.
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        r = self.stack.post_report(json_report(1, description="Banjir, air masuk rumah"))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        inc = json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            20, "incident for %s" % rid)[-1]["update"]["incident"]
        ws.send_json({"command": {"requestId": "log-1", "actor": "Budi", "setStatus": {
            "incidentId": inc["id"], "status": "INCIDENT_STATUS_ACKNOWLEDGED"}}})
        ws.send_json({"command": {"requestId": "log-2", "setStatus": {
            "incidentId": "I-nope", "status": "INCIDENT_STATUS_ACKNOWLEDGED"}}})
        for rq in ("log-1", "log-2"):
            json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == rq, 5, rq)
        ws.close()

        # A refused upgrade (no session) and one from a foreign origin.
        hs = ws_handshake(self.stack.http_port, "/v1/console", (JSON_PROTO,), 5)
        self.assertEqual(hs.status, 401)
        hs = ws_handshake(self.stack.http_port, "/v1/console", (JSON_PROTO,), 5,
                          extra_headers=dict(self.stack.auth_headers(), Origin="https://evil.example"))
        self.assertEqual(hs.status, 403)

        # Refused sign-ins: a wrong password, and a name that tries to forge a line.
        wrong = "wrong-password-77"
        for name in (DISPATCHER, HOSTILE_NAME):
            r = self.stack.http("POST", "/v1/auth/login", {"username": name, "password": wrong},
                                auth=False)
            self.assertEqual(r.status, 401, r)

        ok = self.wait_event("command", request="log-1")[0]
        self.assertEqual(ok["actor"], DISPATCHER)  # the signed-in account, not "Budi"
        self.assertEqual(ok["role"], "dispatcher")
        self.assertEqual(ok["command"], "setStatus")
        self.assertEqual(ok["incident"], inc["id"])
        self.assertEqual((ok["result"], ok.get("code")), ("ok", None))
        bad = self.wait_event("command", request="log-2")[0]
        self.assertEqual((bad["actor"], bad["result"], bad["incident"]), (DISPATCHER, "error", "I-nope"))
        self.assertEqual(bad["code"], "not_found")

        unauth = self.wait_event("upgrade.refused", status="401")[0]
        self.assertEqual((unauth["path"], unauth["code"], unauth["peer"]),
                         ("/v1/console", "unauthenticated", "127.0.0.1"))
        self.assertTrue(unauth["reason"])
        origin = self.wait_event("upgrade.refused", status="403")[0]
        self.assertEqual((origin["code"], origin["path"]), ("bad_origin", "/v1/console"))
        self.assertNotIn("actor", unauth)  # nobody signed in

        refused = self.wait_event("login.refused", actor=DISPATCHER)[0]
        self.assertEqual((refused["reason"], refused["peer"]), ("bad_credentials", "127.0.0.1"))
        forged = self.wait_event("login.refused", actor=HOSTILE_NAME)
        self.assertEqual(len(forged), 1, forged)
        self.assertTrue(self.find("login", actor=DISPATCHER), "the harness's own sign-in")
        self.assertTrue(self.find("upgrade.accepted", actor=DISPATCHER, path="/v1/console"))

        # Every line of siagad and of the worker is logfmt (events() checks
        # each); the forged name made no line of its own, and no password or
        # token is anywhere.
        evs, text = events(self.stack.siagad.log_path)
        self.assertFalse([e for e in evs if e.get("actor") == "root" or
                          (e["level"] == "error" and e["event"] == "command")])
        wevs, wtext = events(self.stack.workers[0].log_path)
        self.assertTrue(self.find("serving") and [e for e in wevs if e["event"] == "serving"])
        # siagad's and the worker's own lines are events of their own, not
        # free text wrapped by the stderr filter
        self.assertEqual([e for e in evs + wevs if e["event"] == "stderr"], [])
        for secret in (DISPATCHER_PASSWORD, wrong, self.stack.token):
            self.assertNotIn(secret, text)
            self.assertNotIn(secret, wtext)

    def test_crew_commands(self):
        token = add_unit(self.stack, "AMB-71")
        ws = connect(self, token)
        command(ws, "p1", position={"lat": -2.21, "lon": 113.92, "accuracyM": 8})
        command(ws, "s1", accept={"assignmentId": "A-999999"})
        command(ws, "s2", setUnitStatus={"status": "UNIT_STATUS_FLYING"})  # no such status
        self.assertFalse(reply_for(ws, "s1")[0].get("ok"))
        ws.close()
        pos = self.wait_event("command", request="p1")[0]
        self.assertEqual((pos["level"], pos["actor"], pos["role"], pos["command"]),
                         ("debug", "AMB-71", "responder", "position"))
        bad = self.wait_event("command", request="s1")[0]
        self.assertEqual((bad["level"], bad["actor"], bad["command"], bad["assignment"],
                          bad["result"]), ("info", "AMB-71", "accept", "A-999999", "error"))
        self.assertTrue(bad["code"])
        refused = self.wait_event("command", actor="AMB-71", code="bad_command")
        self.assertEqual(refused[0]["result"], "error")
        _, text = events(self.stack.siagad.log_path)
        self.assertNotIn(token, text)


if __name__ == "__main__":
    harness.main()
