"""Accounts and sessions: every non-citizen path is behind a sign-in, and each
refusal is precise. Sign-in (right, wrong, unknown, locked after 5 failures),
sessions (Bearer or cookie, stored hashed, sliding idle expiry, sign-out),
siaga-admin (passwords hashed with Argon2id, disable ends sessions and open
consoles at once), the console upgrade (no session, no subprotocol, a foreign
Origin), roles (only a supervisor or an admin reopens; a refused command writes
nothing)."""
import hashlib
import time

import harness
from harness import JSON_PROTO, json_messages_until, json_report, key
from clients import ws_handshake

SIGNED_OUT = 4003


def command(ws, request_id, **action):
    ws.send_json({"command": dict({"requestId": request_id}, **action)})


def reply_for(ws, request_id, timeout=5):
    msg = json_messages_until(ws, lambda m: m.get("reply", {}).get("requestId") == request_id,
                              timeout, "reply %s" % request_id)[-1]
    return msg["reply"]


def wait_close(ws, timeout):
    """The close code the server sends within timeout (skipping other frames)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ws.recv(max(0.1, deadline - time.monotonic()))
        if m.kind == "close":
            return m.code
        if m.kind == "eof":
            return None
    raise AssertionError("no close within %.1f s" % timeout)


class Auth(harness.StackTestCase):
    STACK = {"workers": 1, "siagad_args": ["--allowed-origin", "https://112.example.go.id"]}

    def login(self, name, password):
        return self.stack.http("POST", "/v1/auth/login", {"username": name, "password": password},
                               auth=False)

    def new_user(self, name, role, password="a-good-password"):
        self.stack.add_user(name, role, password)
        resp = self.login(name, password)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()["token"]

    # ---- signing in

    def test_sign_in_answers_token_role_expiry_and_cookie(self):
        resp = self.login(harness.DISPATCHER, harness.DISPATCHER_PASSWORD)
        self.assertEqual(resp.status, 200, resp)
        body = resp.json()
        self.assertEqual(body["role"], "dispatcher")
        self.assertEqual(len(body["token"]), 64)
        hours = (body["expiresAtMs"] / 1000 - time.time()) / 3600
        self.assertTrue(11.9 < hours <= 12, hours)
        cookie = resp.header("set-cookie")
        self.assertIn("siaga_session=" + body["token"], cookie)
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        # The session is stored under the token's SHA-256, never the token.
        digest = hashlib.sha256(body["token"].encode()).hexdigest()
        self.assertEqual(self.stack.r("EXISTS", key("session:" + digest)), 1)
        self.assertEqual(self.stack.r("KEYS", "*" + body["token"] + "*"), [])
        ttl_h = self.stack.r("PTTL", key("session:" + digest)) / 3600e3
        self.assertTrue(11.9 < ttl_h <= 12, ttl_h)

    def test_wrong_password_and_unknown_name_answer_alike(self):
        self.stack.add_user("sari", "dispatcher", "sari-password")
        wrong = self.login("sari", "not-her-password")
        unknown = self.login("nobody-here", "not-her-password")
        for r in (wrong, unknown):
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json()["code"], "bad_credentials")
        self.assertEqual(wrong.body, unknown.body)
        bad = self.stack.http("POST", "/v1/auth/login", "{not json", {"Content-Type": "application/json"},
                              auth=False)
        self.assertEqual(bad.status, 400, bad)
        self.assertErrorBody(bad)
        missing = self.stack.http("POST", "/v1/auth/login", {"username": "sari"}, auth=False)
        self.assertEqual(missing.status, 400, missing)

    def test_five_failures_lock_the_name(self):
        self.stack.add_user("budi", "dispatcher", "budi-password")
        for i in range(5):
            r = self.login("budi", "guess-%d" % i)
            self.assertEqual(r.status, 401, (i, r))
        locked = self.login("budi", "budi-password")  # even the right one, for now
        self.assertEqual(locked.status, 429, locked)
        self.assertEqual(locked.json()["code"], "too_many_failures")
        retry = int(locked.header("retry-after"))
        self.assertTrue(200 < retry <= 300, retry)
        # Another name is not locked by it.
        self.assertEqual(self.login(harness.DISPATCHER, harness.DISPATCHER_PASSWORD).status, 200)
        # When the window ends, the right password works again.
        self.stack.r("DEL", key("loginfail:budi"))
        self.assertEqual(self.login("budi", "budi-password").status, 200)

    def test_passwords_are_argon2id_hashes(self):
        self.stack.add_user("rina", "supervisor", "rina-password")
        stored = self.stack.r("HGET", key("user:rina"), "pwhash").decode()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.assertNotIn("rina-password", stored)
        rc, out, err = self.stack.admin("user", "list")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"rina\s+supervisor\s+enabled")
        rc, _, err = self.stack.admin("user", "add", "rina", "--role", "dispatcher", stdin="x" * 12 + "\n")
        self.assertEqual(rc, 1)
        self.assertIn("exists", err)
        rc, _, err = self.stack.admin("user", "add", "tono", "--role", "dispatcher", stdin="short\n")
        self.assertEqual(rc, 1)
        self.assertIn("at least", err)
        rc, _, err = self.stack.admin("user", "add", "tono", "--role", "boss", stdin="x" * 12 + "\n")
        self.assertEqual(rc, 1)

    # ---- sessions on the HTTP paths

    def test_incident_reads_need_a_session(self):
        for path in ("/v1/incidents", "/v1/incidents/abc"):
            r = self.stack.http("GET", path, auth=False)
            self.assertEqual(r.status, 401, (path, r))
            self.assertEqual(r.json()["code"], "unauthenticated")
            r = self.stack.http("GET", path, headers={"Authorization": "Bearer " + "0" * 64})
            self.assertEqual(r.status, 401, (path, r))
        ok = self.stack.http("GET", "/v1/incidents")
        self.assertEqual(ok.status, 200, ok)
        by_cookie = self.stack.http("GET", "/v1/incidents", auth=False,
                                    headers={"Cookie": "theme=dark; siaga_session=" + self.stack.token})
        self.assertEqual(by_cookie.status, 200, by_cookie)
        # Citizens' paths stay open.
        self.assertEqual(self.stack.post_report(json_report(901)).status, 202)
        self.assertEqual(self.stack.http("GET", "/", auth=False).status, 200)

    def test_an_expired_session_is_refused(self):
        token = self.new_user("ani", "dispatcher")
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.stack.r("PEXPIRE", key("session:" + digest), 1)  # what 12 idle hours do
        time.sleep(0.05)
        r = self.stack.http("GET", "/v1/incidents", headers=self.stack.auth_headers(token))
        self.assertEqual(r.status, 401, r)

    def test_sign_out_ends_the_session_and_its_console(self):
        token = self.new_user("dewi", "dispatcher")
        ws = self.stack.ws(token=token)
        self.assertIn("snapshot", ws.recv_json(5))
        out = self.stack.http("POST", "/v1/auth/logout", headers=self.stack.auth_headers(token))
        self.assertEqual(out.status, 200, out)
        self.assertIn("Max-Age=0", out.header("set-cookie"))
        self.assertEqual(self.stack.http("GET", "/v1/incidents",
                                         headers=self.stack.auth_headers(token)).status, 401)
        self.assertEqual(wait_close(ws, 5), SIGNED_OUT)
        ws.close()

    def test_disabling_an_account_closes_its_consoles_at_once(self):
        token = self.new_user("joko", "dispatcher")
        ws = self.stack.ws(token=token)
        self.assertIn("snapshot", ws.recv_json(5))
        other = self.stack.ws()  # the stack's dispatcher stays
        self.assertIn("snapshot", other.recv_json(5))
        rc, out, err = self.stack.admin("user", "disable", "joko")
        self.assertEqual(rc, 0, err)
        self.assertIn("1 session(s) ended", out)
        self.assertEqual(wait_close(ws, 5), SIGNED_OUT)
        self.assertEqual(self.login("joko", "a-good-password").status, 401)
        command(other, "still-here", ping={})
        self.assertTrue(reply_for(other, "still-here")["ok"])
        ws.close()
        other.close()
        rc, _, err = self.stack.admin("user", "enable", "joko")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.login("joko", "a-good-password").status, 200)

    # ---- the console upgrade

    def upgrade(self, headers, protocols=(JSON_PROTO,)):
        return ws_handshake(self.stack.http_port, "/v1/console", protocols, 5, extra_headers=headers)

    def test_console_upgrade_refusals(self):
        cases = [
            ({}, (JSON_PROTO,), 401, "unauthenticated"),
            ({"Authorization": "Bearer " + "f" * 64}, (JSON_PROTO,), 401, "unauthenticated"),
            (self.stack.auth_headers(), (), 400, "no_subprotocol"),
            (self.stack.auth_headers(), ("chat",), 400, "no_subprotocol"),
            (dict(self.stack.auth_headers(), Origin="https://evil.example"), (JSON_PROTO,), 403,
             "bad_origin"),
        ]
        for headers, protocols, status, code in cases:
            hs = self.upgrade(headers, protocols)
            self.assertIsNone(hs.ws, (headers, protocols))
            self.assertEqual(hs.status, status, (headers, protocols, hs.headers))
        # The server's own origin, and one it was told to allow, may.
        for origin in ("http://127.0.0.1:%d" % self.stack.http_port, "https://112.example.go.id"):
            hs = self.upgrade(dict(self.stack.auth_headers(), Origin=origin))
            self.assertIsNotNone(hs.ws, (origin, hs.status))
            self.assertIn("snapshot", hs.ws.recv_json(5))
            hs.ws.close()
        # A browser signs in by cookie.
        hs = self.upgrade({"Cookie": "siaga_session=" + self.stack.token,
                           "Origin": "http://127.0.0.1:%d" % self.stack.http_port})
        self.assertIsNotNone(hs.ws, hs.status)
        hs.ws.close()

    # ---- roles

    def open_incident(self, ws, i):
        r = self.stack.post_report(json_report(i, description="Kebakaran rumah di Jalan Kinibalu"))
        self.assertEqual(r.status, 202, r)
        rid = r.json()["reportId"]
        return json_messages_until(
            ws, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            15, "incident for %s" % rid)[-1]["update"]["incident"]

    def test_roles_decide_what_a_command_may_do(self):
        admin = self.stack.ws(token=self.new_user("root", "admin"))
        self.assertIn("snapshot", admin.recv_json(5))
        disp = self.stack.ws()
        self.assertIn("snapshot", disp.recv_json(5))
        sup = self.stack.ws(token=self.new_user("kepala", "supervisor"))
        self.assertIn("snapshot", sup.recv_json(5))
        inc = self.open_incident(disp, 902)
        before = self.stack.r("HGET", key("incident:" + inc["id"]), "pb")

        # A dispatcher may not move an incident back: refused, nothing written.
        command(disp, "d0", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_OPEN",
                                       "expectedVersion": inc["version"]})
        self.assertEqual(reply_for(disp, "d0").get("errorCode"), "no_change")
        command(disp, "d1", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_CLOSED"})
        self.assertTrue(reply_for(disp, "d1").get("ok"))
        closed = self.stack.r("HGET", key("incident:" + inc["id"]), "pb")
        self.assertNotEqual(closed, before)
        # The last day's closed incidents, for the console (a supervisor may reopen them).
        listed = self.stack.http("GET", "/v1/incidents?status=closed").json().get("incidents", [])
        self.assertIn(inc["id"], [i["id"] for i in listed])
        self.assertEqual(self.stack.http("GET", "/v1/incidents?status=gone").status, 400)
        # The same status again changes nothing and says so.
        command(disp, "d2", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_CLOSED"})
        self.assertEqual(reply_for(disp, "d2").get("errorCode"), "no_change")
        # Only a supervisor reopens.
        command(disp, "d3", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_OPEN"})
        rep = reply_for(disp, "d3")
        self.assertEqual(rep.get("errorCode"), "forbidden", rep)
        self.assertEqual(self.stack.r("HGET", key("incident:" + inc["id"]), "pb"), closed)
        # An admin may do what a supervisor does.
        command(admin, "a1", addNote={"incidentId": inc["id"], "text": "dicek admin"})
        self.assertTrue(reply_for(admin, "a1").get("ok"))
        command(sup, "s1", setStatus={"incidentId": inc["id"], "status": "INCIDENT_STATUS_OPEN"})
        rep = reply_for(sup, "s1")
        self.assertTrue(rep.get("ok"), rep)
        upd = json_messages_until(disp, lambda m: m.get("update", {}).get("actor") == "kepala", 5,
                                  "the supervisor's update")[-1]["update"]
        self.assertEqual(upd["incident"]["status"], "INCIDENT_STATUS_OPEN")
        self.assertNotIn("handler", upd["incident"], "a reopened incident is nobody's until acknowledged")
        listed = self.stack.http("GET", "/v1/incidents?status=closed").json().get("incidents", [])
        self.assertNotIn(inc["id"], [i["id"] for i in listed], "a reopened incident is not closed")
        opened = self.stack.http("GET", "/v1/incidents").json().get("incidents", [])
        self.assertIn(inc["id"], [i["id"] for i in opened])
        for ws in (admin, disp, sup):
            ws.close()


if __name__ == "__main__":
    harness.main()
