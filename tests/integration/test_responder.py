"""The responders' channel, WebSocket /v1/responder, with a real Redis: the
door (a unit's token only, refused before any frame), the hello, an
assignment pushed to the unit as the console assigns it, the crew accepting
and moving through its statuses with every step on the console, a dropped
connection resumed with nothing missed, a disabled unit or a replaced token
closing the open socket, and the terminal client siaga-responder."""
import json
import os
import re
import subprocess
import threading
import time

import harness
from harness import json_report, key
from clients import json_messages_until, ws_handshake

RJSON = "siaga.responder.v1.json"
RPB = "siaga.responder.v1"


_phones = iter(range(1, 10000))


def add_unit(stack, uid, kind="ambulance", phone=None):
    phone = phone or "+62813100%05d" % next(_phones)
    rc, out, err = stack.admin("unit", "add", uid, "--kind", kind, "--name", "Unit " + uid,
                               "--phone", phone, "--station", "Pos 1")
    if rc != 0:
        raise AssertionError("unit add %s: %s %s" % (uid, out, err))
    return re.search(r"token: ([0-9a-f]{64})", out).group(1)


def handshake(stack, token=None, path="/v1/responder", protocols=(RJSON,), headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    return ws_handshake(stack.http_port, path, protocols, 5, h)


def connect(test, token, query="", protocols=(RJSON,)):
    """A responder socket; returns (ws, hello)."""
    hs = handshake(test.stack, token, "/v1/responder" + query, protocols)
    test.assertEqual(hs.status, 101, hs.headers)
    return hs.ws


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


def reply_for(ws, request_id, timeout=5):
    msgs = json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                               timeout, "reply %s" % request_id)
    return msgs[-1]["reply"], msgs[:-1]


def command_ok(test, ws, request_id, **action):
    """A command that must succeed; returns its reply."""
    command(ws, request_id, **action)
    rep, _ = reply_for(ws, request_id)
    test.assertTrue(rep.get("ok"), rep)
    return rep


