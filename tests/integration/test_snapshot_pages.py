"""A snapshot without a cap: with more open incidents than one page, a
console gets every one exactly once by the pages, the pages in order, and an
incident changed while the pages are being sent ends up in its latest
version; GET /v1/incidents pages with ?limit= and ?cursor=."""
import time

import harness
from harness import key, JSON_PROTO
from clients import ws_handshake
from wire import f_bytes, f_varint

PAGE = 7
INCIDENTS = 50
SUMMARY = "y" * 60000  # big incidents (3 MB in all), so the kernel's buffers hold few pages

# The writes of transition.lua that the pages depend on, for a test without
# a worker: the incident hash (pb and the id of its last update), the open
# set, the updates stream.
PUT = """
local u = redis.call('XADD', KEYS[2], '*', 'u', ARGV[4])
redis.call('HSET', KEYS[1], 'pb', ARGV[3], 'version', ARGV[5], 'update', u)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return u
"""


def incident_id(i):
    return "PLK-PAGE%03d" % i


def incident_bytes(i, version, summary=SUMMARY):
    return (f_bytes(1, incident_id(i)) + f_varint(2, 1) + f_varint(3, 3) + f_varint(4, 10) +
            f_bytes(6, "other") + f_bytes(8, summary) + f_varint(12, version))


def put(stack, i, version, score, summary=SUMMARY):
    inc = incident_bytes(i, version, summary)
    update = f_varint(2, 1 if version == 1 else 2) + f_bytes(3, inc) + f_bytes(4, "worker")
    return stack.r("EVAL", PUT, 3, key("incident:" + incident_id(i)), key("updates"), key("open"),
                   incident_id(i), str(score), inc, update, str(version))


