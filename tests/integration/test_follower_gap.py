"""No silent holes: when siagad falls so far behind the updates stream that
entries it never read are trimmed, every console is told to start again
(close 4001) and a console that reconnects gets a fresh snapshot, instead of
live updates with a gap nobody sees."""
import os
import signal

import harness
from harness import key
from test_slow_console import update_bytes


class FollowerGap(harness.StackTestCase):
    STACK = {"workers": 0}

    def test_trimmed_unread_updates_resync_consoles(self):
        ws = self.stack.ws()
        self.assertIn("snapshot", ws.recv_json(5))
        with self.stack.redis(timeout=30) as r:
            first = r("XADD", key("updates"), "*", "u", update_bytes(0)).decode()
            self.assertEqual(ws.recv_json(10)["update"]["id"], first)

            # siagad stops reading (a stalled process); writers go on and
            # trim the stream far past the point it had read.
            pid = self.stack.siagad.p.pid
            os.kill(pid, signal.SIGSTOP)
            try:
                for i in range(1, 1001):
                    r("XADD", key("updates"), "MAXLEN", "300", "*", "u", update_bytes(i))
            finally:
                os.kill(pid, signal.SIGCONT)
            last = r("XREVRANGE", key("updates"), "+", "-", "COUNT", "1")[0][0].decode()

        # What the console gets must end in a resync close, never a silent
        # jump: every update it sees is retained or the first one.
        retained = {eid for eid, _ in harness.stream_entries(self.stack, "updates")}
        close = None
        for _ in range(2000):
            m = ws.recv(20)
            if m.kind == "close":
                close = m
                break
            self.assertEqual(m.kind, "text", m)
        self.assertIsNotNone(close)
        self.assertEqual(close.code, 4001, close)
        self.assertTrue(retained)

        # Reconnecting from the last update it saw gets a snapshot (the
        # missed updates are gone), which names the stream's newest id.
        again = self.stack.ws("/v1/console?after=" + first)
        msg = again.recv_json(10)
        self.assertIn("snapshot", msg, msg)
        self.assertEqual(msg["snapshot"]["lastUpdateId"], last)
        again.close()


if __name__ == "__main__":
    harness.main()
