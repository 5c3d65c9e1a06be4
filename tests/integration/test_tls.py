"""TLS through the repository's nginx configuration (config/nginx/siaga.conf),
and what siagad believes of a proxy (--trusted-proxy, http/peer.h).

nginx runs from the config on a free loopback port with a certificate made
at test time (tls.py); siagad runs with --trusted-proxy 127.0.0.1, the
address nginx connects from. Over https:// and wss://: a report is accepted,
sign-in sets the cookie with Secure, the console gets its snapshot with the
cookie or Bearer, a unit's responder socket and a citizen's follow socket
open, a page of http:// origin may not open the console, nginx's own
refusals (413, siagad down) are JSON, and its access log keeps no query. Straight to siagad: X-Forwarded-For and -Proto from an
untrusted peer (another loopback address, 127.0.0.2) are ignored, from the
trusted one believed, for the app report counters, the SMS webhooks'
loopback rule and the cookie."""
import json
import os
import ssl
import subprocess

import harness
from harness import JSON_PROTO, json_report, key
from clients import http, ws_handshake
from test_responder import RJSON, add_unit
from tls import Nginx

FOLLOW_PROTO = "siaga.follow.v1.json"
UNTRUSTED = "127.0.0.2"  # a local client that is not the proxy


class ThroughNginx(harness.StackTestCase):
    STACK = {"workers": 1, "siagad_args": ["--trusted-proxy", "127.0.0.1"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.nginx = Nginx(cls.stack)
        except BaseException:
            cls.stack.stop()
            raise

    # -- helpers
    def https(self, method, path, body=None, headers=None, source=None):
        return http(self.nginx.port, method, path, body, headers, tls=self.nginx.context,
                    source=source)

    def wss(self, path, protocols, headers, source=None):
        return ws_handshake(self.nginx.port, path, protocols, 5, extra_headers=headers,
                            tls=self.nginx.context, source=source)

    def direct(self, method, path, body=None, headers=None, source=UNTRUSTED):
        return http(self.stack.http_port, method, path, body, headers, source=source)

    def counted(self, address):
        """The app reports counted against this client address."""
        v = self.stack.r("GET", key("app:rate:" + address))
        return int(v) if v is not None else 0

    def sign_in(self, send):
        resp = send("POST", "/v1/auth/login",
                    {"username": harness.DISPATCHER, "password": harness.DISPATCHER_PASSWORD})
        self.assertEqual(resp.status, 200, resp)
        return resp

    # -- TLS itself
    def test_certificate_is_checked_and_tls_is_recent(self):
        hs = self.wss("/v1/console", (JSON_PROTO,), self.stack.auth_headers())
        self.assertEqual(hs.status, 101, hs.headers)
        self.assertIn(hs.ws.sock.version(), ("TLSv1.2", "TLSv1.3"))
        hs.ws.close()
        # A client that trusts only the system's CAs refuses the self-signed one:
        # the checks above were real certificate checks.
        with self.assertRaises(ssl.SSLCertVerificationError):
            http(self.nginx.port, "GET", "/healthz", tls=ssl.create_default_context())

    def test_old_ciphers_are_refused(self):
        # TLS 1.2 with only a cipher without forward secrecy (RSA key exchange,
        # CBC, SHA-1): nginx's list has none of it, so there is no handshake.
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(self.nginx.cert)
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        old.set_ciphers("AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
        with self.assertRaises(ssl.SSLError):
            http(self.nginx.port, "GET", "/healthz", tls=old)
        # The same client with a forward-secret AEAD cipher gets through.
        ok = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ok.load_verify_locations(self.nginx.cert)
        ok.maximum_version = ssl.TLSVersion.TLSv1_2
        ok.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assertEqual(http(self.nginx.port, "GET", "/healthz", tls=ok).status, 200)

    # -- every path over TLS
    def test_report_over_https_is_accepted(self):
        before = self.stack.xlen()
        resp = self.https("POST", "/v1/reports", json_report(1))
        self.assertEqual(resp.status, 202, resp)
        self.assertTrue(resp.json()["reportId"])
        self.assertEqual(self.stack.xlen(), before + 1)

    def test_login_over_https_sets_a_secure_cookie(self):
        cookie = self.sign_in(self.https).header("set-cookie")
        self.assertIsNotNone(cookie)
        attrs = [a.strip() for a in cookie.split(";")]
        self.assertIn("Secure", attrs, cookie)
        self.assertIn("HttpOnly", attrs, cookie)
        # Straight to siagad, plain HTTP: the same cookie without Secure, or a
        # browser on http:// would never send it back.
        plain = self.sign_in(self.direct).header("set-cookie")
        self.assertNotIn("Secure", [a.strip() for a in plain.split(";")], plain)
        # Signing out over TLS clears it with the same attributes.
        token = cookie.split(";")[0]
        out = self.https("POST", "/v1/auth/logout", {}, {"Cookie": token})
        self.assertEqual(out.status, 200, out)
        self.assertIn("Secure", [a.strip() for a in out.header("set-cookie").split(";")])

    def test_console_over_wss_with_cookie_or_bearer(self):
        cookie = self.sign_in(self.https).header("set-cookie").split(";")[0]
        origin = "https://127.0.0.1:%d" % self.nginx.port  # the page's own, as a browser sends it
        for headers in ({"Cookie": cookie, "Origin": origin}, self.stack.auth_headers()):
            hs = self.wss("/v1/console", (JSON_PROTO,), headers)
            self.assertEqual(hs.status, 101, (headers, hs.status, hs.headers))
            self.assertIn("snapshot", hs.ws.recv_json(5))
            hs.ws.close()

    def test_console_origin_must_be_https_under_tls(self):
        # A page served over plain http:// of the same host is another origin.
        hs = self.wss("/v1/console", (JSON_PROTO,),
                      dict(self.stack.auth_headers(), Origin="http://127.0.0.1:%d" % self.nginx.port))
        self.assertEqual(hs.status, 403, hs.headers)
        self.assertIsNone(hs.ws)
        # And straight to siagad over plain HTTP, an https:// origin is not its own.
        hs = ws_handshake(self.stack.http_port, "/v1/console", (JSON_PROTO,), 5,
                          extra_headers=dict(self.stack.auth_headers(),
                                             Origin="https://127.0.0.1:%d" % self.stack.http_port),
                          source=UNTRUSTED)
        self.assertEqual(hs.status, 403, hs.headers)

    def test_responder_over_wss(self):
        token = add_unit(self.stack, "AMB-TLS")
        hs = self.wss("/v1/responder", (RJSON,), {"Authorization": "Bearer " + token})
        self.assertEqual(hs.status, 101, hs.headers)
        self.assertEqual(hs.ws.recv_json(5)["hello"]["unit"]["id"], "AMB-TLS")
        hs.ws.close()

    def test_siaga_responder_over_wss(self):
        token = add_unit(self.stack, "AMB-TLS2")
        binary = os.path.join(os.environ["SIAGA_BUILD"], "siaga-responder")
        url = "wss://127.0.0.1:%d" % self.nginx.port
        # Not trusting the certificate, it does not connect: a crew's token is
        # not for whoever answers on that address.
        refused = subprocess.run([binary, "--url", url, "--token", token], input="ping\n",
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        self.assertNotIn("hello", refused.stdout)
        # With the authority (here the self-signed certificate itself): hello, then its ping answered.
        ok = subprocess.run([binary, "--url", url, "--token", token, "--ca", self.nginx.cert],
                            input="ping\n", capture_output=True, text=True, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertRegex(ok.stdout, r"(?m)^hello unit=AMB-TLS2")

    def test_follow_over_wss(self):
        resp = self.https("POST", "/v1/reports", json_report(2), {"Idempotency-Key": "tls-follow-2"})
        self.assertEqual(resp.status, 202, resp)
        acc = resp.json()
        hs = self.wss("/v1/follow?report=%s&token=%s" % (acc["reportId"], acc["trackingToken"]),
                      (FOLLOW_PROTO,), {})
        self.assertEqual(hs.status, 101, hs.headers)
        self.assertIn("status", hs.ws.recv_json(10))
        hs.ws.close()

    def test_nginx_refusals_are_json(self):
        resp = self.https("POST", "/v1/reports", b"x" * (65536 + 1),
                          {"Content-Type": "application/json"})
        self.assertEqual(resp.status, 413, resp)
        self.assertErrorBody(resp, "413 from nginx")
        self.assertEqual(resp.json()["code"], "too_large")

    def test_siagad_down_is_503_json(self):
        # nginx up, siagad gone: a 503 with Retry-After and a reason, as
        # siagad's own (not nginx's 502 page); then siagad is back.
        self.stack.siagad.stop()
        try:
            resp = self.https("POST", "/v1/reports", json_report(6))
            self.assertEqual(resp.status, 503, resp)
            self.assertErrorBody(resp, "503 from nginx")
            self.assertEqual(resp.json()["code"], "unavailable")
            self.assertEqual(resp.header("retry-after"), "2")
        finally:
            self.stack.start_siagad()
            harness.wait_until(self.stack._healthy, harness.START_TIMEOUT, "siagad back")
        resp = self.https("POST", "/v1/reports", json_report(7))
        self.assertEqual(resp.status, 202, resp)

    def test_access_log_keeps_no_secret(self):
        # Units' tokens, tracking tokens and webhook secrets travel in query
        # strings: the access log has the path only.
        token = add_unit(self.stack, "AMB-LOG")
        hs = self.wss("/v1/responder?token=" + token, (RJSON,), {})
        self.assertEqual(hs.status, 101, hs.headers)
        hs.ws.close()
        secret = "tracking-secret-123"
        self.assertEqual(self.https("GET", "/v1/reports/r-nope?token=" + secret).status, 404)

        def logged():
            with open(self.nginx.access_log_path) as f:
                text = f.read()
            return text if "/v1/reports/r-nope" in text and "/v1/responder" in text else None
        text = harness.wait_until(logged, 10, "both requests in nginx's access log")
        self.assertNotIn(token, text)
        self.assertNotIn(secret, text)
        self.assertNotIn("?", text)

    # -- whose X-Forwarded-For is believed
    def test_forwarded_for_believed_from_the_proxy_only(self):
        # Through nginx from 127.0.0.5, with a forged header: nginx appends the
        # address it saw, siagad takes the right-most, the forgery is not counted.
        proxy_before = self.counted("127.0.0.1")  # other tests are clients on 127.0.0.1
        resp = self.https("POST", "/v1/reports", json_report(3),
                          {"X-Forwarded-For": "198.51.100.7"}, source="127.0.0.5")
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.counted("127.0.0.5"), 1)
        self.assertEqual(self.counted("198.51.100.7"), 0)
        self.assertEqual(self.counted("127.0.0.1"), proxy_before, "the proxy is not the client")
        # Straight to siagad from an untrusted peer: the header is ignored.
        resp = self.direct("POST", "/v1/reports", json_report(4),
                           {"X-Forwarded-For": "198.51.100.8"}, source="127.0.0.6")
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.counted("127.0.0.6"), 1)
        self.assertEqual(self.counted("198.51.100.8"), 0)
        # Straight from the trusted address: believed.
        resp = self.direct("POST", "/v1/reports", json_report(5),
                           {"X-Forwarded-For": "198.51.100.9"}, source="127.0.0.1")
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.counted("198.51.100.9"), 1)
        # A proxy that adds its own line (HAProxy): the lines are one list, the
        # last line the nearest proxy's.
        body = json.dumps(json_report(8)).encode()
        resp = self.stack.raw(b"POST /v1/reports HTTP/1.1\r\nHost: siaga\r\n"
                              b"X-Forwarded-For: 198.51.100.20\r\n"
                              b"Content-Type: application/json\r\nConnection: close\r\n"
                              b"X-Forwarded-For: 198.51.100.21\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.counted("198.51.100.21"), 1)
        self.assertEqual(self.counted("198.51.100.20"), 0)

    def test_webhook_loopback_rule_sees_the_forwarded_client(self):
        # No --webhook-secret: only a loopback client may post an SMS. A
        # request the trusted proxy forwards from elsewhere is not loopback.
        sms = {"from": "+6281299900001", "to": "112", "text": "kebakaran di jalan kinibalu",
               "messageId": "tls-sms-1"}
        resp = self.direct("POST", "/v1/sms/inbound", sms, {"X-Forwarded-For": "198.51.100.10"},
                           source="127.0.0.1")
        self.assertEqual(resp.status, 403, resp)
        self.assertErrorBody(resp)
        # The same words from an untrusted local peer are ignored: it is loopback.
        resp = self.direct("POST", "/v1/sms/inbound", sms, {"X-Forwarded-For": "198.51.100.10"})
        self.assertEqual(resp.status, 202, resp)

    def test_forwarded_proto_believed_from_the_proxy_only(self):
        forged = {"X-Forwarded-Proto": "https"}
        resp = self.sign_in(lambda m, p, b: self.direct(m, p, b, forged))
        self.assertNotIn("Secure", [a.strip() for a in resp.header("set-cookie").split(";")])
        resp = self.sign_in(lambda m, p, b: self.direct(m, p, b, forged, source="127.0.0.1"))
        self.assertIn("Secure", [a.strip() for a in resp.header("set-cookie").split(";")])


if __name__ == "__main__":
    harness.main()
