"""GET /metrics on a running stack: the counts move by exactly what was
done (reports, bad requests, a console), the text passes `promtool check
metrics`, and only --metrics-allow addresses are answered."""
import re
import socket
import subprocess

import harness
import test_responder as responder
from clients import json_messages_until
from harness import key, json_report, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{(name, labels text): float} of every sample line; fails on a line
    that is neither a comment nor a sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise AssertionError("not a sample line: %r" % line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def get_from(port, source, path="/metrics", method="GET"):
    """One request from a socket bound to source (another loopback address)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    try:
        s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" %
                   (method, path)).encode())
        buf = b""
        for _ in range(1000):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class Metrics(harness.StackTestCase):
    STACK = {"workers": 1, "siagad_args": ("--metrics-allow", "127.0.0.1")}

    def scrape(self):
        resp = self.stack.http("GET", "/metrics", auth=False)
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.header("content-type").startswith("text/plain; version=0.0.4"),
                        resp.header("content-type"))
        return resp.body.decode()

    def test_counts_move_by_what_was_done(self):
        before_text = self.scrape()
        before = parse(before_text)

        def delta(after, name, labels=""):
            return after.get((name, labels), 0) - before.get((name, labels), 0)

        n_reports, n_bad = 3, 2
        for i in range(n_reports):
            resp = self.stack.post_report(json_report(900 + i))
            self.assertEqual(resp.status, 202, resp)
        for _ in range(n_bad):
            resp = self.stack.http("POST", "/v1/reports", "{not json",
                                   {"Content-Type": "application/json"})
            self.assertEqual(resp.status, 400, resp)
        self.assertEqual(self.stack.http("GET", "/no/such/path").status, 404)
        malformed = self.stack.raw(b"NOT-HTTP\r\n\r\n")
        self.assertIsNotNone(malformed)
        self.assertEqual(malformed.status, 400, malformed)
        console = self.stack.ws()
        self.assertIn("snapshot", console.recv_json(5))
        try:
            # Every update the worker wrote reaches this siagad's follower:
            # the stream has them all (none before siagad started).
            def fanned_out():
                after = parse(self.scrape())
                n = self.stack.r("XLEN", key("updates"))
                if n >= n_reports and after[("siaga_updates_total", "")] == n:
                    return after
                return None
            wait_until(fanned_out, 20, "updates fanned out", interval=0.2)
            text = self.scrape()
            after = parse(text)
        finally:
            console.close()

        r = lambda route, code: '{route="%s",code="%d"}' % (route, code)  # noqa: E731
        self.assertEqual(delta(after, "siaga_http_requests_total", r("reports", 202)), n_reports)
        self.assertEqual(delta(after, "siaga_http_requests_total", r("reports", 400)), n_bad)
        self.assertEqual(delta(after, "siaga_http_requests_total", r("other", 404)), 1)
        self.assertEqual(delta(after, "siaga_http_requests_total", r("malformed", 400)), 1)
        self.assertGreaterEqual(delta(after, "siaga_http_requests_total", r("metrics", 200)), 2)
        self.assertEqual(delta(after, "siaga_ingest_latency_seconds_count"), n_reports)
        self.assertEqual(delta(after, "siaga_ingest_latency_seconds_bucket", '{le="+Inf"}'),
                         n_reports)
        self.assertGreater(delta(after, "siaga_ingest_latency_seconds_sum"), 0)
        self.assertEqual(after[("siaga_consoles_connected", "")], 1)
        self.assertEqual(after[("siaga_responders_connected", "")], 0)
        self.assertEqual(after[("siaga_follow_sockets", "")], 0)
        self.assertEqual(after[("siaga_console_lag_drops_total", "")], 0)
        self.assertEqual(after[("siaga_responder_lag_drops_total", "")], 0)
        self.assertEqual(after[("siaga_redis_connected", '{conn="commands"}')], 1)
        self.assertEqual(after[("siaga_redis_connects_total", '{conn="commands"}')], 1)
        self.assertEqual(after[("siaga_redis_connected", '{conn="follow"}')], 1)
        self.assertEqual(after[("siaga_redis_connects_total", '{conn="follow"}')], 1)
        self.assertEqual(after[("siaga_updates_lost_total", "")], 0)
        self.assertGreater(after[("process_start_time_seconds", "")], 1.7e9)
        # Without --kannel-sendsms this process sends no SMS: no such series.
        self.assertNotIn("siaga_sms_out_sent_total", text)

        # The console is counted out once closed.
        wait_until(lambda: parse(self.scrape())[("siaga_consoles_connected", "")] == 0, 10,
                   "console counted out", interval=0.1)

        for t in (before_text, text):
            p = subprocess.run(["promtool", "check", "metrics"], input=t, capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_only_allowed_addresses(self):
        # 127.0.0.2 is loopback too, but not in --metrics-allow.
        status, body = get_from(self.stack.http_port, "127.0.0.2")
        self.assertEqual(status, 403, body)
        self.assertIn(b'"code":"forbidden"', body)
        status, body = get_from(self.stack.http_port, "127.0.0.1")
        self.assertEqual(status, 200, body)
        self.assertIn(b"siaga_http_requests_total", body)
        # Another method, or a path under it, is not the route.
        self.assertEqual(get_from(self.stack.http_port, "127.0.0.1", method="POST")[0], 405)
        self.assertEqual(get_from(self.stack.http_port, "127.0.0.1", "/metrics/x")[0], 404)
        counts = parse(self.scrape())
        self.assertGreaterEqual(
            counts[("siaga_http_requests_total", '{route="metrics",code="403"}')], 1)


class Options(harness.StackTestCase):
    """A bad --metrics-allow stops siagad and the worker at start, saying why."""
    STACK = {"workers": 0}

    def test_bad_allow_list(self):
        for binary in (self.stack.siagad_bin, self.stack.worker_bin):
            for bad in ("localhost", "10.0.0.0/8", "127.0.0.1,", ",".join(["10.0.0.%d" % i
                                                                         for i in range(17)])):
                p = subprocess.run([binary, "--redis", "127.0.0.1:%d" % self.stack.redis_port,
                                    "--metrics-allow", bad], capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(p.returncode, 2, (binary, bad, p.stderr))
                self.assertIn("--metrics-allow wants numeric addresses", p.stderr)


class AssignmentMetrics(harness.StackTestCase):
    """Responders connected, and the time from offer to answer by answer."""
    STACK = {"workers": 1}

    def scrape(self):
        resp = self.stack.http("GET", "/metrics", auth=False)
        self.assertEqual(resp.status, 200, resp)
        return parse(resp.body.decode())

    def test_answers(self):
        console = self.stack.ws()
        json_messages_until(console, lambda m: "snapshot" in m and not m["snapshot"].get("more"),
                            10, "snapshot")
        resp = self.stack.post_report(json_report(
            800, category="medical", description="Orang pingsan di pasar, tidak sadar"))
        self.assertEqual(resp.status, 202, resp)
        rid = resp.json()["reportId"]
        inc = json_messages_until(
            console, lambda m: rid in m.get("update", {}).get("incident", {}).get("reportIds", []),
            20, "incident")[-1]["update"]["incident"]
        units = {}
        for uid in ("AMB-81", "AMB-82"):
            units[uid] = responder.connect(self, responder.add_unit(self.stack, uid))
            self.assertIn("hello", units[uid].recv_json(5))
        self.assertEqual(self.scrape()[("siaga_responders_connected", "")], 2)
        for uid, answer in (("AMB-81", "decline"), ("AMB-82", "accept")):
            responder.command(console, "as-" + uid, assign={"incidentId": inc["id"],
                                                             "unitId": uid})
            rep, _ = responder.reply_for(console, "as-" + uid)
            self.assertTrue(rep.get("ok"), rep)
            a = rep["assignment"]
            args = {"assignmentId": a["id"]}
            if answer == "decline":
                args["reason"] = "Ban bocor"
            responder.command(units[uid], "ans", **{answer: args})
            rep, _ = responder.reply_for(units[uid], "ans")
            self.assertTrue(rep.get("ok"), rep)
        counts = self.scrape()
        for answer in ("accepted", "declined"):
            self.assertEqual(counts[("siaga_assignment_answer_seconds_count",
                                     '{answer="%s"}' % answer)], 1, answer)
            self.assertEqual(counts[("siaga_assignment_answer_seconds_bucket",
                                     '{answer="%s",le="+Inf"}' % answer)], 1, answer)
        for ws in list(units.values()) + [console]:
            ws.close()


class WorkerMetrics(harness.StackTestCase):
    """siaga-worker --metrics-listen: the one worker of the stack counts every
    report it triaged, by category, and the reads that carried them."""
    STACK = {"workers": 0}

    def test_worker_counts(self):
        port = harness.free_port()
        w = self.stack._spawn("worker-metrics", [
            self.stack.worker_bin, "--redis", "127.0.0.1:%d" % self.stack.redis_port,
            "--consumer", "wm", "--metrics-listen", "127.0.0.1:%d" % port,
            "--metrics-allow", "127.0.0.1"])

        def scrape():
            if not w.alive():
                raise AssertionError("worker exited:\n" + w.tail())
            try:
                status, body = get_from(port, "127.0.0.1")
            except OSError:
                return None
            self.assertEqual(status, 200, body)
            return body.decode()
        before = parse(wait_until(scrape, 20, "worker /metrics"))
        self.assertEqual(before[("siaga_worker_redis_connected", "")], 1)
        self.assertEqual(before[("siaga_worker_redis_connects_total", "")], 1)

        fires, floods = 2, 1
        for i in range(fires):
            self.assertEqual(self.stack.post_report(json_report(700 + i)).status, 202)
        for i in range(floods):
            report = json_report(720 + i, category="flood",
                                 description="Banjir setinggi lutut di jalan")
            self.assertEqual(self.stack.post_report(report).status, 202)

        def by_category(counts, category):
            return sum(v for (name, labels), v in counts.items()
                       if name == "siaga_triage_reports_total" and
                       ('category="%s"' % category) in labels)

        def all_triaged():
            text = scrape()
            counts = parse(text) if text else {}
            return (text, counts) if by_category(counts, "fire") + by_category(
                counts, "flood") == fires + floods else None
        text, after = wait_until(all_triaged, 20, "reports triaged", interval=0.2)
        self.assertEqual(by_category(after, "fire"), fires)
        self.assertEqual(by_category(after, "flood"), floods)
        self.assertEqual(after[("siaga_worker_hop_seconds_count", "")], fires + floods)
        self.assertEqual(after[("siaga_worker_batch_size_sum", "")], fires + floods)
        self.assertGreaterEqual(after[("siaga_worker_batch_size_count", "")], 1)
        self.assertEqual(after[("siaga_worker_dead_total", "")], 0)
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(get_from(port, "127.0.0.2")[0], 403)


if __name__ == "__main__":
    harness.main()
