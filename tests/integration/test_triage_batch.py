"""Batched triage: the worker matches what one XREADGROUP returned as a whole.

Reports are appended while the workers are stopped, then a worker starts and
reads them in one batch, so each report must find the incidents opened or
changed by the reports before it in the same batch (in memory, versions
chained), exactly as if they had been handled one by one: one incident per
place and category, every report in exactly one incident, and each
incident's versions 1..n in the updates stream. Two workers racing on bursts
at the same incidents lose nothing either."""
import collections
import random
import signal

import harness
from wire import decode_incident, decode_update
from harness import key, wait_until


REPORT_IDS_MAX = 20  # SG_TRIAGE_REPORT_IDS_MAX: ids an incident carries
FIRE = "Kebakaran rumah, api besar, tolong"
FLOOD = "Banjir setinggi dada, warga terjebak di atap"


def report_at(lat, lon, i, category="fire", text=FIRE):
    """A JSON (app) report: not linked to others by its number."""
    return {"category": category, "description": "%s (%d)" % (text, i),
            "location": {"lat": round(lat, 6), "lon": round(lon, 6)},
            "reporter": {"phone": "+62813%07d" % i}}


def jitter(i):
    """Up to about 40 m away from the place, different for each i."""
    return ((i % 7) - 3) * 0.0001, ((i % 5) - 2) * 0.0001


def command_calls(stack, name):
    """How many times Redis ran a command (INFO commandstats)."""
    info = stack.r("INFO", "commandstats").decode()
    for line in info.splitlines():
        if line.startswith("cmdstat_%s:" % name):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def incident(stack, iid):
    """The incident hash's protobuf, decoded, and its version field."""
    pb, version = stack.r("HMGET", key("incident:" + iid), "pb", "version")
    inc = decode_incident(pb)
    return inc, int(version)


class BatchCase(harness.StackTestCase):
    COMMANDS = ("evalsha", "eval", "incr", "incrby", "geosearch", "exec")

    def calls(self, since=None):
        """Calls of the commands that tell the batch path (INCRBY, one
        GEOSEARCH per report) from the one-report path (INCR, GEOSEARCH
        again), counted from `since`."""
        now = {c: command_calls(self.stack, c) for c in self.COMMANDS}
        return {c: now[c] - (since or {}).get(c, 0) for c in self.COMMANDS}

    def stop_workers(self):
        for w in self.stack.workers:
            w.stop()
        self.stack.workers = []

    def start_workers(self, n):
        for i in range(1, n + 1):
            self.stack.start_worker(i)

    def post_all(self, reports):
        rids = []
        for rep in reports:
            resp = self.stack.post_report(rep)
            self.assertEqual(resp.status, 202, resp)
            rids.append(resp.json()["reportId"])
        return rids

    def incidents_of(self, rids, timeout=60):
        """Waits until every report is triaged and nothing is pending;
        returns {report id: incident id}."""
        def settled():
            if self.stack.r("XPENDING", key("reports"), "triage")[0]:
                return None
            with self.stack.redis() as r:
                named = {x: r("HGET", key("report:" + x), "incident") for x in rids}
            if not all(named.values()):
                return None
            return {x: v.decode() for x, v in named.items()}
        return wait_until(settled, timeout, "%d reports triaged, nothing pending" % len(rids), 0.1)

    def check_consistent(self, named):
        """Every report in exactly one incident, the one its index names; each
        incident's audit trail names each of its reports once, its hash
        version and report count are that number, it carries the first and
        the latest report ids (at most REPORT_IDS_MAX), and the updates
        stream shows versions 1..n in order, one per report."""
        by_incident = collections.defaultdict(set)
        for rid, iid in named.items():
            by_incident[iid].add(rid)
        holders = collections.Counter()
        for iid, rids in by_incident.items():
            inc, version = incident(self.stack, iid)
            trail = [decode_update(f[b"u"])["report_id"]
                     for _, f in harness.stream_entries(self.stack, "audit:" + iid)]
            holders.update(trail)
            self.assertTrue(rids <= set(trail), "%s lacks %r" % (iid, rids - set(trail)))
            self.assertEqual(len(trail), len(set(trail)), iid)
            self.assertEqual(version, len(trail), (iid, inc))
            self.assertEqual(inc["report_count"], version, (iid, inc))
            self.assertEqual(inc["version"], version, (iid, inc))
            carried = trail if len(trail) <= REPORT_IDS_MAX else \
                trail[:1] + trail[len(trail) - REPORT_IDS_MAX + 1:]
            self.assertEqual(inc["report_ids"], carried, iid)
        for rid in named:
            self.assertEqual(holders[rid], 1, "report %s is in %d incidents" % (rid, holders[rid]))

        per_incident = collections.defaultdict(list)
        per_report = collections.Counter()
        for _, u in harness.updates(self.stack):
            if u["report_id"] in named:
                per_report[u["report_id"]] += 1
                per_incident[u["incident"]["id"]].append(u)
        self.assertEqual({x for x, n in per_report.items() if n != 1}, set(), "updates per report")
        self.assertEqual(set(per_report), set(named), "reports without an update")
        for iid, ups in per_incident.items():
            versions = [u["incident"]["version"] for u in ups]
            first = versions[0]
            self.assertEqual(versions, list(range(first, first + len(versions))), iid)
            for prev, cur in zip(ups, ups[1:]):
                self.assertEqual(cur["incident"]["report_count"],
                                 prev["incident"]["report_count"] + 1, iid)
                self.assertLessEqual(len(cur["incident"]["report_ids"]), REPORT_IDS_MAX, iid)
        return by_incident


