#!/usr/bin/env python3
"""A private Kannel (kannel.py: bearerbox, smsbox, fakesmsc) for tests written
in another language, the browser tests, so there is one way to run Kannel in
the tree. Talks JSON lines:

  kannel_serve.py --dir DIR --siagad-port PORT --secret SECRET

starts Kannel with every MO message POSTed to siagad's Kannel webhook on
127.0.0.1:PORT (siagad need not be up yet: smsbox only calls it when a
message arrives) and prints one line {"sendsmsUrl": URL} for siagad's
--kannel-sendsms. Then, one request per line on standard input, one answer
per line on standard output:

  {"mo": {"from": "+62...", "to": "112", "text": "..."}}  -> {"ok": true}
      a citizen's SMS through fakesmsc (UCS-2 when not plain ASCII)
  {"mt": true}  -> {"mt": [{"from", "to", "text"}, ...]}
      every message Kannel delivered to fakesmsc so far

End of input stops Kannel. Logs go to DIR/kannel/*.log."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kannel  # noqa: E402


def service(siagad_port, secret):
    url = "http://127.0.0.1:%d/v1/sms/kannel?secret=%s&id=%%I" % (siagad_port, secret)
    return {"name": "siaga-post", "keyword": "default", "post-url": url, "send-sender": True,
            "max-messages": 0, "omit-empty": True}


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(k):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if "mo" in req:
                mo = req["mo"]
                text = str(mo["text"])
                if text.isascii():
                    k.send_text(str(mo["from"]), str(mo["to"]), text)
                else:
                    k.send_ucs2(str(mo["from"]), str(mo["to"]), text)
                answer({"ok": True})
            elif "mt" in req:
                answer({"mt": [{"from": m.sender, "to": m.receiver, "text": m.text}
                               for m in k.mt_messages()]})
            else:
                answer({"ok": False, "error": "unknown request"})
        except (ValueError, KeyError, TypeError, AssertionError) as e:
            answer({"ok": False, "error": str(e)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--siagad-port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    a = ap.parse_args()
    k = kannel.Kannel(a.dir, [service(a.siagad_port, a.secret)])
    try:
        k.start()
        answer({"sendsmsUrl": k.sendsms_url()})
        serve(k)
    finally:
        k.stop()


if __name__ == "__main__":
    main()