class SnapshotPages(harness.StackTestCase):
    STACK = {"workers": 0, "siagad_args": ("--snapshot-page", str(PAGE))}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Most urgent first: incident 0 has the highest score.
        for i in range(INCIDENTS):
            put(cls.stack, i, 1, (INCIDENTS - i) * 10 ** 13 + 1700000000000)

    def test_1_console_gets_every_incident_once_in_its_latest_version(self):
        # A console on a tiny receive window that does not read yet: the hub
        # writes a page only when the last one is taken, so it waits.
        hs = ws_handshake(self.stack.http_port, "/v1/console", (JSON_PROTO,), 5, rcvbuf=4096,
                          extra_headers=self.stack.auth_headers())
        self.assertIsNotNone(hs.ws, hs.status)
        ws = hs.ws
        time.sleep(0.5)
        # Changed while the pages are sent: the least urgent incident (the
        # last page, not read yet) becomes the most urgent (the first page,
        # sent already). Without care it would be in no page, or in two.
        moved = INCIDENTS - 1
        put(self.stack, moved, 2, 99 * 10 ** 13, "moved to the top")

        pages, first_position = [], None
        while True:
            msg = ws.recv_json(10)
            self.assertEqual(list(msg), ["snapshot"], msg)
            snap = msg["snapshot"]
            if first_position is None:
                first_position = snap["lastUpdateId"]
            self.assertEqual(snap["lastUpdateId"], first_position, "one position for every page")
            pages.append([inc["id"] for inc in snap.get("incidents", [])])
            if not snap.get("more"):
                break
        paged = [i for p in pages for i in p]
        self.assertEqual(len(paged), len(set(paged)), "an incident in two pages: %r" % pages)
        self.assertGreater(len(pages), INCIDENTS // PAGE - 1, pages)
        for p in pages:
            self.assertLessEqual(len(p), PAGE)
        # Unchanged incidents come in order, most urgent first.
        expect = [incident_id(i) for i in range(INCIDENTS) if i != moved]
        self.assertEqual([i for i in paged if i != incident_id(moved)], expect)
        self.assertNotIn(incident_id(moved), paged,
                         "changed after the first page: it comes as an update, not a page")

        # Then the updates after the snapshot's position, the change among them.
        latest = {i: 1 for i in paged}
        while True:
            msg = ws.recv_json(10)
            self.assertIn("update", msg, msg)
            inc = msg["update"]["incident"]
            latest[inc["id"]] = max(latest.get(inc["id"], 0), int(inc["version"]))
            if inc["id"] == incident_id(moved) and int(inc["version"]) == 2:
                break
        self.assertEqual(sorted(latest), sorted(incident_id(i) for i in range(INCIDENTS)))
        self.assertEqual(latest[incident_id(moved)], 2)
        ws.close()

    def test_2_a_console_that_reads_gets_every_page(self):
        ws = self.stack.ws()
        got = []
        while True:
            snap = ws.recv_json(10)["snapshot"]
            got += [inc["id"] for inc in snap.get("incidents", [])]
            if not snap.get("more"):
                break
        self.assertEqual(len(got), INCIDENTS)
        self.assertEqual(set(got), {incident_id(i) for i in range(INCIDENTS)})
        self.assertEqual(got[0], incident_id(INCIDENTS - 1), "the moved one is the most urgent")
        ws.close()

    def test_3_http_pages_with_limit_and_cursor(self):
        got, cursor, calls = [], "", 0
        while True:
            path = "/v1/incidents?limit=%d" % PAGE + ("&cursor=" + cursor if cursor else "")
            resp = self.stack.http("GET", path)
            self.assertEqual(resp.status, 200, resp)
            body = resp.json()
            page = [inc["id"] for inc in body.get("incidents", [])]
            self.assertLessEqual(len(page), PAGE)
            self.assertTrue(body.get("lastUpdateId"))
            got += page
            calls += 1
            cursor = body.get("nextCursor", "")
            if not cursor:
                break
            self.assertLess(calls, 20, "the cursor does not advance")
        self.assertEqual(calls, -(-INCIDENTS // PAGE))
        self.assertEqual(len(got), INCIDENTS)
        self.assertEqual(len(set(got)), INCIDENTS)
        # Without a limit: all 50 at once (under the default), no next cursor.
        body = self.stack.http("GET", "/v1/incidents").json()
        self.assertEqual(len(body["incidents"]), INCIDENTS)
        self.assertNotIn("nextCursor", body)
        self.assertEqual(self.stack.http("GET", "/v1/incidents/" + incident_id(3)).json()["id"],
                         incident_id(3))

    def test_4_http_refuses_bad_limits_and_cursors(self):
        for q, code in (("limit=0", "bad_limit"), ("limit=5001", "bad_limit"),
                        ("limit=x", "bad_limit"), ("limit=-1", "bad_limit"),
                        ("cursor=nope", "bad_cursor"), ("cursor=12:bad%20id", "bad_cursor"),
                        ("cursor=%zz", "bad_query")):
            resp = self.stack.http("GET", "/v1/incidents?" + q)
            self.assertEqual(resp.status, 400, (q, resp))
            self.assertEqual(resp.json()["code"], code, q)
        self.assertEqual(self.stack.http("GET", "/v1/incidents?limit=5000").status, 200)

    def test_5_equal_scores_are_paged_once_each(self):
        # Same score, same creation millisecond: the cursor's id breaks the tie.
        ties = range(INCIDENTS, INCIDENTS + 5)
        for i in ties:
            put(self.stack, i, 1, 5 * 10 ** 12, "tie")
        got, cursor = [], ""
        for _ in range(100):
            path = "/v1/incidents?limit=2" + ("&cursor=" + cursor if cursor else "")
            body = self.stack.http("GET", path).json()
            got += [inc["id"] for inc in body.get("incidents", [])]
            cursor = body.get("nextCursor", "")
            if not cursor:
                break
        self.assertEqual(len(got), INCIDENTS + 5)
        self.assertEqual(set(got), {incident_id(i) for i in range(INCIDENTS + 5)})
        self.assertEqual(got[-5:], sorted((incident_id(i) for i in ties), reverse=True))


if __name__ == "__main__":
    harness.main()