class BatchTriage(BatchCase):
    STACK = {"workers": 1}

    def test_1_burst_at_one_place_is_one_incident(self):
        self.stop_workers()
        n = 30  # below SG_TRIAGE_BATCH: one XREADGROUP takes them all
        lat, lon = -2.80, 112.20
        rids = self.post_all(report_at(lat + jitter(i)[0], lon + jitter(i)[1], i)
                             for i in range(n))
        seq0 = int(self.stack.r("GET", key("seq:incident")) or 0)
        calls0 = self.calls()
        self.start_workers(1)
        named = self.incidents_of(rids)
        calls = self.calls(calls0)

        self.assertEqual(len(set(named.values())), 1, collections.Counter(named.values()))
        by_incident = self.check_consistent(named)
        iid = next(iter(by_incident))
        inc, version = incident(self.stack, iid)
        self.assertEqual(inc["report_ids"], rids[:1] + rids[n - REPORT_IDS_MAX + 1:])
        self.assertEqual(inc["report_count"], n)
        self.assertEqual(version, n)
        # The chain applied in one go: one call per report, none refused
        # and retried, one INCRBY for the numbers the batch might need (at
        # most one per report), and nothing done by the one-report path
        # (INCR, a GEOSEARCH again). The n + 1st GEOSEARCH is the opening's
        # check inside transition.lua.
        self.assertEqual(calls["evalsha"], n, calls)
        self.assertEqual(int(self.stack.r("GET", key("seq:incident"))), seq0 + n)
        self.assertEqual((calls["incrby"], calls["incr"]), (1, 0), calls)
        self.assertEqual(calls["geosearch"], n + 1, calls)

    def test_2_mixed_batch_one_incident_per_place_and_category(self):
        self.stop_workers()
        places = {"north": (-2.60, 112.40), "south": (-2.65, 112.40)}  # ~5.5 km apart
        kinds = {"fire": FIRE, "flood": FLOOD}
        reports, groups = [], []
        for i in range(24):  # interleaved: place, category, place, ...
            place = ("north", "south")[i % 2]
            category = ("fire", "flood")[(i // 2) % 2]
            lat, lon = places[place]
            dlat, dlon = jitter(i)
            reports.append(report_at(lat + dlat, lon + dlon, 100 + i, category, kinds[category]))
            groups.append((place, category))
        rids = self.post_all(reports)
        open0 = self.stack.r("ZCARD", key("open"))
        seq0 = int(self.stack.r("GET", key("seq:incident")) or 0)
        calls0 = self.calls()
        self.start_workers(1)
        named = self.incidents_of(rids)
        calls = self.calls(calls0)

        self.check_consistent(named)
        self.assertEqual(calls["evalsha"], len(rids), calls)
        # A new worker's pool is empty: one INCRBY for all the batch might open.
        self.assertEqual((calls["incrby"], calls["incr"]), (1, 0), calls)
        self.assertEqual(int(self.stack.r("GET", key("seq:incident"))), seq0 + len(rids))
        expected = collections.defaultdict(set)
        for rid, g in zip(rids, groups):
            expected[g].add(named[rid])
        self.assertEqual(len(expected), 4)
        for g, iids in expected.items():
            self.assertEqual(len(iids), 1, "%r split into %r" % (g, iids))
        self.assertEqual(len(set(named.values())), 4, collections.Counter(named.values()))
        for (place, category), iids in expected.items():
            inc, _ = incident(self.stack, next(iter(iids)))
            self.assertEqual(len(inc["report_ids"]), 6, (place, category, inc))
        self.assertEqual(self.stack.r("ZCARD", key("open")), open0 + 4)
        # The pool's lowest numbers, in the order opened.
        numbers = [int(named[rid].rsplit("-", 1)[1]) for rid in rids]
        firsts = sorted(set(numbers), key=numbers.index)
        self.assertEqual(firsts, sorted(firsts), firsts)

    def test_3_same_caller_in_one_batch(self):
        """A number's text and its AML message in one batch join one incident
        through the phone map as the batch leaves it; another number's AML at
        the same point opens its own; only the text is acknowledged by SMS."""
        from test_aml_prank import aml_v1, TEXT
        self.stop_workers()
        caller, other = "+6288100000001", "+6288100000002"

        sms = self.post_sms
        rids = [sms(caller, TEXT), sms(caller, aml_v1(-2.41, 113.71, 25)),
                sms(other, aml_v1(-2.41, 113.71, 25))]
        self.start_workers(1)
        named = self.incidents_of(rids)
        self.check_consistent(named)
        self.assertEqual(named[rids[0]], named[rids[1]])
        self.assertNotEqual(named[rids[0]], named[rids[2]])
        inc, version = incident(self.stack, named[rids[0]])
        self.assertEqual(version, 2)
        self.assertEqual(self.stack.r("GET", key("phone:" + caller)).decode(), named[rids[0]])
        self.assertEqual(self.stack.r("GET", key("phone:" + other)).decode(), named[rids[2]])
        pos = self.stack.r("GEOPOS", key("geo"), named[rids[0]])[0]
        self.assertAlmostEqual(float(pos[1]), -2.41, places=4)  # the AML fix moved it
        outs = [f for _, f in harness.stream_entries(self.stack, "sms:out")
                if f[b"to"].decode() in (caller, other)]
        self.assertEqual([(f[b"to"].decode(), f[b"incident"].decode()) for f in outs],
                         [(caller, named[rids[0]])])

    def test_4_scripts_flushed_under_a_batch(self):
        """Redis lost its scripts (restart, SCRIPT FLUSH) while a worker runs:
        the batch's calls answer NOSCRIPT, and the reports still end in one
        incident, by the one-report path which sends the script again."""
        self.stop_workers()
        self.start_workers(1)
        w = self.stack.workers[0]
        wait_until(lambda: self.stack.r("CLIENT", "LIST").count(b"cmd=xreadgroup") > 0, 10,
                   "worker blocked in XREADGROUP")
        w.p.send_signal(signal.SIGSTOP)
        try:
            self.assertEqual(self.stack.r("SCRIPT", "FLUSH"), "OK")
            lat, lon = -2.90, 112.60
            rids = self.post_all(report_at(lat + jitter(i)[0], lon + jitter(i)[1], 200 + i)
                                 for i in range(12))
        finally:
            w.p.send_signal(signal.SIGCONT)
        named = self.incidents_of(rids)
        self.assertEqual(len(set(named.values())), 1, collections.Counter(named.values()))
        self.check_consistent(named)


class OpeningOnSight(BatchCase):
    """A report at a place where nothing is open opens its incident with one
    transition.lua call and nothing else: the script's own check is the only
    GEOSEARCH. A report that meets an incident there, or whose number
    reported before, is refused by that check and joins by the batch path;
    one near a place the worker saw lately goes the batch path at once."""
    STACK = {"workers": 1}

    def triage_one(self, post):
        """Posts one report (post() returns its id), waits until it is
        triaged; returns its incident and the commands it took."""
        calls0 = self.calls()
        rid = post()
        iid = self.incidents_of([rid])[rid]
        return iid, self.calls(calls0)

    def app_report(self, lat, lon, i):
        def post():
            resp = self.stack.post_report(report_at(lat, lon, i))
            self.assertEqual(resp.status, 202, resp)
            return resp.json()["reportId"]
        return post

    def restart_worker(self):
        """A new worker: nothing remembered, an empty pool, which its first
        batch (far from everything) fills."""
        self.stop_workers()
        self.start_workers(1)
        self.triage_one(self.app_report(-1.20, 114.90, 799))

    def test_new_places_one_call_each(self):
        self.restart_worker()
        iids = set()
        for k in range(5):  # ~5.5 km apart
            iid, calls = self.triage_one(self.app_report(-1.40 - 0.05 * k, 114.60, 800 + k))
            self.assertEqual((calls["evalsha"], calls["geosearch"]), (1, 1), calls)
            self.assertEqual(calls["eval"], 0, calls)
            iids.add(iid)
        self.assertEqual(len(iids), 5)

    def test_refused_on_sight_then_joins(self):
        lat, lon = -1.70, 114.60
        first, _ = self.triage_one(self.app_report(lat, lon, 820))
        self.restart_worker()  # forgets that place
        # Tried on sight: the script finds the incident there and refuses;
        # the batch path searches again and joins it with a second call.
        iid, calls = self.triage_one(self.app_report(lat + 0.0004, lon, 821))
        self.assertEqual(iid, first)
        self.assertEqual((calls["evalsha"], calls["geosearch"]), (2, 2), calls)
        # Now remembered: the batch path at once, one search, one call.
        iid, calls = self.triage_one(self.app_report(lat - 0.0004, lon, 822))
        self.assertEqual(iid, first)
        self.assertEqual((calls["evalsha"], calls["geosearch"]), (1, 1), calls)
        inc, version = incident(self.stack, first)
        self.assertEqual((version, inc["report_count"]), (3, 3))

    def test_same_number_elsewhere_joins_its_incident(self):
        from test_aml_prank import aml_v1
        caller = "+6288100000077"
        first, _ = self.triage_one(lambda: self.post_sms(caller, aml_v1(-1.90, 114.60, 25)))
        # 5.5 km away, a new place: tried on sight, refused because the
        # number's phone map names an incident (before the script searches),
        # then joined by the caller on the batch path, whose search is the
        # only GEOSEARCH. The third call is siagad's ingest.lua for the SMS.
        iid, calls = self.triage_one(lambda: self.post_sms(caller, aml_v1(-1.95, 114.60, 25)))
        self.assertEqual(iid, first)
        self.assertEqual((calls["evalsha"], calls["geosearch"]), (3, 1), calls)
        self.assertEqual(self.stack.r("GET", key("phone:" + caller)).decode(), first)


class RacingWorkers(BatchCase):
    """Two workers take bursts that all join the same two incidents at the
    same moments: their batches chain versions on the same incidents, so one
    worker's EXEC is refused whenever the other wrote first, and it reads
    and decides again. Chains of unequal length are what would let a call
    match a version by accident, so the places are drawn unevenly. Each
    place keeps exactly its one incident, and nothing is lost or applied
    twice."""
    STACK = {"workers": 2}
    ROUNDS = 3
    PER_ROUND = 80

    def burst_while_frozen(self, reports):
        """Both workers frozen while blocked in XREADGROUP: each read is
        answered with one entry, the rest waits, and once thawed together
        the two read and write their batches at the same moments."""
        wait_until(lambda: self.stack.r("CLIENT", "LIST").count(b"cmd=xreadgroup") == 2, 10,
                   "both workers blocked in XREADGROUP")
        for w in self.stack.workers:
            w.p.send_signal(signal.SIGSTOP)
        try:
            return self.post_all(reports)
        finally:
            for w in self.stack.workers:
                w.p.send_signal(signal.SIGCONT)

    def test_race_on_the_same_incidents(self):
        places = [(-2.30, 113.10), (-2.35, 113.10)]  # ~5.5 km apart
        seeds = self.post_all(report_at(lat, lon, 300 + k) for k, (lat, lon) in enumerate(places))
        seeded = self.incidents_of(seeds)
        self.assertEqual(len(set(seeded.values())), 2)
        open0 = self.stack.r("ZCARD", key("open"))
        calls0 = command_calls(self.stack, "evalsha") + command_calls(self.stack, "eval")

        rng = random.Random(7)
        rids, where = [], []
        for rnd in range(self.ROUNDS):
            reports = []
            for i in range(self.PER_ROUND):
                k = 0 if rng.random() < 0.7 else 1
                lat, lon = places[k]
                dlat, dlon = jitter(i)
                reports.append(report_at(lat + dlat, lon + dlon, 400 + rnd * 1000 + i))
                where.append(seeds[k])
            rids += self.burst_while_frozen(reports)
            named = self.incidents_of(rids + seeds, timeout=120)

        for rid, seed in zip(rids, where):
            self.assertEqual(named[rid], seeded[seed], rid)
        self.assertEqual(self.stack.r("ZCARD", key("open")), open0, "a new incident was opened")
        self.check_consistent(named)
        for seed in seeds:
            _, version = incident(self.stack, seeded[seed])
            self.assertEqual(version, 1 + where.count(seed))
        calls = command_calls(self.stack, "evalsha") + command_calls(self.stack, "eval")
        print("\n%d reports, %d transition calls (the refused ones retried), %d EXEC"
              % (len(rids), calls - calls0, command_calls(self.stack, "exec")))

    def test_race_to_open_one_new_place(self):
        """Both workers read the first reports of a new fire at the same
        moment, each sees no incident there and decides to open one: the
        opening check in transition.lua lets one open it and sends the other
        worker's reports into it. Before the check, a frozen burst like this
        opened two incidents at one place in 5 rounds of 5."""
        for rnd in range(5):
            lat, lon = -2.10 - 0.05 * rnd, 113.50  # ~5.5 km between rounds
            open0 = self.stack.r("ZCARD", key("open"))
            reports = [report_at(lat + jitter(i)[0], lon + jitter(i)[1], 900 + rnd * 100 + i)
                       for i in range(12)]
            rids = self.burst_while_frozen(reports)
            named = self.incidents_of(rids)
            self.assertEqual(len(set(named.values())), 1,
                             "round %d: %r" % (rnd, collections.Counter(named.values())))
            self.assertEqual(self.stack.r("ZCARD", key("open")), open0 + 1, "round %d" % rnd)
            self.check_consistent(named)


if __name__ == "__main__":
    harness.main()
