#!/usr/bin/env python3
"""Turn bench/run's raw measurements (one JSON object per line) into the
table it prints, bench/results/latest.json, and PNG plots drawn by gnuplot.

Every figure keeps the sentence saying how it was measured ("how"), in the
table's last column and beside the figures in latest.json."""
import argparse
import datetime
import json
import os
import platform
import subprocess

SATURATED_PCT = 90.0  # a client above this share of one core measures itself


def fmt_int(x):
    return f"{x:,.0f}" if isinstance(x, (int, float)) else "-"


def fmt_ms(d, keys=("p50", "p99", "max")):
    if not d or not d.get("count", 1):
        return "-"
    return "/".join(f"{d.get(k, 0):.1f}" for k in keys) + " ms"


def cpu_text(cpu, skip=("client", "loadgen")):
    return ", ".join(f"{k} {v:.0f}%" for k, v in cpu.items() if k not in skip) or "-"


def client_cpu(raw):
    cpu = raw.get("cpu_pct", {})
    return cpu.get("loadgen", cpu.get("client"))


def figures(e):
    """(figures dict for latest.json, one-line result text for the table)."""
    r, kind = e["raw"], e["kind"]
    if "error" in r:
        return {"error": r["error"]}, "ERROR: " + r["error"]
    cl = client_cpu(r)
    by_thread = r.get("cpu_pct_threads")
    # Two client threads may use 200% between them: it is one thread at its
    # core's limit that makes the client time itself.
    busiest = max(by_thread.values()) if by_thread else cl
    sat = busiest is not None and busiest >= SATURATED_PCT
    threads = (" (" + ", ".join(f"{n} {v:.0f}%" for n, v in by_thread.items()) + ")") if by_thread else ""
    client_note = f"; client {cl:.0f}% CPU{threads}" \
        + (" (SATURATED: figures are a floor)" if sat else "") if cl is not None else ""
    if kind == "ingest":
        f = {"requests_per_s": r.get("rps"), "latency_ms": r.get("lat_ms"),
             "non_2xx": r.get("non2xx_or_3xx"), "socket_errors": r.get("socket_errors"),
             "timeouts": r.get("timeouts"), "cpu_pct": r.get("cpu_pct"), "client_saturated": sat}
        t = (f"{fmt_int(r.get('rps'))} req/s; latency p50/p99/max {fmt_ms(r.get('lat_ms'))}; "
             f"non-2xx {r.get('non2xx_or_3xx')}, errors {r.get('socket_errors')}; "
             f"CPU {cpu_text(r.get('cpu_pct', {}))}{client_note}")
        return f, t
    if kind == "ingest_ceiling":
        f = {"requests_per_s": r.get("rps"), "latency_ms": r.get("lat_ms"), "cpu_pct": r.get("cpu_pct")}
        t = (f"{fmt_int(r.get('rps'))} XADD/s; latency p50/p99/max {fmt_ms(r.get('lat_ms'))}; "
             f"CPU {cpu_text(r.get('cpu_pct', {}))}{client_note}")
        return f, t
    if kind in ("e2e", "split", "joins", "surge", "ladder"):
        delivered = r.get("seen_first") or 0
        cpu_s = r.get("cpu_s", {})
        server = "siagad" if "siagad" in cpu_s else "nchan"
        per_update = 1e6 * cpu_s[server] / delivered if delivered and server in cpu_s else None
        per_delivery = 1e6 * cpu_s[server] / r["deliveries"] if r.get("deliveries") and server in cpu_s else None
        f = {"offered": r.get("offered"), "acked": r.get("acked"), "failed": r.get("failed"),
             "lost_any_console": r.get("lost_any"), "lost_some_console": r.get("lost_some"),
             "ack_ms": r.get("ack_ms"), "e2e_first_console_ms": r.get("e2e_first_ms"),
             "e2e_all_consoles_ms": r.get("e2e_all_ms"), "e2e_each_delivery_ms": r.get("e2e_each_ms"),
             "consoles_open": r.get("ws", {}).get("open_at_start"),
             "console_reconnects": r.get("ws", {}).get("closes"),
             "lagging_closes": r.get("ws", {}).get("closes_lagging"),
             "cpu_pct": r.get("cpu_pct"), "server_cpu_us_per_update": per_update,
             "server_cpu_us_per_delivery": per_delivery, "backlog_max": r.get("backlog_max"),
             "drain_s": r.get("drain_s"), "client_queue_max": r.get("queued_max"), "deadline_hit": r.get("deadline_hit"), "client_saturated": sat}
        hop = r.get("worker_hop_ms")
        if hop is not None:
            f["worker_hop_ms"] = hop
        if by_thread:
            f["client_cpu_pct_by_thread"] = by_thread
        lost = f"lost {r.get('lost_any')}/{r.get('lost_some')} (no console/some console)"
        acked = f"acked {r.get('acked')}/{r.get('offered')}"
        if r.get("failed"):
            acked += f" ({r['failed']} failed)"
        t = (f"{acked}; ack {fmt_ms(r.get('ack_ms'))}; first console "
             f"{fmt_ms(r.get('e2e_first_ms'), ('p50', 'p99', 'p999', 'max'))}; each delivery "
             f"{fmt_ms(r.get('e2e_each_ms'), ('p50', 'p99', 'p999', 'max'))}; all consoles "
             f"{fmt_ms(r.get('e2e_all_ms'), ('p50', 'p99', 'p999', 'max'))}; {lost}")
        if r.get("queued_max"):
            t += f"; up to {r['queued_max']} reports waited for a free client connection"
        if kind == "surge":
            t += f"; backlog max {r.get('backlog_max')}, drained {r.get('drain_s', 0):.2f}s after the last send"
        if hop and hop.get("count"):
            t += (f"; worker hop (stream entry ids, whole ms) p50/p99/p99.9/max "
                  f"{hop['p50']}/{hop['p99']}/{hop['p999']}/{hop['max']} ms")
        if per_update is not None:
            t += f"; {server} {per_update:.0f} us CPU/update, {per_delivery:.1f} us/delivery"
        t += f"; CPU {cpu_text(r.get('cpu_pct', {}))}{client_note}"
        if r.get("ws", {}).get("closes"):
            t += f"; {r['ws']['closes']} console reconnects ({r['ws'].get('closes_lagging', 0)} for lagging)"
        if r.get("deadline_hit"):
            t += "; DEADLINE HIT"
        return f, t
    if kind == "idle":
        rss = r.get("rss_kb", {})
        opened = r.get("ws", {}).get("open_at_start") or 0
        per = {}
        for name, v in rss.items():
            if opened:
                per[name] = (v["start"] - v["before_connect"]) / opened
        f = {"connections_open": opened, "rss_kb": rss, "rss_kb_per_connection": per,
             "cpu_pct_idle": r.get("cpu_pct"), "client_saturated": sat}
        t = (f"{opened} open; " + ", ".join(
            f"{n} RSS {v['before_connect'] / 1024:.1f} -> {v['start'] / 1024:.1f} MiB = "
            f"{per.get(n, 0):.1f} KiB/connection" for n, v in rss.items())
            + f"; idle CPU {cpu_text(r.get('cpu_pct', {}))}{client_note}")
        return f, t
    if kind == "responders":
        cpu = r.get("cpu_per_s_positions_only", {})
        f = {k: r.get(k) for k in ("units", "connected", "positions_per_s", "cpu_per_s_positions_only",
                                    "assign_sent", "assign_received", "assign_missing", "assign_refused",
                                    "assign_p50_ms", "assign_p99_ms", "assign_max_ms", "assign_steady_p50_p99_ms",
                                    "assign_to_stream_p50_p99_ms", "assign_from_stream_p50_p99_ms",
                                    "assign_slowest", "closed", "ok")}

        def ms(x):
            return "-" if x is None else f"{x:.1f}"
        t = (f"{r.get('connected')}/{r.get('units')} responders connected, {r.get('positions_per_s')} positions/s "
             f"cost " + ", ".join(f"{n} {100 * v:.1f}% CPU" for n, v in cpu.items()) +
             f"; assignment console->unit p50/p99/max {ms(r.get('assign_p50_ms'))}/{ms(r.get('assign_p99_ms'))}/"
             f"{ms(r.get('assign_max_ms'))} ms (after the consoles' first 2 s p50/p99 "
             f"{ms((r.get('assign_steady_p50_p99_ms') or [None, None])[0])}/"
             f"{ms((r.get('assign_steady_p50_p99_ms') or [None, None])[1])} ms), "
             f"{r.get('assign_received')}/{r.get('assign_sent')} received"
             + ("" if r.get("ok") else " (NOT OK)"))
        return f, t
    return r, json.dumps(r)[:200]


