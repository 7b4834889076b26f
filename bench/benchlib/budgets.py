"""The budget step: every budget of the footprint and overhead goals, marked met or missed from this run's figures
(never from a timed test). A budget whose figure this run did not measure is listed as "not measured"."""
from .evidence import CPU, IDLE, SIZE, STARTUP, STREAM
from .stats import diff, fmt, headline_label, hold_proxy_label, leak_verdict, metric, ratio, stream_diff, stream_label


def row(name, budget, value, limit, text, lower_is_better=True, evidence=None):
    """One budget; evidence names the section of docs/BENCHMARKS.md (bench/benchlib/evidence.py) that shows where its
    cost is, linked beside it when it is missed."""
    met = None if value is None else (value <= limit if lower_is_better else value >= limit)
    return {"name": name, "budget": budget, "measured": text, "met": met, "evidence": evidence}


def evaluate(results):
    """Footprint and overhead budgets first (the lean goals), then the latency, streaming and leak targets."""
    rows = []
    ns = results.get("non_streaming")
    pl = headline_label(ns) if ns else None
    if pl:
        for floor, limit in (("nginx", 2.0), ("bare forwarder", 1.3)):
            r = ratio(ns, pl, floor, "saturated", "cpu_us_per_req") if floor in ns["scenarios"] else None
            rows.append(row(f"CPU per request ({pl}, non-streaming) vs {floor}", f"≤ {limit:.1f}×", r, limit,
                            fmt(r, 2, "×") + f" ({fmt(metric(ns, pl, 'saturated', 'cpu_us_per_req'))} µs vs "
                            f"{fmt(metric(ns, floor, 'saturated', 'cpu_us_per_req'))} µs)", evidence=CPU))
    hold = results.get("streaming", {}).get("hold", {})
    top = max((int(n) for n in hold), default=None)
    if top is not None:
        hl = hold_proxy_label(hold[str(top)])
        v = hold[str(top)].get(hl, {}).get("kb_per_stream") if hl else None
        rows.append(row(f"RSS per open stream at {top:,} streams ({hl})", "≤ 20 KB", v, 20, fmt(v, 1, " KB"),
                        evidence=STREAM))
    fp = results.get("footprint")
    if fp:
        size = fp["binary_bytes"] / 1e6
        rows.append(row("Binary size (`artifacts/llm-proxy`, docs pages included)", "≤ 15 MB", size, 15,
                        f"{size:.1f} MB ({fp['binary_bytes']:,} bytes)", evidence=SIZE))
        cs = fp.get("cold_start", {})
        n = len(cs.get("ms", []))
        rows.append(row(f"Cold start to first /healthz 200 (median of {n})", "≤ 50 ms", cs.get("median_ms"), 50,
                        fmt(cs.get("median_ms"), 1, " ms"), evidence=STARTUP))
        rows.append(row("CPU to ready (on-CPU time of its threads up to that answer, median)", "≤ 30 ms",
                        cs.get("cpu_median_ms"), 30, fmt(cs.get("cpu_median_ms"), 1, " ms"), evidence=STARTUP))
        a, b = fp.get("idle_rss_after_start_mb"), fp.get("idle_rss_after_requests_mb")
        rows.append(row("Idle RSS after start", "≤ 20 MB", a, 20, fmt(a, 1, " MB"), evidence=IDLE))
        rows.append(row(f"Idle RSS after {fp.get('requests', 0):,} requests ({fp.get('requests_path')})", "≤ 30 MB",
                        b, 30, fmt(b, 1, " MB"), evidence=IDLE))
    if pl:
        added = diff(ns, pl, "direct", "paced", "p99_ms") if "direct" in ns["scenarios"] else None
        if added is not None:
            rows.append(row(f"Added latency p99 at 16 connections, paced ({pl} − direct)", "≤ 1 ms", added, 1.0,
                            fmt(added, 3, " ms")))
        rss = metric(ns, pl, "saturated", "rss_mb")
        rows.append(row("RSS under load (peak, saturating 16 connections)", "≤ 50 MB", rss, 50, fmt(rss, 1, " MB")))
    st = results.get("streaming", {})
    if "1000" in hold:
        hl = hold_proxy_label(hold["1000"])
        v = hold["1000"].get(hl, {}).get("rss_mb") if hl else None
        rows.append(row(f"RSS with 1,000 open streams ({hl})", "≤ 80 MB", v, 80, fmt(v, 1, " MB"), evidence=STREAM))
    sl = stream_label(st)
    if sl:
        d = stream_diff(st, sl, "ttfe_ms", "p99")
        rows.append(row(f"Added time to first event p99 ({sl} − direct)", "≤ 2 ms", d, 2, fmt(d, 2, " ms")))
        g50, g99 = stream_diff(st, sl, "gap_ms", "p50"), stream_diff(st, sl, "gap_ms", "p99")
        ok = None if g50 is None or g99 is None else abs(g50) <= 1 and g99 <= 2
        rows.append({"name": "Inter-event gaps unchanged (20 ms apart upstream)", "budget": "Δp50 within ±1 ms, Δp99 ≤ 2 ms",
                     "measured": f"Δp50 {fmt(g50, 2, ' ms')}, Δp99 {fmt(g99, 2, ' ms')}", "met": ok})
    leak = results.get("leak")
    if leak:
        rss_g, fd_g, text = leak_verdict(leak)
        ok = None if rss_g is None else rss_g <= max(2.0, 0.05 * leak["samples"][1]["rss_mb"]) and fd_g <= 5
        rows.append({"name": f"No RSS or fd growth across {leak['requests']:,} requests ({leak['path']})",
                     "budget": "Δ ≤ max(2 MB, 5 %), Δfds ≤ 5 after the first tenth",
                     "measured": text + (f"; Δ {fmt(rss_g, 1, ' MB')}, Δfds {fd_g:+.0f}" if rss_g is not None else ""),
                     "met": ok})
    return rows


def verdict(met):
    return "not measured" if met is None else ("met" if met else "**missed**")


def console(rows):
    width = max((len(r["name"]) for r in rows), default=10)
    return "\n".join(f"{r['name']:<{width}}  {r['budget']:>10}  {r['measured']}  -> {verdict(r['met']).strip('*')}"
                     for r in rows)