class Door(harness.StackTestCase):
    STACK = {"workers": 0}

    def test_wrong_malformed_or_no_token_is_401(self):
        add_unit(self.stack, "AMB-11")
        for token in ("0" * 64, "xyz", None):
            hs = handshake(self.stack, token)
            self.assertEqual(hs.status, 401, (token, hs.headers))
            self.assertIsNone(hs.ws)

    def test_disabled_unit_is_refused(self):
        token = add_unit(self.stack, "AMB-12")
        self.assertEqual(handshake(self.stack, token).status, 101)
        rc, out, err = self.stack.admin("unit", "disable", "AMB-12")
        self.assertEqual(rc, 0, err)
        self.assertEqual(handshake(self.stack, token).status, 401)

    def test_each_token_opens_only_its_own_door(self):
        token = add_unit(self.stack, "AMB-13")
        hs = handshake(self.stack, token, "/v1/console", (harness.JSON_PROTO,))
        self.assertEqual(hs.status, 403, "a unit's token at the console")
        hs = handshake(self.stack, self.stack.token, "/v1/responder")
        self.assertEqual(hs.status, 403, "a dispatcher's session at the responder door")
        hs = handshake(self.stack, self.stack.token, "/v1/responder", (RJSON, harness.JSON_PROTO))
        self.assertEqual(hs.status, 403)
        # the subprotocol of the other door
        self.assertEqual(handshake(self.stack, token, protocols=(harness.JSON_PROTO,)).status, 400)
        hs = handshake(self.stack, token, headers={"Origin": "http://evil.example"})
        self.assertEqual(hs.status, 403)

    def test_hello_by_header_query_or_cookie(self):
        token = add_unit(self.stack, "AMB-14", phone="+6281300001414")
        ws = connect(self, token)
        hello = ws.recv_json(5)["hello"]
        self.assertEqual(hello["unit"]["id"], "AMB-14")
        self.assertEqual(hello["unit"]["status"], "UNIT_STATUS_AVAILABLE")
        self.assertNotIn("phone", hello["unit"], "the crew's phone is the consoles' business")
        self.assertRegex(hello["lastUpdateId"], r"^\d+-\d+$")
        self.assertNotIn("assignment", hello)
        ws.close()
        for hs in (handshake(self.stack, None, "/v1/responder?token=" + token),
                   handshake(self.stack, None, headers={"Cookie": "siaga_unit=" + token})):
            self.assertEqual(hs.status, 101)
            self.assertEqual(hs.ws.recv_json(5)["hello"]["unit"]["id"], "AMB-14")
            hs.ws.close()
        # protobuf too
        ws = connect(self, token, protocols=(RPB,))
        self.assertEqual(ws.recv(5).kind, "binary")
        ws.close()

    def test_disable_and_new_token_close_the_open_socket(self):
        token = add_unit(self.stack, "AMB-15")
        ws = connect(self, token)
        self.assertIn("hello", ws.recv_json(5))
        rc, out, err = self.stack.admin("unit", "token", "AMB-15")
        self.assertEqual(rc, 0, err)
        new = re.search(r"([0-9a-f]{64})", out).group(1)
        m = self.closed(ws)
        self.assertEqual(m.code, 4003, m)

        ws = connect(self, new)
        self.assertIn("hello", ws.recv_json(5))
        rc, out, err = self.stack.admin("unit", "disable", "AMB-15")
        self.assertEqual(rc, 0, err)
        m = self.closed(ws)
        self.assertEqual(m.code, 4003, m)

    def closed(self, ws):
        for _ in range(50):
            m = ws.recv(5)
            if m.kind in ("close", "eof"):
                return m
        self.fail("socket stayed open")

    def test_bad_messages(self):
        token = add_unit(self.stack, "AMB-16")
        ws = connect(self, token)
        self.assertIn("hello", ws.recv_json(5))
        command(ws, "p1", ping={})
        rep, _ = reply_for(ws, "p1")
        self.assertTrue(rep.get("ok"), rep)
        command(ws, "x1", accept={"assignmentId": "A-999999"})
        rep, _ = reply_for(ws, "x1")
        self.assertFalse(rep.get("ok"), rep)
        self.assertTrue(rep["error"]["code"], rep)
        # JSON that is no command is answered, and the crew stays
        command(ws, "x2", setUnitStatus={"status": "UNIT_STATUS_FLYING"})
        rep, _ = reply_for(ws, "x2")
        self.assertEqual(rep["error"]["code"], "bad_command", rep)
        command(ws, "p2", ping={})
        self.assertTrue(reply_for(ws, "p2")[0].get("ok"))
        ws.send_text("not json")
        msgs = [ws.recv(5) for _ in range(2)]
        self.assertEqual(msgs[0].kind, "text", msgs)
        self.assertEqual(json.loads(msgs[0].data)["error"]["code"], "bad_message")
        self.assertEqual((msgs[-1].kind, msgs[-1].code), ("close", 1007), msgs)
        # too large, and the wrong kind of frame
        for send, code in ((lambda w: w.send_text("{" + " " * 20000 + "}"), 1009),
                           (lambda w: w.send_binary(b"\x0a\x00"), 1003)):
            w = connect(self, token)
            self.assertIn("hello", w.recv_json(5))
            send(w)
            m = w.recv(5)
            self.assertEqual((m.kind, m.code), ("close", code), m)