def gnuplot(script, cwd):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd, check=True, timeout=30,
                       capture_output=True)
        return True
    except (OSError, subprocess.SubprocessError) as ex:
        print(f"report: gnuplot failed: {ex}")
        return False


def plots(entries, out, series):
    made = []
    term = 'set terminal pngcairo size 900,520 font "sans,10"\n'
    # Ingest: requests/s per system and connection count, redis ceilings as lines.
    ing = [e for e in entries if e["kind"] == "ingest" and "rps" in e["raw"]]
    conns = sorted({e["params"]["connections"] for e in ing})
    systems = [s for s in ("siaga", "webdis", "nginx") if any(e["system"] == s for e in ing)]
    if ing:
        with open(os.path.join(out, "ingest.dat"), "w") as f:
            f.write("conns " + " ".join(systems) + "\n")
            for c in conns:
                row = [next((e["raw"]["rps"] for e in ing if e["system"] == s and e["params"]["connections"] == c), 0)
                       for s in systems]
                f.write(f"{c} " + " ".join(f"{v:.0f}" for v in row) + "\n")
        ceil = {e["params"]["pipeline"]: e["raw"].get("rps", 0) for e in entries if e["kind"] == "ingest_ceiling"}
        extra = "".join(f', {v:.0f} title "redis-benchmark XADD -P {p} (no HTTP)" dt 2 lw 2'
                        for p, v in sorted(ceil.items()) if p == 1)
        cols = ", ".join(f'"ingest.dat" using {i + 2}:xtic(1) title "{s}"' for i, s in enumerate(systems))
        if gnuplot(term + 'set output "ingest.png"\nset title "Max ingest rate: wrk POST of a 300 B report, closed loop (x: connections)"\n'
                   'set style data histograms\nset style fill solid 0.8\nset ylabel "requests/s"\nset yrange [0:*]\n'
                   'set key outside right\nset grid ytics\nplot ' + cols + extra + "\n", out):
            made.append("ingest.png")
    # End-to-end: p99 first console per scenario, siaga vs nchan.
    # The e2e grid only (the responders rows are e2e too, but not a cell of it).
    e2e = [e for e in entries if e["kind"] == "e2e" and "e2e_first_ms" in e["raw"]
           and e["scenario"].startswith("e2e_r")]
    if e2e:
        scen = sorted({e["scenario"] for e in e2e}, key=lambda s: (int(s.split("_r")[1].split("_")[0]), s))
        with open(os.path.join(out, "e2e.dat"), "w") as f:
            f.write("scenario siaga_p50 siaga_p99 nchan_p50 nchan_p99\n")
            for s in scen:
                vals = []
                for sys_ in ("siaga", "nchan"):
                    e = next((x for x in e2e if x["scenario"] == s and x["system"] == sys_), None)
                    d = e["raw"]["e2e_first_ms"] if e else {}
                    vals += [d.get("p50", 0), d.get("p99", 0)]
                label = s.replace("e2e_r", "").replace("_c", "/s, ") + " consoles"
                f.write(f'"{label}" ' + " ".join(f"{v:.3f}" for v in vals) + "\n")
        if gnuplot(term + 'set output "e2e.png"\nset title "End-to-end latency, intended send -> first console (open loop)"\n'
                   'set style data histograms\nset style fill solid 0.8\nset ylabel "ms"\nset logscale y\n'
                   'set key outside right\nset grid ytics\nset xtics rotate by -20\n'
                   'plot "e2e.dat" using 2:xtic(1) title "siaga p50", "" using 3 title "siaga p99", '
                   '"" using 4 title "nchan p50", "" using 5 title "nchan p99"\n', out):
            made.append("e2e.png")
    # Surge: offered, acknowledged and backlog over time.
    if series and os.path.exists(series) and os.path.getsize(series) > 0:
        dst = os.path.join(out, "surge.dat")
        with open(series) as src, open(dst, "w") as f:
            f.write("# t_s offered acked backlog queued consoles_open\n" + src.read())
        if gnuplot(term + 'set output "surge.png"\nset title "Surge: reports offered and acknowledged; backlog (offered, on no console yet)"\n'
                   'set xlabel "seconds"\nset ylabel "reports (cumulative)"\nset y2label "backlog"\nset y2tics\n'
                   'set ytics nomirror\nset key left top\nset grid\n'
                   'plot "surge.dat" using 1:2 with lines lw 2 title "offered", "" using 1:3 with lines lw 2 title "acknowledged", '
                   '"" using 1:4 axes x1y2 with lines lw 2 title "backlog (right)", '
                   '"" using 1:5 axes x1y2 with lines dt 2 title "waiting for a client connection (right)"\n', out):
            made.append("surge.png")
    # Ladder: latency and CPU per update vs consoles.
    lad = sorted([e for e in entries if e["kind"] == "ladder" and "e2e_first_ms" in e["raw"]],
                 key=lambda e: e["params"]["consoles"])
    if lad:
        with open(os.path.join(out, "ladder.dat"), "w") as f:
            f.write("consoles first_p50 first_p99 all_p50 all_p99 cpu_us_per_update\n")
            for e in lad:
                r = e["raw"]
                cpu = 1e6 * r["cpu_s"].get("siagad", 0) / r["seen_first"] if r.get("seen_first") else 0
                f.write(f'{e["params"]["consoles"]} {r["e2e_first_ms"]["p50"]:.3f} {r["e2e_first_ms"]["p99"]:.3f} '
                        f'{r["e2e_all_ms"]["p50"]:.3f} {r["e2e_all_ms"]["p99"]:.3f} {cpu:.1f}\n')
        if gnuplot(term + 'set output "ladder.png"\nset title "siaga: latency and siagad CPU per update vs consoles"\n'
                   'set logscale x\nset xlabel "consoles"\nset ylabel "latency, ms"\nset y2label "siagad CPU per update, us"\n'
                   'set y2tics\nset ytics nomirror\nset key left top\nset grid\n'
                   'plot "ladder.dat" using 1:2 with linespoints title "first console p50", "" using 1:3 with linespoints title "first console p99", '
                   '"" using 1:4 with linespoints title "all consoles p50", "" using 1:5 with linespoints title "all consoles p99", '
                   '"" using 1:6 axes x1y2 with linespoints lw 2 title "siagad CPU/update (right)"\n', out):
            made.append("ladder.png")
    return made


