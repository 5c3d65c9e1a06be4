"""Unit.connected with a real Redis and a real Kannel: a unit's app is
connected from its responder socket's hello, and not once the socket closes
or its siagad is SIGKILLed (within --unit-connected-s); the consoles see
each change as an update and in their snapshot; an assignment to a unit
whose app is not connected goes by SMS at once (the offer at fakesmsc),
while a connected unit's offer waits for the app."""
import http.client
import signal

import harness
import kannel
from harness import key, wait_until
from clients import json_messages_until, ws_handshake
from test_dispatch import add_unit, assignment_update, command, console, open_incident, \
    reply_for, until
from test_responder import RJSON

TTL_S = 3  # --unit-connected-s: a killed siagad's units stop showing within this (and a tick)
ACK_S = 30  # long enough that no ladder step is due while a test looks


def responder(port, token):
    """A responder socket on the siagad at port; returns (ws, hello)."""
    hs = ws_handshake(port, "/v1/responder", (RJSON,), 5, {"Authorization": "Bearer " + token})
    if hs.status != 101:
        raise AssertionError("responder upgrade: %s %r" % (hs.status, hs.headers))
    msgs = json_messages_until(hs.ws, lambda m: "hello" in m, 5, "hello")
    return hs.ws, msgs[-1]["hello"]


