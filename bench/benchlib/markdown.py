"""docs/BENCHMARKS.md from one run's results (bench/NOTES.md, hand-written, is appended as the reading)."""
from pathlib import Path

from . import budgets, evidence
from .stats import fmt, med, metric, ratio, diff, stream_diff

NOTES = Path(__file__).resolve().parent.parent / "NOTES.md"
MODES = {"saturated": "saturated", "paced": "paced", "stream": "short SSE streams"}


def header(results, charts):
    m = results["machine"]
    a = results.get("args", {})
    steps = ", ".join(f"{k} {v / 60:.1f} min" for k, v in results.get("step_seconds", {}).items())
    out = ["# Benchmarks", "",
           "<!-- Written by bench/run.py (`./build.sh bench`); edit bench/NOTES.md or bench/benchlib/ instead. -->", "",
           f"Run {results['started']}, {results['seconds'] / 60:.1f} minutes in all ({steps}).", "",
           "## Machine", "",
           f"- {m['nproc']} CPUs: {m['cpu']}; {m['mem_gib']:.1f} GiB memory; Linux {m['kernel']}",
           f"- load average at start: {' '.join(m['loadavg_at_start'])}; at the end: "
           f"{' '.join(results.get('loadavg_at_end', ['?']))} (the machine is shared: other builds ran beside this one)"
           + ("; 1-minute load after each step: " + ", ".join(f"{k} {v}" for k, v in results["loadavg_after_step"].items())
              if results.get("loadavg_after_step") else ""),
           f"- {m['tools']['wrk']}; {m['tools']['nginx']}; .NET SDK {m['tools']['dotnet']}",
           f"- {results['pinning']}; open-file limit {results.get('os_limits', {}).get('nofile', '?')}, "
           f"ephemeral ports {results.get('os_limits', {}).get('ephemeral_ports', '?')}", "",
           "## Command", "", "```", results["command"], "```", "",
           f"Settings: {a.get('rounds')} rounds of {a.get('duration')} s wrk runs per scenario (1 thread, 16 "
           f"connections); paced runs pause {a.get('pace_ms')} ms per connection between requests; "
           f"{a.get('footprint_requests', 0):,} requests for every idle-RSS figure; {a.get('cold_starts')} cold starts.", ""]
    rows = budgets.evaluate(results)
    out += ["## Budgets", "",
            "Marked by the budget step of this run (bench/benchlib/budgets.py) from the figures below.", "",
            "| budget | limit | measured | |", "|---|---|---|---|"]
    have = evidence.available(results)
    out += [f"| {r['name']} | {r['budget']} | {r['measured']} | {budgets.verdict(r['met'])}"
            + (f" — where: [{r['evidence']}](#{evidence.anchor(r['evidence'])})"
               if r["met"] is False and have.get(r.get("evidence")) else "") + " |" for r in rows]
    if results.get("failures"):
        out += ["", "Steps that failed in this run: " + "; ".join(f"{k}: {v}" for k, v in results["failures"].items())]
    out += [""] + [f"![{alt}]({name})" for alt, name in charts] + [""]
    return out


