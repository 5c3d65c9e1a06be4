"""Units and assignments (issue 12) with a real Redis (and Kannel for the SMS
ladder): siaga-admin's unit commands, the console's Assign, CancelAssignment
and Recommend reaching every console as updates, and a unit's SMS answer."""
import hashlib
import re

import harness
from harness import key


def add_unit(stack, uid, kind="ambulance", phone=None, name=None, station="Pos 1"):
    """Registers a unit; returns its token."""
    phone = phone or "+628130000%04d" % (sum(map(ord, uid)) % 10000)
    rc, out, err = stack.admin("unit", "add", uid, "--kind", kind, "--name", name or uid,
                               "--phone", phone, "--station", station)
    if rc != 0:
        raise AssertionError("unit add %s: %s %s" % (uid, out, err))
    m = re.search(r"token: ([0-9a-f]{64})", out)
    if not m:
        raise AssertionError("no token in %r" % out)
    return m.group(1)


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Admin(harness.StackTestCase):
    STACK = {"workers": 0}

    def test_unit_add_stores_only_the_digest(self):
        token = add_unit(self.stack, "AMB-01", phone="+6281300000001")
        self.assertEqual(self.stack.r("GET", key("unittoken:" + digest(token))), b"AMB-01")
        self.assertEqual(self.stack.r("GET", key("unitphone:+6281300000001")), b"AMB-01")
        stored = self.stack.r("HGETALL", key("unit:AMB-01"))
        self.assertNotIn(token.encode(), stored)
        self.assertIn(b"AMB-01", self.stack.r("SMEMBERS", key("units")))
        # one UNIT_CHANGED update so open consoles see the new unit
        ups = harness.updates(self.stack)
        self.assertEqual(ups[-1][1]["kind"], 7)
        self.assertEqual(len(self.stack.r("XRANGE", key("unitaudit:AMB-01"), "-", "+")), 1)

    def test_refusals_write_nothing(self):
        add_unit(self.stack, "DMK-01", kind="fire", phone="+6281300000011")
        before = self.stack.r("DBSIZE")
        for args, why in (
                (("DMK-01", "--kind", "fire", "--name", "x", "--phone", "+6281300000012",
                  "--station", "s"), "exists already"),
                (("DMK-02", "--kind", "fire", "--name", "x", "--phone", "+6281300000011",
                  "--station", "s"), "is the phone of unit DMK-01"),
                (("DMK-03", "--kind", "tank", "--name", "x", "--phone", "+6281300000013",
                  "--station", "s"), "--kind is one of"),
                (("dmk-04", "--kind", "fire", "--name", "x", "--phone", "+6281300000014",
                  "--station", "s"), "a unit id is"),
                (("DMK-05", "--kind", "fire", "--name", "x", "--phone", "0813",
                  "--station", "s"), "--phone")):
            rc, out, err = self.stack.admin("unit", "add", *args)
            self.assertEqual(rc, 1, (args, out, err))
            self.assertIn(why, err)
        self.assertEqual(self.stack.r("DBSIZE"), before)

    def test_list_disable_and_token(self):
        token = add_unit(self.stack, "POL-01", kind="police", phone="+6281300000021",
                         name="Patroli Satu")
        rc, out, err = self.stack.admin("unit", "list")
        self.assertEqual(rc, 0, err)
        line = [ln for ln in out.splitlines() if ln.startswith("POL-01")][0]
        self.assertIn("police", line)
        self.assertIn("AVAILABLE", line)
        self.assertIn("enabled", line)
        self.assertIn("Patroli Satu", line)

        # a new token: the old one ends at once
        rc, out, err = self.stack.admin("unit", "token", "POL-01")
        self.assertEqual(rc, 0, err)
        new = re.search(r"([0-9a-f]{64})", out).group(1)
        self.assertIsNone(self.stack.r("GET", key("unittoken:" + digest(token))))
        self.assertEqual(self.stack.r("GET", key("unittoken:" + digest(new))), b"POL-01")

        epoch = int(self.stack.r("GET", key("auth:epoch")) or 0)
        rc, out, err = self.stack.admin("unit", "disable", "POL-01")
        self.assertEqual(rc, 0, err)
        self.assertIsNone(self.stack.r("GET", key("unittoken:" + digest(new))))
        self.assertGreater(int(self.stack.r("GET", key("auth:epoch"))), epoch)
        rc, out, err = self.stack.admin("unit", "list")
        self.assertIn("disabled", [ln for ln in out.splitlines() if ln.startswith("POL-01")][0])
        rc, out, err = self.stack.admin("unit", "token", "NOPE-1")
        self.assertEqual(rc, 1)
        self.assertIn("no unit", err)


if __name__ == "__main__":
    harness.main()
