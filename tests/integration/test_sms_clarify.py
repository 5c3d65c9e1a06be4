"""The clarification loop by SMS (issue 13), through a real Kannel.

A plea with nothing else ("tolong") opens an incident held at P2, and its
acknowledgement asks one question: what happened and where. The citizen's
reply joins the same incident by the phone map and re-triages it: a house
fire with a street. A fire with no place is asked only where. An SMS that
already says what and where gets the normal acknowledgement, never a
question."""
import harness
import kannel
from harness import key, wait_until

QUESTION = "Apa yang terjadi dan di mana? Balas pesan ini."
WHERE = "Di mana lokasinya (jalan, kelurahan atau patokan)? Balas pesan ini."
ACK = "SIAGA 112: Laporan Anda diterima, nomor "
TIMEOUT = 60.0


class Clarify(kannel.KannelStackCase):
    def incident_of_phone(self, phone, reports):
        """The incident the phone map names, once it holds `reports` reports."""
        def ready():
            iid = self.stack.r("GET", key("phone:" + phone))
            if not iid:
                return None
            inc = self.stack.http("GET", "/v1/incidents/" + iid.decode()).json()
            return inc if len(inc.get("reportIds", [])) >= reports else None
        return wait_until(ready, TIMEOUT, "%s's incident with %d reports" % (phone, reports),
                          interval=0.2)

    def wait_texts(self, phone, n):
        wait_until(lambda: len(self.mts(phone)) >= n, TIMEOUT,
                   "%d SMS to %s; all: %r" % (n, phone, self.k.mt_messages()), interval=0.1)
        return [m.text for m in self.mts(phone)]

    def test_plea_is_asked_and_the_reply_clarifies(self):
        citizen = "+6281300001301"
        self.k.send_text(citizen, "112", "tolong")
        inc = self.incident_of_phone(citizen, 1)
        self.assertEqual(inc["category"], "unknown", inc)
        self.assertEqual(inc["priority"], "P2", inc)  # held until clarified
        self.assertIn("category.unclear", [r["rule"] for r in inc["reasons"]], inc)
        self.assertFalse(inc.get("location", {}).get("address"), inc)
        texts = self.wait_texts(citizen, 1)
        self.assertIn(QUESTION, texts[0])
        self.assertIn(inc["id"], texts[0])
        self.assertFalse(texts[0].startswith(ACK), texts)

        self.k.send_text(citizen, "112", "rumah terbakar di jalan rajawali no 13")
        after = self.incident_of_phone(citizen, 2)
        self.assertEqual(after["id"], inc["id"])  # the same incident
        self.assertEqual(after["category"], "fire", after)
        self.assertIn("rajawali", after["location"]["address"].lower(), after)
        self.assertIn(after["priority"], ("P1", "P2"), after)
        rules = [r["rule"] for r in after["reasons"]]
        self.assertIn("category.fire", rules)
        self.assertNotIn("category.unknown", rules)
        self.assertNotIn("category.unclear", rules)  # clarified: the reply decides
        self.assertEqual(after["score"], sum(r.get("points", 0) for r in after["reasons"]), after)
        texts = self.wait_texts(citizen, 2)
        self.assertTrue(texts[1].startswith(ACK + inc["id"]), texts)
        self.assertNotIn(QUESTION, texts[1])

    def test_a_fire_with_no_place_is_asked_where(self):
        citizen = "+6281300001303"
        self.k.send_text(citizen, "112", "kebakaran rumah, tolong cepat")
        inc = self.incident_of_phone(citizen, 1)
        self.assertEqual(inc["category"], "fire", inc)
        texts = self.wait_texts(citizen, 1)
        self.assertIn(WHERE, texts[0])
        self.assertIn(inc["id"], texts[0])
        self.assertNotIn(QUESTION, texts[0])

        self.k.send_text(citizen, "112", "di jalan temanggung tilung no 8")
        after = self.incident_of_phone(citizen, 2)
        self.assertEqual((after["id"], after["category"]), (inc["id"], "fire"), after)
        self.assertIn("temanggung tilung", after["location"]["address"].lower(), after)
        texts = self.wait_texts(citizen, 2)
        self.assertTrue(texts[1].startswith(ACK + inc["id"]), texts)

    def test_a_clear_report_gets_the_normal_acknowledgement(self):
        citizen = "+6281300001302"
        self.k.send_text(citizen, "112", "kebakaran rumah di jalan g obos no 21, tolong")
        inc = self.incident_of_phone(citizen, 1)
        self.assertEqual(inc["category"], "fire", inc)
        self.assertTrue(inc["location"]["address"], inc)
        texts = self.wait_texts(citizen, 1)
        self.assertTrue(texts[0].startswith(ACK + inc["id"]), texts)
        self.assertNotIn("Balas pesan ini.", " ".join(texts))  # no question


if __name__ == "__main__":
    harness.main()