def headline(results):
    ns = results.get("non_streaming")
    if not ns:
        return []
    modes = ns.get("modes", ["saturated", "paced"])
    out = ["## CPU per request: llm-proxy, the bare forwarder and nginx", "",
           "Medians over rounds; ratios are medians of each round's ratio. *Saturated*: wrk as fast as it can on 16 "
           "connections. *Paced*: 16 connections, each pausing between requests, so latency is the path's and not "
           "queueing. *Short SSE streams*: the same body with `\"stream\": true`, 10 events back to back, saturated. CPU "
           "is the target process's utime+stime (`/proc/<pid>/stat`, nginx: master+worker) ÷ requests; RSS is the peak "
           "sampled every 250 ms. The upstream's own CPU is not counted for any target. The bare forwarder "
           "(bench/BareForwarder) is Kestrel and one `SocketsHttpHandler` with no features, AOT, with the proxy's runtime "
           "settings.", "",
           "| target | req/s | CPU µs/req | vs nginx | vs bare | paced p50 | paced p99 | added p99 vs direct | "
           "short stream CPU µs | stream vs bare | peak RSS |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    has = lambda x: x in ns["scenarios"]  # noqa: E731
    for label in ns["scenarios"]:
        r_n = ratio(ns, label, "nginx", "saturated", "cpu_us_per_req") if has("nginx") and label != "direct" else None
        r_b = ratio(ns, label, "bare forwarder", "saturated", "cpu_us_per_req") if has("bare forwarder") and label != "direct" else None
        s_b = ratio(ns, label, "bare forwarder", "stream", "cpu_us_per_req") if has("bare forwarder") and label != "direct" else None
        added = diff(ns, label, "direct", "paced", "p99_ms") if "paced" in modes and has("direct") and label != "direct" else None
        out.append(f"| {label} | {fmt(metric(ns, label, 'saturated', 'rps'), 0)} "
                   f"| {fmt(metric(ns, label, 'saturated', 'cpu_us_per_req'))} | {fmt(r_n, 2, '×')} | {fmt(r_b, 2, '×')} "
                   f"| {fmt(metric(ns, label, 'paced', 'p50_ms'), 3, ' ms')} | {fmt(metric(ns, label, 'paced', 'p99_ms'), 3, ' ms')} "
                   f"| {fmt(added, 3, ' ms')} | {fmt(metric(ns, label, 'stream', 'cpu_us_per_req'))} | {fmt(s_b, 2, '×')} "
                   f"| {fmt(metric(ns, label, 'saturated', 'rss_mb'), 1, ' MB')} |")
    pairs = [(lb, lb.split(" [")[0] + " " + lb.split("] ", 1)[1]) for lb in ns["scenarios"] if "[" in lb]
    pairs = [(lb, base) for lb, base in pairs if base in ns["scenarios"]]
    if pairs:
        out += ["", "Variants beside the shipped binary, same run (`[before]` is another build given with "
                "`--baseline-binary`; other names are the same binary with the environment given in the command):", "",
                "| variant | vs | CPU µs/req ratio | req/s ratio | short stream CPU ratio |", "|---|---|---|---|---|"]
        out += [f"| {lb} | {base} | {fmt(ratio(ns, lb, base, 'saturated', 'cpu_us_per_req'), 3, '×')} "
                f"| {fmt(ratio(ns, lb, base, 'saturated', 'rps'), 3, '×')} "
                f"| {fmt(ratio(ns, lb, base, 'stream', 'cpu_us_per_req'), 3, '×')} |" for lb, base in pairs]
    errs = sum(r[lb][m]["errors"] for r in ns["rounds"] for lb in r for m in r[lb])
    out += ["", f"Errors (non-2xx or socket) across all these runs: {errs}."]
    missing = {k: v for k, v in results.get("availability", {}).items() if v["status"] != 200}
    if missing:
        out += ["", "Not measured in this build (the route answered something else than 200):", ""]
        out += [f"- {k}: {v['status']} `{v['answer'][:100]}`" for k, v in missing.items()]
    return out + [""]


def growth(results):
    g = results.get("growth")
    if not g:
        return []
    conns = g["connections"]
    out = ["## Cost growth with connections", "",
           f"Saturated `/v1/chat/completions` at each connection count, {results['args'].get('growth_duration')} s per run, "
           f"median of {results['args'].get('growth_rounds')}: CPU µs per request / peak RSS.", "",
           "| target | " + " | ".join(f"{c:,} conn." for c in conns) + " |", "|---" * (len(conns) + 1) + "|"]
    for label, by_c in g["targets"].items():
        cells = []
        for c in conns:
            runs = by_c.get(str(c), [])
            cells.append(f"{fmt(med([x['cpu_us_per_req'] for x in runs]))} µs / {fmt(med([x['rss_mb'] for x in runs]), 1)} MB")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out + [""]


def streaming(results):
    st = results.get("streaming")
    if not st:
        return []
    a = results.get("args", {})
    out = []
    if st.get("latency"):
        out += ["## Streaming latency", "",
                f"{a.get('latency_streams')} streams, 10 at a time, each 20 content events 20 ms apart from the fake "
                "upstream; medians over rounds of each run's p50/p99.", "",
                "| target | TTFE p50 | TTFE p99 | added TTFE p99 | gap p50 | gap p99 | failed streams |",
                "|---|---|---|---|---|---|---|"]
        labels = []
        for row in st["latency"]:
            labels += [k for k in row if k not in labels]
        for label in labels:
            runs = [row[label] for row in st["latency"] if label in row and "error" not in row[label]]
            g = lambda key, q: med([r[key][q] for r in runs])  # noqa: E731
            added = stream_diff(st, label, "ttfe_ms", "p99") if label != "direct" else None
            out.append(f"| {label} | {fmt(g('ttfe_ms', 'p50'), 2, ' ms')} | {fmt(g('ttfe_ms', 'p99'), 2, ' ms')} "
                       f"| {fmt(added, 2, ' ms')} | {fmt(g('gap_ms', 'p50'), 2, ' ms')} | {fmt(g('gap_ms', 'p99'), 2, ' ms')} "
                       f"| {sum(r.get('failed', 0) for r in runs)} |")
        out.append("")
    if st.get("hold"):
        out += ["## Streaming scale: streams held open", "",
                "Each stream gets one event a second from the fake upstream. RSS of the target before any stream and "
                f"{a.get('settle_seconds')} s after every stream has its first event; KB per stream = the difference ÷ "
                f"open streams. CPU per relayed event: the target's utime+stime over a {a.get('event_window')} s window "
                "÷ events the client received in it (utime+stime come in 10 ms ticks: the smallest counts carry the "
                "largest error). Servers unpinned (as shipped), the client on CPU 0." + fd_note(results), "",
                "| streams | target | open | failed | RSS idle | RSS open | KB per stream | CPU µs per event | CPU % | open fds |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for n, row in st["hold"].items():
            for label, v in row.items():
                if "error" in v and "rss_mb" not in v:
                    out.append(f"| {int(n):,} | {label} | — | — | — | — | — | — | — | — | {v['error'][:80]}")
                    continue
                out.append(f"| {int(n):,} | {label} | {v.get('open', '—')} | {v.get('failed', '—')} "
                           f"| {fmt(v.get('rss_idle_mb'), 1, ' MB')} | {fmt(v.get('rss_mb'), 1, ' MB')} "
                           f"| {fmt(v.get('kb_per_stream'), 1)} | {fmt(v.get('cpu_us_per_event'), 1)} "
                           f"| {fmt(v.get('cpu_percent'), 0, ' %')} | {v.get('fds', '—')} |")
        out.append("")
    return out


def doors(results):
    dr = results.get("doors")
    if not dr or not dr.get("rounds"):
        return []
    short, long_ = dr["events"]
    rounds = dr["rounds"]
    out = ["## Front doors: CPU per streamed event", "",
           f"Each door's streams through the binary, {short} and {long_} content events back to back from the fake "
           "upstream, saturated (16 connections); CPU per event = (CPU per stream at "
           f"{long_} events − at {short}) ÷ {long_ - short}, so the per-request work cancels out "
           "(bench/benchlib/door_steps.py). Medians over rounds; the ratio is the median of each round's ratio to /v1.", "",
           f"| door | route | CPU µs/stream ({short} events) | CPU µs/stream ({long_} events) | CPU µs per event | vs /v1 |",
           "|---|---|---|---|---|---|"]
    for label in dr["doors"]:
        runs = [r[label] for r in rounds if label in r]
        vs = med([r[label]["cpu_us_per_event"] / r["/v1"]["cpu_us_per_event"] for r in rounds
                  if label in r and "/v1" in r and r["/v1"]["cpu_us_per_event"] > 0])
        out.append(f"| {label} | `{dr['paths'][label]}` | {fmt(med([x['runs'][str(short)]['cpu_us_per_req'] for x in runs]))} "
                   f"| {fmt(med([x['runs'][str(long_)]['cpu_us_per_req'] for x in runs]))} "
                   f"| {fmt(med([x['cpu_us_per_event'] for x in runs]), 2)} | {fmt(vs, 2, '×')} |")
    errs = sum(x["errors"] for r in rounds for d in r.values() for x in d["runs"].values())
    return out + ["", f"Errors (non-2xx or socket) across these runs: {errs}.", ""]


def fd_note(results):
    """A proxy holds two sockets per stream; say so when the open-file limit, not the target, capped the streams."""
    nofile = results.get("os_limits", {}).get("nofile")
    top = max((int(n) for n in results.get("streaming", {}).get("hold", {})), default=0)
    if not nofile or 2 * top + 64 <= nofile:
        return ""
    return (f" The open-file limit here is {nofile:,} and could not be raised by the runner (a hard limit needs CAP_SYS_RESOURCE): at {top:,} "
            "streams a proxy needs two sockets per stream plus its own files, so the last few streams of every proxy "
            "target fail with \"too many open files\" (counted as failed; KB per stream divides by the open ones).")


def leak(results):
    lk = results.get("leak")
    if not lk:
        return []
    s = lk["samples"]
    step = max(1, len(s) // 10)
    out = ["## Leak check", "",
           f"{lk['requests']:,} requests to `{lk['path']}` in {lk['seconds']:.0f} s ({lk['errors']} errors), wrk in "
           f"{results['args'].get('leak_slice')} s slices (connections reopened each slice); RSS and open fds of the "
           "proxy after each slice.", "", "| requests | RSS | open fds |", "|---|---|---|"]
    for x in s[::step] + ([s[-1]] if (len(s) - 1) % step else []):
        out.append(f"| {x['requests']:,} | {x['rss_mb']:.1f} MB | {x['fds']} |")
    return out + [""]


def footprint(results):
    fp = results.get("footprint")
    if not fp:
        return []
    out = ["## Footprint", "",
           "Servers on every CPU, as a user runs them. Cold start: process spawn to the first 200 (llm-proxy: "
           "`/healthz`, stub provider; the bare forwarder: its first forwarded answer). CPU to ready: on-CPU time of "
           "the process's live threads at that moment (`/proc/<pid>/task/*/schedstat`); utime+stime in 10 ms ticks "
           "beside it. Idle RSS: 1 s after start, and 2 s after exactly the same number of requests for each target.", "",
           "| target | binary | cold start median (min–max) | CPU to ready (ticks) | idle RSS after start | "
           "after requests | requests |", "|---|---|---|---|---|---|---|"]
    rows = [("llm-proxy", fp["binary_bytes"], fp.get("cold_start", {}), fp)]
    rows += [(f"llm-proxy [{o['name']}]", o["binary_bytes"], o.get("cold_start", {}), o) for o in fp.get("others", [])]
    rows += [("bare forwarder", fp.get("bare_binary_bytes"), fp.get("bare_cold_start", {}), fp.get("bare", {}))]
    for label, size, cs, idle in rows:
        ms = sorted(cs.get("ms", []))
        out.append(f"| {label} | {fmt(size / 1e6 if size else None, 2, ' MB')} "
                   f"| {fmt(cs.get('median_ms'), 1, ' ms')} ({fmt(ms[0] if ms else None, 0)}–{fmt(ms[-1] if ms else None, 0)}, n={len(ms)}) "
                   f"| {fmt(cs.get('cpu_median_ms'), 1, ' ms')} ({fmt(cs.get('cpu_ticks_median_ms'), 0, ' ms')}) "
                   f"| {fmt(idle.get('idle_rss_after_start_mb'), 1, ' MB')} | {fmt(idle.get('idle_rss_after_requests_mb'), 1, ' MB')} "
                   f"| {idle.get('requests', 0):,} `{idle.get('requests_path', '')}` |")
    notes = ["", "Debug symbols are not in the binary (`artifacts/symbols/`)."]
    if fp.get("others"):
        notes.append("Rows in brackets are other builds (`[before]`: `--baseline-binary`) or the same binary with other "
                     "settings (`--variant`), their cold starts taken in turn with the shipped binary's: "
                     + "; ".join(f"[{o['name']}] " + (", ".join(f"`{k}={v}`" for k, v in o["env"].items()) or "`" + o["binary"] + "`")
                                 for o in fp["others"]) + ".")
    return out + notes + [""]


def gc(results):
    g = results.get("gc")
    if not g:
        return []
    out = ["## GC settings (measured, not chosen)", "",
           f"The same binary under each setting (environment variables), exactly {g['requests']:,} requests each "
           "(16 connections, saturated), servers on every CPU, rounds interleaved; medians. Ratios against the shipped "
           "setting in the same round.", "",
           "| variant | environment | req/s | CPU µs/req | CPU vs shipped | RSS after start | peak RSS | RSS after requests |",
           "|---|---|---|---|---|---|---|---|"]
    base = g["variants"][0]["runs"]
    for v in g["variants"]:
        runs = v["runs"]
        m = lambda k: med([x[k] for x in runs])  # noqa: E731
        rel = med([x["cpu_us_per_req"] / b["cpu_us_per_req"] for x, b in zip(runs, base) if b["cpu_us_per_req"]])
        env = ", ".join(f"`{k}={val}`" for k, val in v["env"].items()) or "—"
        out.append(f"| {v['name']} | {env} | {fmt(m('rps'), 0)} | {fmt(m('cpu_us_per_req'))} | {fmt(rel, 2, '×')} "
                   f"| {fmt(m('idle_rss_after_start_mb'), 1, ' MB')} | {fmt(m('peak_rss_mb'), 1, ' MB')} "
                   f"| {fmt(m('idle_rss_after_requests_mb'), 1, ' MB')} |")
    return out + [""]


def micro(results):
    mi = results.get("micro")
    if not mi:
        return []
    out = ["## Micro-benchmarks (BenchmarkDotNet, short job)", "", "```", mi["command"], "```", ""]
    if not mi["rows"]:
        return out + ["No results (see artifacts/bench/micro.log).", ""]
    out += ["| benchmark | params | mean | allocated/op |", "|---|---|---|---|"]
    for r in mi["rows"]:
        mean = r["mean_ns"]
        mean_s = "—" if mean is None else (f"{mean:,.1f} ns" if mean < 10_000 else f"{mean / 1000:,.2f} µs")
        alloc = "—" if r["alloc_bytes"] is None else f"{r['alloc_bytes']:,} B"
        out.append(f"| {r['type']}.{r['method']} | {r['params']} | {mean_s} | {alloc} |")
    return out + [""]


def limits(results):
    lim = results.get("limits")
    # Runs from before the key "os_limits" kept the open-file limits here when the rate-limits step did not run.
    if not lim or "path" not in lim:
        return []
    a = results.get("args", {})
    out = ["## Rate limits: in memory or shared in Redis", "",
           f"`{lim['path']}` through the same binary four ways, every target in every round ({a.get('rounds')} rounds "
           f"of {a.get('duration')} s): no limit; `RATE_LIMIT_ENABLED` with a limit no run reaches, counted in the "
           f"process; the same counted in Redis (`REDIS_URL`, redis-server {lim.get('redis_version')} on loopback, "
           "pinned with the servers: one `EVALSHA` per request); and Redis with a token limit as well (a second script "
           "call per request, after the response, to debit its usage). *Saturated*: 16 connections as fast as wrk can; "
           f"*paced*: 16 connections pausing {a.get('pace_ms')} ms between requests. Medians over rounds; ratios and "
           "differences are medians of each round's own.", "",
           "| target | req/s | proxy CPU µs/req | redis-server CPU µs/req | proxy CPU vs in-memory | paced p50 | paced p99 "
           "| added p99 vs in-memory | saturated p99 |", "|---|---|---|---|---|---|---|---|---|"]
    base = "in-memory limiter"
    for label in lim["scenarios"]:
        redis_cpu = metric(lim, label, "saturated", "redis_cpu_us_per_req")
        out.append(f"| {label} | {fmt(metric(lim, label, 'saturated', 'rps'), 0)} "
                   f"| {fmt(metric(lim, label, 'saturated', 'cpu_us_per_req'))} | {fmt(redis_cpu) if 'Redis' in label else '—'} "
                   f"| {fmt(ratio(lim, label, base, 'saturated', 'cpu_us_per_req'), 2, '×')} "
                   f"| {fmt(metric(lim, label, 'paced', 'p50_ms'), 3, ' ms')} | {fmt(metric(lim, label, 'paced', 'p99_ms'), 3, ' ms')} "
                   f"| {fmt(diff(lim, label, base, 'paced', 'p99_ms'), 3, ' ms')} "
                   f"| {fmt(metric(lim, label, 'saturated', 'p99_ms'), 3, ' ms')} |")
    errs = sum(r[lb][m]["errors"] for r in lim["rounds"] for lb in r for m in r[lb])
    calls = lim.get("redis_calls", {})
    out += ["", f"Errors (non-2xx or socket) across these runs: {errs}. Script calls Redis ran in the step: "
            f"{calls.get('evalsha', 0):,} `EVALSHA`, {calls.get('eval', 0):,} `EVAL`."]
    return out + [""]


def profile(results):
    prof = results.get("profile")
    if not prof:
        return []
    out = ["## Profile of the proxy under saturating load", "",
           f"`perf record -F 499 -g -p <proxy>` during a {prof.get('seconds') or results['args'].get('duration')} s saturated run of "
           f"`{prof.get('path')}`; `perf report --no-children --sort dso,sym` (≥ 1 %):", "", "```"]
    out += prof.get("top", []) or [prof.get("error", "no samples")]
    return out + ["```", "", "By shared object:", "", "```"] + prof.get("by_dso", []) + ["```", ""]


def render(results, charts, with_notes=True):
    out = header(results, charts)
    for section in (headline, evidence.cpu, growth, streaming, evidence.per_stream, doors, footprint, evidence.idle_memory,
                    evidence.sizes, evidence.startup, gc, leak, limits, micro, profile):
        out += section(results)
    if with_notes and NOTES.exists():
        out += [NOTES.read_text().rstrip(), ""]
    return "\n".join(out)