class Flow(harness.StackTestCase):
    STACK = {"workers": 1}
    next_i = 300

    def open_incident(self, console):
        Flow.next_i += 1
        r = self.stack.post_report(json_report(Flow.next_i, category="medical",
                                               description="Orang pingsan di pasar, tidak sadar"))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        msg = json_messages_until(
            console, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            20, "incident for %s" % rid)[-1]
        return msg["update"]["incident"]

    def console(self):
        ws = self.stack.ws()
        json_messages_until(ws, lambda m: "snapshot" in m and not m["snapshot"].get("more"), 10,
                            "snapshot")
        return ws

    def assign(self, console, inc, unit_id, rid):
        command(console, rid, assign={"incidentId": inc["id"], "unitId": unit_id})
        rep, _ = reply_for(console, rid)
        self.assertTrue(rep.get("ok"), rep)
        return rep["assignment"]

    def console_sees(self, console, pred, what):
        return json_messages_until(console, lambda m: pred(m.get("update", {})), 10, what)[-1]["update"]

    def test_assign_accept_en_route_on_scene(self):
        token = add_unit(self.stack, "AMB-21")
        console = self.console()
        inc = self.open_incident(console)
        unit = connect(self, token)
        self.assertIn("hello", unit.recv_json(5))

        t0 = time.monotonic()
        command(console, "as-1", assign={"incidentId": inc["id"], "unitId": "AMB-21"})
        offer = unit.recv_json(5)
        took = time.monotonic() - t0
        self.assertIn("assignment", offer, offer)
        self.assertLess(took, 1.0, "the assignment reached the unit %.3f s after assign" % took)
        a = offer["assignment"]["assignment"]
        self.assertEqual(a["state"], "ASSIGNMENT_STATE_OFFERED")
        self.assertEqual(a["unitId"], "AMB-21")
        crew = offer["assignment"]["incident"]
        self.assertEqual(crew["id"], inc["id"])
        self.assertEqual(crew["category"], "medical")
        self.assertIn("location", crew)
        self.assertNotIn("phones", crew, "the dispatcher did not share the callers' numbers")
        self.assertTrue(crew.get("texts"), crew)
        rep, _ = reply_for(console, "as-1")
        self.assertTrue(rep.get("ok"), rep)

        # received: the crew hears its own assignment move, though only the assignment did
        command(unit, "dlv", seen={"assignmentId": a["id"], "opened": False})
        json_messages_until(unit, lambda m: m.get("update", {}).get("assignment", {}).get("state") ==
                            "ASSIGNMENT_STATE_DELIVERED", 5, "its own DELIVERED")

        command(unit, "acc", accept={"assignmentId": a["id"]})
        rep, between = reply_for(unit, "acc")
        self.assertTrue(rep.get("ok"), rep)
        self.assertNotIn("phone", rep["unit"])
        upd = self.console_sees(console, lambda u: u.get("assignment", {}).get("state") ==
                                "ASSIGNMENT_STATE_ACCEPTED", "the console sees the accept")
        self.assertEqual(upd["unit"]["id"], "AMB-21")
        # accepting sets off: the unit is en route
        self.assertEqual(upd["unit"]["status"], "UNIT_STATUS_EN_ROUTE")
        self.assertEqual(upd["incident"]["status"], "INCIDENT_STATUS_DISPATCHED")

        for st in ("UNIT_STATUS_ON_SCENE", "UNIT_STATUS_TRANSPORTING"):
            command(unit, st, setUnitStatus={"status": st})
            rep, before = reply_for(unit, st)
            self.assertTrue(rep.get("ok"), rep)
            self.assertEqual(rep["unit"]["status"], st)
            upd = self.console_sees(console, lambda u: u.get("unit", {}).get("status") == st,
                                    "the console sees %s" % st)
            self.assertEqual(upd["unit"]["id"], "AMB-21")
            # the unit hears it too, as an update of its own (before or after the reply)
            mine = lambda m: m.get("update", {}).get("unit", {}).get("status") == st
            if not any(mine(m) for m in before):
                json_messages_until(unit, mine, 5, "the unit's own %s" % st)
        command(unit, "pos", position={"lat": -2.21, "lon": 113.92, "accuracyM": 8})
        self.assertTrue(reply_for(unit, "pos")[0].get("ok"))
        pos = self.stack.r("GEOPOS", key("unitgeo"), "AMB-21")[0]
        self.assertAlmostEqual(float(pos[0]), 113.92, places=3)
        self.assertAlmostEqual(float(pos[1]), -2.21, places=3)
        # The next positions within 15 s are stored (the recommendation's geo
        # set) but not told to every console again.
        n = self.stack.xlen("updates")
        for i, lat in enumerate((-2.2110, -2.2120)):
            command(unit, "pos%d" % i, position={"lat": lat, "lon": 113.92, "accuracyM": 8})
            self.assertTrue(reply_for(unit, "pos%d" % i)[0].get("ok"))
        pos = self.stack.r("GEOPOS", key("unitgeo"), "AMB-21")[0]
        self.assertAlmostEqual(float(pos[1]), -2.2120, places=3)
        self.assertEqual(self.stack.xlen("updates"), n)
        times = self.stack.http("GET", "/v1/incidents/" + inc["id"]).json().get("times", {})
        for step in ("assignedAtMs", "acceptedAtMs", "enRouteAtMs", "onSceneAtMs"):
            self.assertIn(step, times, times)

        # A note by the dispatcher reaches the crew as an update of its incident.
        command(console, "n-1", addNote={"incidentId": inc["id"], "text": "Pasien laki-laki, 60 th"})
        self.assertTrue(reply_for(console, "n-1")[0].get("ok"))
        m = json_messages_until(unit, lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_NOTE_ADDED",
                                5, "the dispatcher's note")[-1]
        self.assertEqual(m["update"]["incident"]["notes"][-1]["text"], "Pasien laki-laki, 60 th")
        unit.close()
        console.close()

    def test_other_units_business_stays_out(self):
        t1 = add_unit(self.stack, "AMB-31")
        add_unit(self.stack, "AMB-32")
        console = self.console()
        inc = self.open_incident(console)
        unit = connect(self, t1)
        self.assertIn("hello", unit.recv_json(5))
        self.assign(console, inc, "AMB-32", "o-1")
        other = self.open_incident(console)
        self.assign(console, other, "AMB-31", "o-2")
        m = unit.recv_json(5)
        self.assertIn("assignment", m, "the first message is its own offer, not AMB-32's: %r" % m)
        self.assertEqual(m["assignment"]["assignment"]["incidentId"], other["id"])
        # nor can it answer for AMB-32: the unit is the one it signed in as
        theirs = [a for a in self.stack.http("GET", "/v1/incidents/" + inc["id"]).json()["assignments"]
                  if a["unitId"] == "AMB-32"][0]
        before = self.stack.xlen("updates")
        command(unit, "x-1", accept={"assignmentId": theirs["id"]})
        rep, _ = reply_for(unit, "x-1")
        self.assertFalse(rep.get("ok"), rep)
        self.assertEqual(self.stack.xlen("updates"), before, "a refused command writes nothing")
        state = [a for a in self.stack.http("GET", "/v1/incidents/" + inc["id"]).json()["assignments"]
                 if a["id"] == theirs["id"]][0]["state"]
        self.assertEqual(state, "ASSIGNMENT_STATE_OFFERED")
        unit.close()
        console.close()

    def test_cancel_reaches_the_unit(self):
        token = add_unit(self.stack, "AMB-41")
        console = self.console()
        inc = self.open_incident(console)
        unit = connect(self, token)
        self.assertIn("hello", unit.recv_json(5))
        a = self.assign(console, inc, "AMB-41", "c-1")
        command(console, "c-2", cancelAssignment={"assignmentId": a["id"], "reason": "unit lain lebih dekat"})
        self.assertTrue(reply_for(console, "c-2")[0].get("ok"))
        m = json_messages_until(unit, lambda m: "assignmentCancelled" in m, 5, "the cancel")[-1]
        self.assertEqual(m["assignmentCancelled"]["assignment"]["id"], a["id"])
        # the hello of a new connection has no assignment any more
        again = connect(self, token)
        self.assertNotIn("assignment", again.recv_json(5)["hello"])
        again.close()
        unit.close()
        console.close()

    def test_decline_with_a_reason(self):
        token = add_unit(self.stack, "AMB-45")
        console = self.console()
        inc = self.open_incident(console)
        unit = connect(self, token)
        self.assertIn("hello", unit.recv_json(5))
        a = self.assign(console, inc, "AMB-45", "d-1")
        json_messages_until(unit, lambda m: "assignment" in m, 5, "the offer")
        command(unit, "d-0", decline={"assignmentId": a["id"], "reason": ""})
        self.assertEqual(reply_for(unit, "d-0")[0]["error"]["code"], "bad_command")
        command(unit, "d-2", decline={"assignmentId": a["id"], "reason": "Ban bocor di jalan"})
        rep, _ = reply_for(unit, "d-2")
        self.assertTrue(rep.get("ok"), rep)
        self.assertEqual(rep["unit"]["status"], "UNIT_STATUS_AVAILABLE")
        upd = self.console_sees(console, lambda u: u.get("assignment", {}).get("state") ==
                                "ASSIGNMENT_STATE_DECLINED", "the console sees the decline")
        self.assertEqual(upd["assignment"]["reason"], "Ban bocor di jalan")
        unit.close()
        console.close()

    def test_resume_misses_nothing(self):
        token = add_unit(self.stack, "AMB-51")
        console = self.console()
        inc = self.open_incident(console)
        steady = connect(self, token)
        dropped = connect(self, token)
        h1, h2 = steady.recv_json(5)["hello"], dropped.recv_json(5)["hello"]
        last = h2["lastUpdateId"]
        dropped.close()

        # While it is away: an offer, the steady connection accepts, statuses, a note.
        a = self.assign(console, inc, "AMB-51", "r-1")
        seen = []

        def take(pred, what):
            """The message pred wants, received now or already (an update of
            a command may come before or after its reply)."""
            for m in seen:
                if pred(m):
                    return m
            msgs = json_messages_until(steady, pred, 5, what)
            seen.extend(msgs)
            return msgs[-1]
        take(lambda m: "assignment" in m, "the offer")
        command(steady, "r-acc", accept={"assignmentId": a["id"]})
        take(lambda m: m.get("reply", {}).get("requestId") == "r-acc", "accept reply")
        command(steady, "r-st", setUnitStatus={"status": "UNIT_STATUS_ON_SCENE"})
        self.assertTrue(take(lambda m: m.get("reply", {}).get("requestId") == "r-st",
                             "status reply")["reply"].get("ok"))
        take(lambda m: m.get("update", {}).get("unit", {}).get("status") == "UNIT_STATUS_ON_SCENE",
             "the unit's ON_SCENE")
        command(console, "r-n", addNote={"incidentId": inc["id"], "text": "Jalan banjir, lewat belakang"})
        self.assertTrue(reply_for(console, "r-n")[0].get("ok"))
        take(lambda m: m.get("update", {}).get("kind") == "UPDATE_KIND_NOTE_ADDED", "the note")

        def ids(msgs):
            out = []
            for m in msgs:
                for k in ("assignment", "assignmentCancelled", "update"):
                    if k in m:
                        out.append((k, m[k]["updateId"]))
            return out
        want = ids(seen)
        self.assertGreaterEqual(len(want), 4, seen)

        back = connect(self, token, "?resume=" + last)
        got = []
        for _ in range(100):
            got.extend(ids([back.recv_json(5)]))
            if got and got[-1] == want[-1]:
                break
        self.assertEqual(got, want, "the resumed connection got exactly what the steady one did")
        # and nothing more follows
        with self.assertRaises(TimeoutError):
            back.recv(0.5)
        # an id no longer meaningful gets the hello instead
        stale = connect(self, token, "?resume=99999999999999-0")
        self.assertIn("hello", stale.recv_json(5))
        for ws in (stale, back, steady, console):
            ws.close()


