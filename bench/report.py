"""Turns bench/run.py's results into docs/BENCHMARKS.md and an SVG chart (no packages beyond the stdlib)."""
import statistics
from pathlib import Path
from xml.sax.saxutils import escape

NOTES = Path(__file__).resolve().parent / "NOTES.md"

# nginx as the floor any HTTP proxy pays: one worker (the proxy's servers share the same CPU), keepalive to the
# upstream (as the proxy's pooled SocketsHttpHandler does), no access log (request logging is off in the proxy),
# buffering off (SSE relayed at once, like the proxy; X-Accel-Buffering would do the same per response).
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 1000000;
  upstream fake {{ server 127.0.0.1:{upstream}; keepalive 256; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }}
  }}
}}
"""


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1, unit=""):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}{unit}"


def proxy_label(ns):
    for label in ("llm-proxy /v1", "llm-proxy /proxy", "llm-proxy /proxy (stub)"):
        if label in ns["scenarios"]:
            return label
    return None


def ns_metric(ns, label, mode, key):
    return med([r[label][mode][key] for r in ns["rounds"] if label in r])


def ns_ratio(ns, a, b, mode, key):
    """Median over rounds of a/b, each round's pair measured minutes apart at most."""
    return med([r[a][mode][key] / r[b][mode][key] for r in ns["rounds"] if a in r and b in r and r[b][mode][key]])


def ns_diff(ns, a, b, mode, key):
    return med([r[a][mode][key] - r[b][mode][key] for r in ns["rounds"] if a in r and b in r])


def stream_diff(st, label, key, q):
    vals = []
    for row in st.get("latency", []):
        if label in row and "direct" in row and "error" not in row[label] and "error" not in row["direct"]:
            a, b = row[label][key][q], row["direct"][key][q]
            if a is not None and b is not None:
                vals.append(a - b)
    return med(vals)


def stream_label(st):
    labels = set()
    for row in st.get("latency", []):
        labels.update(row)
    for label in ("llm-proxy /v1", "llm-proxy /proxy/stream"):
        if label in labels:
            return label
    return None