def p99_of(e, key):
    return ((e["raw"].get(key) or {}).get("p99"))


def merge_rounds(entries):
    """A scenario measured in several rounds (one system after the other,
    alternately first) is shown by its median round by first-console p99:
    on a shared two-core machine one ten-second p99 moves by half from run
    to run, so one round alone decides nothing. The other rounds' p99s are
    kept beside it."""
    groups, order = {}, []
    for e in entries:
        k = (e["scenario"], e["system"])
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(e)
    merged = []
    for k in order:
        es = groups[k]
        if len(es) == 1:
            merged.append(es[0])
            continue
        ok = [e for e in es if p99_of(e, "e2e_first_ms") is not None]
        ranked = sorted(ok, key=lambda e: p99_of(e, "e2e_first_ms")) or es
        rep = dict(ranked[(len(ranked) - 1) // 2])
        rep["rounds"] = [{"round": e["params"].get("round"),
                          "ack_p99_ms": p99_of(e, "ack_ms"),
                          "first_console_p99_ms": p99_of(e, "e2e_first_ms"),
                          "each_delivery_p99_ms": p99_of(e, "e2e_each_ms"),
                          "all_consoles_p99_ms": p99_of(e, "e2e_all_ms"),
                          "lost_any": e["raw"].get("lost_any"),
                          "lost_some": e["raw"].get("lost_some")} for e in es]
        merged.append(rep)
    return merged


def rounds_text(e):
    if "rounds" not in e:
        return ""
    def ms(key):
        return " / ".join("%.1f" % r[key] if r[key] is not None else "-" for r in e["rounds"])
    lost = sum((r["lost_any"] or 0) + (r["lost_some"] or 0) for r in e["rounds"])
    return (f"; {len(e['rounds'])} rounds, this is the median by first-console p99; "
            f"p99 in each round: first console {ms('first_console_p99_ms')} ms, each delivery "
            f"{ms('each_delivery_p99_ms')} ms, all consoles "
            f"{ms('all_consoles_p99_ms')} ms, ack {ms('ack_p99_ms')} ms; lost in all rounds {lost}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--dirty", default="0")
    ap.add_argument("--series")
    ap.add_argument("--load", default="")
    a = ap.parse_args()
    entries = merge_rounds([json.loads(line) for line in open(a.results) if line.strip()])
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    meta = {"date": now, "mode": a.mode, "commit": a.commit,
            "uncommitted_files": int(a.dirty or 0), "loadavg_1_5_15": a.load, "host": platform.node(), "cpus": os.cpu_count(),
            "note": "everything on one machine (2 cores shared by servers, Redis and the load clients)"}
    out = {"meta": meta, "results": {}}
    rows = []
    for e in entries:
        f, text = figures(e)
        text += rounds_text(e)
        if "rounds" in e:
            f["rounds"] = e["rounds"]
        out["results"].setdefault(e["scenario"], {})[e["system"]] = {
            "figures": f, "how": e["how"], "params": e["params"], "raw": e["raw"]}
        rows.append((e["scenario"], e["system"], text, e["how"]))
    made = plots(entries, a.out, a.series)
    out["meta"]["plots"] = made
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(out, f, indent=1)
    lines = [f"siaga benchmark ({a.mode}), commit {a.commit}"
             + (f" + {meta['uncommitted_files']} uncommitted files" if meta["uncommitted_files"] else "")
             + f", {now}, {meta['cpus']} CPUs, {meta['note']}",
             f"machine load average (1/5/15 min): {a.load}", ""]
    w1 = max(len(r[0]) for r in rows) if rows else 8
    w2 = max(len(r[1]) for r in rows) if rows else 6
    lines.append(f"{'scenario':<{w1}}  {'system':<{w2}}  result")
    lines.append("-" * (w1 + w2 + 60))
    last_scen = last_how = None
    for scen, sys_, text, how in rows:
        if last_scen is not None and scen != last_scen:
            if last_how is not None:
                lines.append(f"{'':<{w1}}  {'':<{w2}}  how: {last_how}")
            lines.append("")
        lines.append(f"{scen:<{w1}}  {sys_:<{w2}}  {text}")
        last_scen, last_how = scen, how
    if last_how is not None:
        lines.append(f"{'':<{w1}}  {'':<{w2}}  how: {last_how}")
    lines.append("")
    lines.append("plots: " + ", ".join(f"bench/results/{p}" for p in made))
    table = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