class TerminalClient(harness.StackTestCase):
    STACK = {"workers": 1}

    def test_siaga_responder_takes_an_assignment(self):
        token = add_unit(self.stack, "AMB-61")
        binary = os.path.join(os.environ["SIAGA_BUILD"], "siaga-responder")
        p = subprocess.Popen([binary, "--url", "ws://127.0.0.1:%d" % self.stack.http_port,
                              "--token", token], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, bufsize=1)
        lines = []
        lock = threading.Condition()

        def pump():
            for ln in p.stdout:
                with lock:
                    lines.append(ln.rstrip("\n"))
                    lock.notify_all()
        threading.Thread(target=pump, daemon=True).start()

        def wait_line(pattern, timeout=10):
            deadline = time.monotonic() + timeout
            with lock:
                while True:
                    for ln in lines:
                        if re.search(pattern, ln):
                            return ln
                    left = deadline - time.monotonic()
                    if left <= 0 or p.poll() is not None:
                        self.fail("no line like %r in %r (%s)" % (pattern, lines, p.stderr.read()
                                                               if p.poll() is not None else "running"))
                    lock.wait(left)
        try:
            wait_line(r"^hello unit=AMB-61 status=AVAILABLE")
            console = self.stack.ws()
            json_messages_until(console, lambda m: "snapshot" in m and not m["snapshot"].get("more"),
                                10, "snapshot")
            r = self.stack.post_report(json_report(400, category="accident",
                                                   description="Tabrakan motor di Jl. Tjilik Riwut"))
            rid = r.json()["reportId"]
            inc = json_messages_until(
                console, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
                20, "incident")[-1]["update"]["incident"]
            command(console, "t-1", assign={"incidentId": inc["id"], "unitId": "AMB-61"})
            wait_line(r"^assignment \S+ assignment=A-\d+ state=OFFERED incident=%s" % inc["id"])
            # the client marks it DELIVERED on receipt, and the console sees that
            json_messages_until(console, lambda m: m.get("update", {}).get("assignment", {}).get("state")
                                == "ASSIGNMENT_STATE_DELIVERED", 10, "DELIVERED on the console")
            p.stdin.write("accept\n")
            p.stdin.flush()
            wait_line(r"^reply c\d+ ok unit=AMB-61 status=")
            wait_line(r"^update \S+ ASSIGNMENT_CHANGED unit=AMB-61 status=EN_ROUTE assignment=\S+ "
                      r"state=ACCEPTED")
            p.stdin.write("status ON_SCENE\npos -2.2 113.9 12\n")
            p.stdin.flush()
            wait_line(r"^update \S+ UNIT_CHANGED unit=AMB-61 status=ON_SCENE")
            json_messages_until(console, lambda m: m.get("update", {}).get("unit", {}).get("status") ==
                                "UNIT_STATUS_ON_SCENE", 10, "the console sees ON_SCENE")
            p.stdin.write("status NOPE\n")
            p.stdin.flush()
            p.stdin.close()
            self.assertEqual(p.wait(10), 0)
            err = p.stderr.read()
            self.assertIn("no unit status NOPE", err)
            console.close()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)


if __name__ == "__main__":
    harness.main()