def leak_verdict(leak):
    s = leak["samples"]
    if len(s) < 4:
        return None, None, "too few samples"
    # Baseline after the first tenth (pools, caches and GC heaps have grown to their working size by then).
    base = next((x for x in s if x["requests"] >= leak["requests"] * 0.1), s[1])
    tail = s[-max(1, len(s) // 5):]
    rss_growth = med([x["rss_mb"] for x in tail]) - base["rss_mb"]
    fd_growth = med([x["fds"] for x in tail]) - base["fds"]
    return rss_growth, fd_growth, f"RSS {base['rss_mb']:.1f} → {s[-1]['rss_mb']:.1f} MB, fds {base['fds']} → {s[-1]['fds']}"


def targets(results):
    rows = []
    ns = results.get("non_streaming")
    if ns:
        pl = proxy_label(ns)
        if pl and "nginx" in ns["scenarios"]:
            ratio = ns_ratio(ns, pl, "nginx", "saturated", "cpu_us_per_req")
            rows.append((f"CPU per proxied non-streaming request vs nginx `proxy_pass` ({pl})", "≤ 2.0×",
                         fmt(ratio, 2, "×") + f" ({fmt(ns_metric(ns, pl, 'saturated', 'cpu_us_per_req'))} µs vs "
                         f"{fmt(ns_metric(ns, 'nginx', 'saturated', 'cpu_us_per_req'))} µs)",
                         ratio is not None and ratio <= 2.0))
            added = ns_diff(ns, pl, "direct", "paced", "p99_ms")
            rows.append((f"Added latency p99 at 16 connections, paced ({pl} − direct)", "≤ 1 ms",
                         fmt(added, 3, " ms"), added is not None and added <= 1.0))
            rss = ns_metric(ns, pl, "saturated", "rss_mb")
            rows.append(("RSS under that load (peak, saturating 16 connections)", "≤ 50 MB", fmt(rss, 1, " MB"),
                         rss is not None and rss <= 50))
    st = results.get("streaming")
    if st:
        sl = stream_label(st)
        hold = st.get("hold", {}).get("1000", {})
        hl = next((k for k in hold if k.startswith("llm-proxy")), None)
        if hl:
            v = hold[hl].get("rss_mb")
            rows.append((f"RSS with 1,000 concurrent streams ({hl})", "≤ 80 MB", fmt(v, 1, " MB"), v is not None and v <= 80))
        if sl:
            d = stream_diff(st, sl, "ttfe_ms", "p99")
            rows.append((f"Added time to first event p99 ({sl} − direct)", "≤ 2 ms", fmt(d, 2, " ms"), d is not None and d <= 2))
            g50 = stream_diff(st, sl, "gap_ms", "p50")
            g99 = stream_diff(st, sl, "gap_ms", "p99")
            ok = g50 is not None and abs(g50) <= 1 and g99 is not None and g99 <= 2
            rows.append(("Inter-event gaps unchanged (20 ms apart upstream; Δp50 within ±1 ms, Δp99 ≤ 2 ms)",
                         "unchanged", f"Δp50 {fmt(g50, 2, ' ms')}, Δp99 {fmt(g99, 2, ' ms')}", ok))
    leak = results.get("leak")
    if leak:
        rss_g, fd_g, text = leak_verdict(leak)
        ok = rss_g is not None and rss_g <= max(2.0, 0.05 * leak["samples"][1]["rss_mb"]) and fd_g <= 5
        rows.append((f"No RSS or fd growth across {leak['requests']:,} requests ({leak['path']})",
                     "no trend (Δ ≤ max(2 MB, 5%), Δfds ≤ 5 after the first tenth)",
                     text + (f"; Δ {fmt(rss_g, 1, ' MB')}, Δfds {fd_g:+.0f}" if rss_g is not None else ""), ok))
    fp = results.get("footprint")
    if fp:
        size = fp["binary_bytes"] / 1e6
        rows.append(("#5 binary size (`artifacts/llm-proxy`)", "≤ 20 MB", f"{size:.1f} MB ({fp['binary_bytes']:,} bytes)", size <= 20))
        cs = fp.get("cold_start_median_ms")
        rows.append((f"#5 cold start to first /healthz 200 (median of {len(fp['cold_start_ms'])})", "≤ 100 ms",
                     fmt(cs, 1, " ms"), cs is not None and cs <= 100))
        a = fp.get("idle_rss_after_start_mb")
        rows.append(("#5 idle RSS after start", "≤ 30 MB", fmt(a, 1, " MB"), a is not None and a <= 30))
        b = fp.get("idle_rss_after_requests_mb")
        rows.append((f"#5 idle RSS after {fp.get('requests', 0):,} requests ({fp.get('requests_path')})", "≤ 30 MB",
                     fmt(b, 1, " MB"), b is not None and b <= 30))
    return rows


def markdown(results, svg_name):
    m = results["machine"]
    out = ["# Benchmarks", "",
           "<!-- Written by bench/run.py (`./build.sh bench`); edit bench/NOTES.md or bench/report.py instead. -->", "",
           f"Run {results['started']}, {results['seconds'] / 60:.1f} minutes in all "
           f"({', '.join(f'{k} {v / 60:.1f} min' for k, v in results.get('step_seconds', {}).items())}).", "",
           "## Machine", "",
           f"- {m['nproc']} CPUs: {m['cpu']}; {m['mem_gib']:.1f} GiB memory; Linux {m['kernel']}",
           f"- load average at start: {' '.join(m['loadavg_at_start'])} (the machine is shared: other builds ran beside this one)",
           f"- {m['tools']['wrk']}; {m['tools']['nginx']}; .NET SDK {m['tools']['dotnet']}",
           f"- {results['pinning']}", "",
           "## Command", "", "```", results["command"], "```", ""]
    a = results.get("args", {})
    out += [f"Settings: {a.get('rounds')} rounds of {a.get('duration')} s wrk runs per scenario (1 thread, 16 connections); "
            f"paced runs pause {a.get('pace_ms')} ms per connection between requests; "
            f"leak check {a.get('leak_requests'):,} requests; {a.get('cold_starts')} cold starts.", ""]
    rows = targets(results)
    out += ["## Targets (issue #6) and footprint budgets (issue #5)", "", f"![chart]({svg_name})", "",
            "| target | budget | measured | |", "|---|---|---|---|"]
    for name, budget, measured, ok in rows:
        out.append(f"| {name} | {budget} | {measured} | {'met' if ok else '**missed**'} |")
    if results.get("failures"):
        out += ["", "Steps that failed in this run: " + "; ".join(f"{k}: {v}" for k, v in results["failures"].items())]
    out.append("")

    ns = results.get("non_streaming")
    if ns:
        out += ["## Non-streaming", "",
                "Medians over rounds. *Saturated*: wrk as fast as it can on 16 connections. *Paced*: 16 connections, "
                "each pausing between requests, so latency is the path's and not queueing. CPU is the target process's "
                "utime+stime (`/proc/<pid>/stat`, nginx: master+worker) over the saturated run ÷ requests; RSS is the peak "
                "sampled every 250 ms. The upstream's own CPU is not counted for any target.", "",
                "| target | req/s | CPU µs/req | CPU vs nginx | paced p50 | paced p99 | added p99 vs direct | saturated p99 | peak RSS |",
                "|---|---|---|---|---|---|---|---|---|"]
        for label in ns["scenarios"]:
            ratio = ns_ratio(ns, label, "nginx", "saturated", "cpu_us_per_req") if label != "direct" else None
            added = ns_diff(ns, label, "direct", "paced", "p99_ms") if label != "direct" else None
            out.append(f"| {label} | {fmt(ns_metric(ns, label, 'saturated', 'rps'), 0)} "
                       f"| {fmt(ns_metric(ns, label, 'saturated', 'cpu_us_per_req'))} | {fmt(ratio, 2, '×')} "
                       f"| {fmt(ns_metric(ns, label, 'paced', 'p50_ms'), 3, ' ms')} | {fmt(ns_metric(ns, label, 'paced', 'p99_ms'), 3, ' ms')} "
                       f"| {fmt(added, 3, ' ms')} | {fmt(ns_metric(ns, label, 'saturated', 'p99_ms'), 2, ' ms')} "
                       f"| {fmt(ns_metric(ns, label, 'saturated', 'rss_mb'), 1, ' MB')} |")
        pairs = []
        for label in ns["scenarios"]:
            if "[" in label:
                base = label.split(" [")[0] + " " + label.split("] ", 1)[1]
                if base in ns["scenarios"]:
                    pairs.append((label, base))
        if pairs:
            out += ["", "Variants beside the shipped binary, same run (ratios are medians over rounds of the per-round ratio; "
                    "`[before]` is the binary before a hot-path change, other names are the same binary with the "
                    "environment given in the command):", "",
                    "| variant | vs | CPU µs/req ratio | req/s ratio |", "|---|---|---|---|"]
            for label, base in pairs:
                out.append(f"| {label} | {base} | {fmt(ns_ratio(ns, label, base, 'saturated', 'cpu_us_per_req'), 3, '×')} "
                           f"| {fmt(ns_ratio(ns, label, base, 'saturated', 'rps'), 3, '×')} |")
        errs = sum(r[l][m]["errors"] for r in ns["rounds"] for l in r for m in ("saturated", "paced"))
        out += ["", f"Errors (non-2xx or socket) across all these runs: {errs}."]
        missing = {k: v for k, v in results.get("availability", {}).items() if v["status"] != 200}
        if missing:
            out += ["", "Not measured in this build (the route answered something else than 200):", ""]
            out += [f"- {k}: {v['status']} `{v['answer'][:100]}`" for k, v in missing.items()]
        out.append("")

    st = results.get("streaming")
    if st:
        out += ["## Streaming", "",
                f"Time to first event and gaps: {a.get('latency_streams')} streams, 10 at a time, each 20 content events "
                "20 ms apart from the fake upstream; medians over rounds of each run's p50/p99.", "",
                "| target | TTFE p50 | TTFE p99 | added TTFE p99 | gap p50 | gap p99 | failed streams |", "|---|---|---|---|---|---|---|"]
        labels = []
        for row in st.get("latency", []):
            labels += [k for k in row if k not in labels]
        for label in labels:
            runs = [row[label] for row in st["latency"] if label in row and "error" not in row[label]]
            failed = sum(r.get("failed", 0) for r in runs)
            g = lambda key, q: med([r[key][q] for r in runs])  # noqa: E731
            added = stream_diff(st, label, "ttfe_ms", "p99") if label != "direct" else None
            out.append(f"| {label} | {fmt(g('ttfe_ms', 'p50'), 2, ' ms')} | {fmt(g('ttfe_ms', 'p99'), 2, ' ms')} "
                       f"| {fmt(added, 2, ' ms')} | {fmt(g('gap_ms', 'p50'), 2, ' ms')} | {fmt(g('gap_ms', 'p99'), 2, ' ms')} | {failed} |")
        out += ["", "Concurrent streams held open (one event a second each); RSS of the target once every stream has its "
                "first event (direct: the fake upstream itself).", "",
                "| streams | target | open | failed | RSS idle | RSS with streams open | open fds |", "|---|---|---|---|---|---|---|"]
        for n, row in st.get("hold", {}).items():
            for label, v in row.items():
                out.append(f"| {int(n):,} | {label} | {v.get('open', '—')} | {v.get('failed', '—')} | {fmt(v.get('rss_idle_mb'), 1, ' MB')} "
                           f"| {fmt(v.get('rss_mb'), 1, ' MB')} | {v.get('fds', '—')} |" + (f" {v['error'][:80]}" if v.get("error") else ""))
        out.append("")

    leak = results.get("leak")
    if leak:
        s = leak["samples"]
        step = max(1, len(s) // 10)
        out += ["## Leak check", "",
                f"{leak['requests']:,} requests to `{leak['path']}` in {leak['seconds']:.0f} s ({leak['errors']} errors), "
                f"wrk in {a.get('leak_slice')} s slices (connections reopened each slice); RSS and open fds of the proxy after each slice.", "",
                "| requests | RSS | open fds |", "|---|---|---|"]
        for x in s[::step] + ([s[-1]] if (len(s) - 1) % step else []):
            out.append(f"| {x['requests']:,} | {x['rss_mb']:.1f} MB | {x['fds']} |")
        out.append("")

    fp = results.get("footprint")
    if fp:
        cs = sorted(fp["cold_start_ms"])
        out += ["## Footprint (issue #5)", "",
                f"- binary: {fp['binary_bytes']:,} bytes ({fp['binary_bytes'] / 2**20:.1f} MiB), stripped, symbols in `artifacts/symbols/`",
                f"- cold start, process spawn to first `/healthz` 200, stub provider: median {fmt(fp['cold_start_median_ms'], 1)} ms "
                f"(min {fmt(cs[0] if cs else None, 1)}, max {fmt(cs[-1] if cs else None, 1)}, n={len(cs)}); the process's own CPU "
                f"(utime+stime, 10 ms ticks) up to that answer: median {fmt(fp.get('cold_start_cpu_median_ms'), 0)} ms",
                f"- idle RSS 1 s after start: {fmt(fp.get('idle_rss_after_start_mb'), 1)} MB; 2 s after "
                f"{fp.get('requests', 0):,} requests to `{fp.get('requests_path')}`: {fmt(fp.get('idle_rss_after_requests_mb'), 1)} MB"]
        for name, v in fp.get("variants", {}).items():
            out.append(f"- variant [{name}]: idle RSS after start {fmt(v.get('idle_rss_after_start_mb'), 1)} MB, "
                       f"after {v.get('requests', 0):,} requests {fmt(v.get('idle_rss_after_requests_mb'), 1)} MB")
        out.append("")

    mi = results.get("micro")
    if mi:
        out += ["## Micro-benchmarks (BenchmarkDotNet, short job)", "", "```", mi["command"], "```", ""]
        if mi["rows"]:
            out += ["| benchmark | params | mean | allocated/op |", "|---|---|---|---|"]
            for r in mi["rows"]:
                mean = r["mean_ns"]
                mean_s = "—" if mean is None else (f"{mean:,.1f} ns" if mean < 10_000 else f"{mean / 1000:,.2f} µs")
                alloc = "—" if r["alloc_bytes"] is None else f"{r['alloc_bytes']:,} B"
                out.append(f"| {r['type']}.{r['method']} | {r['params']} | {mean_s} | {alloc} |")
        else:
            out.append("No results (see artifacts/bench/micro.log).")
        out.append("")

    prof = results.get("profile")
    if prof:
        out += ["## Profile of the proxy under saturating load", "",
                f"`perf record -F 499 -g -p <proxy>` during a {a.get('duration')} s saturated run of `{prof.get('path')}`; "
                "`perf report --no-children --sort dso,sym` (≥ 1 %):", "", "```"]
        out += prof.get("top", []) or [prof.get("error", "no samples")]
        out += ["```", "", "By shared object:", "", "```"] + prof.get("by_dso", []) + ["```", ""]

    if NOTES.exists():
        out += [NOTES.read_text().rstrip(), ""]
    return "\n".join(out)


def bars(x, y, w, title, items, unit, digits=1):
    """A horizontal bar panel: items = [(label, value)]."""
    items = [(label, v) for label, v in items if v is not None]
    parts = [f'<text x="{x}" y="{y + 14}" font-size="13" font-weight="bold">{escape(title)}</text>']
    if not items:
        return "".join(parts)
    top = max(v for _, v in items) or 1
    colors = {"direct": "#8c8c8c", "nginx": "#2f9e44"}
    for i, (label, v) in enumerate(items):
        yy = y + 26 + i * 22
        bw = (w - 190) * v / top
        color = colors.get(label, "#1c7ed6" if "before" not in label else "#f59f00")
        parts.append(f'<text x="{x}" y="{yy + 13}" font-size="11">{escape(label)}</text>')
        parts.append(f'<rect x="{x + 130}" y="{yy}" width="{bw:.1f}" height="16" fill="{color}"/>')
        parts.append(f'<text x="{x + 134 + bw:.1f}" y="{yy + 13}" font-size="11">{v:,.{digits}f}{escape(unit)}</text>')
    return "".join(parts)


def line(x, y, w, h, title, points, unit):
    parts = [f'<text x="{x}" y="{y + 14}" font-size="13" font-weight="bold">{escape(title)}</text>']
    if len(points) < 2:
        return "".join(parts)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) or 1
    y1 = max(ys) * 1.15 or 1
    px = lambda v: x + 40 + (w - 60) * (v - x0) / ((x1 - x0) or 1)  # noqa: E731
    py = lambda v: y + 24 + (h - 50) * (1 - v / y1)  # noqa: E731
    path = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>')
    parts.append(f'<line x1="{x + 40}" y1="{py(0):.1f}" x2="{x + w - 20}" y2="{py(0):.1f}" stroke="#999"/>')
    parts.append(f'<text x="{x}" y="{py(0):.1f}" font-size="10">0</text>')
    parts.append(f'<text x="{x}" y="{py(max(ys)):.1f}" font-size="10">{max(ys):.0f}{escape(unit)}</text>')
    parts.append(f'<text x="{x + 40}" y="{y + h - 8}" font-size="10">{x0:,.0f}</text>')
    parts.append(f'<text x="{x + w - 80}" y="{y + h - 8}" font-size="10">{x1:,.0f} requests</text>')
    return "".join(parts)


def svg(results):
    W, panel_h = 980, 190
    panels = []
    ns = results.get("non_streaming")
    if ns:
        labels = ns["scenarios"]
        panels.append(("CPU per request, µs (target process only; lower is better)",
                       [(lb, ns_metric(ns, lb, "saturated", "cpu_us_per_req")) for lb in labels], " µs", 1))
        panels.append(("Requests per second, 16 connections (higher is better)",
                       [(lb, ns_metric(ns, lb, "saturated", "rps")) for lb in labels], "", 0))
        panels.append(("Paced latency p99, ms (lower is better)",
                       [(lb, ns_metric(ns, lb, "paced", "p99_ms")) for lb in labels], " ms", 3))
    st = results.get("streaming")
    if st:
        for n, row in st.get("hold", {}).items():
            panels.append((f"RSS with {int(n):,} concurrent streams, MB",
                           [(lb, v.get("rss_mb")) for lb, v in row.items()], " MB", 1))
    body = []
    for i, (title, items, unit, digits) in enumerate(panels):
        col, rowi = i % 2, i // 2
        body.append(bars(20 + col * (W // 2), 20 + rowi * panel_h, W // 2 - 30, title, items, unit, digits))
    rows = (len(panels) + 1) // 2
    leak = results.get("leak")
    extra = 0
    if leak:
        y = 20 + rows * panel_h
        body.append(line(20, y, W // 2 - 30, 170, "Leak check: proxy RSS, MB",
                         [(s["requests"], s["rss_mb"]) for s in leak["samples"]], " MB"))
        body.append(line(20 + W // 2, y, W // 2 - 30, 170, "Leak check: proxy open fds",
                         [(s["requests"], s["fds"]) for s in leak["samples"]], ""))
        extra = 190
    H = 40 + rows * panel_h + extra
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>' + "".join(body) + "</svg>\n")