def healthy(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        c.request("GET", "/healthz")
        return c.getresponse().status == 200
    except OSError:
        return False
    finally:
        c.close()


def unit_update(ws, uid, connected, timeout):
    """The console's next UNIT_CONNECTED update of uid with connected as given."""
    def match(m):
        up = m.get("update", {})
        return (up.get("kind") == "UPDATE_KIND_UNIT_CONNECTED" and
                up.get("unit", {}).get("id") == uid and
                bool(up["unit"].get("connected")) == connected)
    return until(ws, match, timeout, "%s connected=%s" % (uid, connected))["update"]["unit"]


def snapshot_unit(stack, uid):
    ws = stack.ws()
    msgs = json_messages_until(ws, lambda m: "snapshot" in m and not m["snapshot"].get("more"),
                               10, "snapshot")
    ws.close()
    units = [u for m in msgs if "snapshot" in m for u in m["snapshot"].get("units", [])]
    return [u for u in units if u["id"] == uid][0]


def sms_out_to(stack, phone):
    """The outbound SMS queued for phone (siaga:{r}:sms:out), as (kind, text)."""
    out = []
    for _, fields in stack.r("XRANGE", key("sms:out"), "-", "+"):
        f = dict(zip(fields[::2], fields[1::2]))
        if f.get(b"to") == phone.encode():
            out.append((f[b"kind"].decode(), f[b"text"].decode()))
    return out


class Connected(kannel.KannelStackCase):
    STACK = {"workers": 1}
    SIAGAD_ARGS = ("--unit-connected-s", str(TTL_S), "--assign-ack-s", str(ACK_S),
                   "--assign-ack-p1-s", str(ACK_S))

    def test_connected_from_hello_until_the_socket_closes(self):
        token = add_unit(self.stack, "AMB-71", phone="+6281300007101")
        ws = console(self.stack)
        self.assertFalse(snapshot_unit(self.stack, "AMB-71").get("connected"))
        version = self.stack.r("HGET", key("unit:AMB-71"), "version")
        app, hello = responder(self.stack.http_port, token)
        self.assertTrue(hello["unit"].get("connected"), hello)
        unit = unit_update(ws, "AMB-71", True, 10)
        self.assertEqual(unit["version"], version.decode(), "connected does not bump the version")
        self.assertTrue(snapshot_unit(self.stack, "AMB-71").get("connected"))
        # a second socket of the same unit: closing one leaves it connected
        app2, _ = responder(self.stack.http_port, token)
        app.close()
        wait_until(lambda: self.stack.r("ZCARD", key("unitconn:AMB-71")) == 1, 10,
                   "one holder left")
        self.assertTrue(snapshot_unit(self.stack, "AMB-71").get("connected"))
        app2.close()
        unit = unit_update(ws, "AMB-71", False, 10)
        self.assertEqual(unit["version"], version.decode())
        self.assertFalse(snapshot_unit(self.stack, "AMB-71").get("connected"))
        self.assertEqual(self.stack.r("EXISTS", key("unitconn:AMB-71")), 0)
        self.assertIsNone(self.stack.r("ZSCORE", key("unitconns"), "AMB-71"))
        ws.close()

    def test_a_killed_siagad_does_not_leave_the_unit_connected(self):
        token = add_unit(self.stack, "AMB-72", phone="+6281300007201")
        ws = console(self.stack)
        port = harness.free_port()
        other = self.stack._spawn("siagad-2", [self.stack.siagad_bin, "--listen",
                                               "127.0.0.1:%d" % port] +
                                  self.stack.redis_args() + self.stack.siagad_args)
        wait_until(lambda: other.alive() and healthy(port), 20,
                   "the second siagad")
        app, _ = responder(port, token)
        unit_update(ws, "AMB-72", True, 10)
        # held past a refresh (TTL/3): still connected, no flapping update
        holder = self.stack.r("ZRANGE", key("unitconn:AMB-72"), 0, -1, "WITHSCORES")
        wait_until(lambda: self.stack.r("ZRANGE", key("unitconn:AMB-72"), 0, -1,
                                        "WITHSCORES") != holder, 10, "the holder refreshed")
        self.assertTrue(snapshot_unit(self.stack, "AMB-72").get("connected"))
        other.p.send_signal(signal.SIGKILL)
        other.p.wait(timeout=10)
        # the first siagad's sweep tells the consoles once the holder expired
        unit_update(ws, "AMB-72", False, TTL_S + 10)
        self.assertFalse(snapshot_unit(self.stack, "AMB-72").get("connected"))
        self.assertEqual(self.stack.r("EXISTS", key("unitconn:AMB-72")), 0)
        app.close()
        ws.close()

    def test_no_app_the_offer_goes_by_sms_at_once(self):
        phone = "+6281300007301"
        add_unit(self.stack, "AMB-73", phone=phone)
        ws = console(self.stack)
        inc = open_incident(self, ws, 73, category="fire",
                            description="Kebakaran rumah di Jl. Tjilik Riwut km 7, asap tebal")
        command(ws, "as-73", assign={"incidentId": inc["id"], "unitId": "AMB-73"})
        rep = reply_for(ws, "as-73")
        self.assertTrue(rep.get("ok"), rep)
        asg = rep["assignment"]
        # written with the offer, in the same transition: not a ladder step later
        self.assertEqual(asg["state"], "ASSIGNMENT_STATE_OFFERED")
        self.assertNotEqual(asg.get("smsSentAtMs", "0"), "0", asg)
        queued = sms_out_to(self.stack, phone)
        self.assertEqual([k for k, _ in queued], ["assignment"], queued)
        self.assertTrue(queued[0][1].startswith("SIAGA TUGAS %s " % inc["id"]), queued)
        # the console's update carries it
        up = assignment_update(ws, asg["id"], "OFFERED")
        self.assertNotEqual(up["assignment"].get("smsSentAtMs", "0"), "0")
        # through Kannel to the handset
        wait_until(lambda: [m for m in self.mts(phone) if m.text.startswith("SIAGA TUGAS")], 40,
                   "the offer at fakesmsc; all: %r" % self.k.mt_messages(), interval=0.1)
        offer = [m for m in self.mts(phone) if m.text.startswith("SIAGA TUGAS")]
        self.assertEqual(len(offer), 1)
        self.assertRegex(offer[0].text, r"^SIAGA TUGAS %s P[1-4] Kebakaran, .+\. "
                                        r"Balas 1 terima, 2 tolak\.$" % inc["id"])
        # the ladder's next step is the timeout, one ack period after the SMS
        due = float(self.stack.r("ZSCORE", key("assign:due"), asg["id"]))
        self.assertEqual(due, int(asg["smsSentAtMs"]) + ACK_S * 1000)
        ws.close()

    def test_a_connected_units_offer_waits_for_the_app(self):
        phone = "+6281300007401"
        token = add_unit(self.stack, "AMB-74", phone=phone)
        ws = console(self.stack)
        app, _ = responder(self.stack.http_port, token)
        unit_update(ws, "AMB-74", True, 10)
        inc = open_incident(self, ws, 74)
        command(ws, "as-74", assign={"incidentId": inc["id"], "unitId": "AMB-74"})
        rep = reply_for(ws, "as-74")
        self.assertTrue(rep.get("ok"), rep)
        asg = rep["assignment"]
        self.assertEqual(asg.get("smsSentAtMs", "0"), "0", asg)
        self.assertEqual(sms_out_to(self.stack, phone), [])
        offer = json_messages_until(app, lambda m: "assignment" in m, 10, "the offer on the app")
        self.assertEqual(offer[-1]["assignment"]["assignment"]["id"], asg["id"])
        # the crew is not told of its own app's presence, and the
        # assignment's change keeps the unit connected for the consoles
        self.assertEqual([m for m in offer if "update" in m], [], offer)
        up = assignment_update(ws, asg["id"], "OFFERED")
        self.assertTrue(up["unit"].get("connected"), up)
        due = float(self.stack.r("ZSCORE", key("assign:due"), asg["id"]))
        self.assertEqual(due, int(asg["offeredAtMs"]) + ACK_S * 1000)
        self.assertEqual(sms_out_to(self.stack, phone), [])
        app.close()
        ws.close()


if __name__ == "__main__":
    harness.main()
