"""The evidence of where the cost is, rendered into docs/BENCHMARKS.md beside the budgets it explains: the binary's
size by component and its start-up profile (footprint step), llm-proxy's CPU by component beside the bare
forwarder's (headline step) and what one open stream holds (scale step). Each table is left out when its run did not
measure it (an older results.json, or perf/nm missing: then one line says why)."""
import re

from .stats import fmt, hold_proxy_label, metric

SIZE = "Binary size by component"
STARTUP = "Start-up profile"
CPU = "Where the CPU goes: llm-proxy beside the bare forwarder"
STREAM = "What one open stream holds"
IDLE = "What idle RSS is made of"


def anchor(title):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def available(results):
    """{section title: True} for the evidence this run has, so that the budget table links only to what exists."""
    fp = results.get("footprint") or {}
    prof = (results.get("profile") or {}).get("targets")
    hold = (results.get("streaming") or {}).get("hold") or {}
    return {SIZE: bool(fp.get("sizes")), STARTUP: bool(fp.get("startup_profile")), CPU: bool(prof),
            IDLE: "memory_after_start" in fp,
            STREAM: any("memory_open" in v for row in hold.values() for v in row.values())}


def mb(kb):
    return None if kb is None else kb / 1024


def idle_memory(results):
    fp = results.get("footprint") or {}
    if "memory_after_start" not in fp:
        return []
    out = [f"### {IDLE}", "",
           "Resident memory of the idle process split by kind (`/proc/<pid>/smaps_rollup`): *anonymous* (the GC heap, "
           "native heaps, thread stacks, the `.hydrated` data written at start), *file-backed* (pages of the binary read "
           "from disk: code and read-only data, shared with any other copy of it), and of the anonymous part the *GC heap* "
           "(resident pages in the GC's reserved region range, `/proc/<pid>/smaps`).", "",
           "| target | after start: anon / file / GC heap | after the requests: anon / file / GC heap |", "|---|---|---|"]
    for label, x in [("llm-proxy", fp)] + [(f"llm-proxy [{o['name']}]", o) for o in fp.get("others", [])] \
            + [("bare forwarder", fp.get("bare") or {})]:
        cells = []
        for key in ("memory_after_start", "memory_after_requests"):
            m = x.get(key) or {}
            cells.append(f"{fmt(mb(m.get('anon_kb')), 1)} / {fmt(mb(m.get('file_kb')), 1)} / {fmt(mb(m.get('gc_kb')), 1)} MB")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out + [""]


def sizes(results):
    sz = (results.get("footprint") or {}).get("sizes")
    if not sz:
        return []
    proxy, bare = sz.get("llm-proxy", {}), sz.get("bare forwarder", {})
    out = [f"### {SIZE}", ""]
    if proxy.get("sections"):
        secs = dict(proxy["sections"])
        bsecs = dict(bare.get("sections", []))
        big = [n for n, v in sorted(secs.items(), key=lambda kv: -kv[1]) if v >= 100_000]
        out += ["Sections (`size -A` of the binaries; `.hydrated` and `.bss` take no room in the file but are memory at "
                "run time: `.hydrated` is written at start from compressed data in `.rodata`):", "",
                "| section | llm-proxy | bare forwarder | difference |", "|---|---|---|---|"]
        out += [f"| `{n}` | {fmt(secs[n] / 1e6, 2, ' MB')} | {fmt(bsecs[n] / 1e6 if n in bsecs else None, 2, ' MB')} "
                f"| {fmt((secs[n] - bsecs.get(n, 0)) / 1e6, 2, ' MB')} |" for n in big]
        out.append("")
    elif proxy.get("sections_error"):
        out += [f"Sections: not measured ({proxy['sections_error']}).", ""]
    if "code" not in proxy:
        return out + [f"Code by assembly: not measured ({proxy.get('code_error', 'no symbols')}).", ""]
    code, bcode = proxy["code"], bare.get("code", {})
    total, btotal = sum(code.values()), sum(bcode.values())
    rows = sorted(code.items(), key=lambda kv: -kv[1])
    top, rest = rows[:15], rows[15:]
    out += [f"Code by assembly (`nm --size-sort -S` of the `.dbg` files in `symbols/`: the size of every function; "
            f"{fmt(total / 1e6, 2)} MB of code in {len(code)} groups for llm-proxy; data symbols carry no size, so data "
            "shows in the sections above only). Top 15 by llm-proxy's size:", "",
            "| assembly or native part | llm-proxy | bare forwarder | difference |", "|---|---|---|---|"]
    for name, v in top:
        b = bcode.get(name)
        out.append(f"| {name} | {fmt(v / 1e3, 0, ' KB')} | {fmt(b / 1e3 if b else None, 0, ' KB')} "
                   f"| {fmt((v - (b or 0)) / 1e3, 0, ' KB')} |")
    rest_v, rest_b = sum(v for _, v in rest), sum(bcode.get(n, 0) for n, _ in rest)
    out.append(f"| the other {len(rest)} | {fmt(rest_v / 1e3, 0, ' KB')} | {fmt(rest_b / 1e3, 0, ' KB')} "
               f"| {fmt((rest_v - rest_b) / 1e3, 0, ' KB')} |")
    out.append(f"| **all code** | {fmt(total / 1e3, 0, ' KB')} | {fmt(btotal / 1e3 if bcode else None, 0, ' KB')} "
               f"| {fmt((total - btotal) / 1e3, 0, ' KB')} |")
    return out + [""]


def startup(results):
    sp = (results.get("footprint") or {}).get("startup_profile")
    if not sp:
        return []
    out = [f"### {STARTUP}", ""]
    if "error" in sp:
        return out + [f"Not taken: {sp['error']}.", ""]
    out += [f"`perf record -F {sp['freq']} -g` of {sp['starts']} cold starts of llm-proxy (stub provider), each from "
            "exec to its first `/healthz` 200, then killed; symbols from `symbols/llm-proxy.dbg`. "
            f"{sp['samples']:,} samples, summed over the starts and weighted by period as `perf report` does.", "",
            "Share of the samples under known frames (inclusive: the frame anywhere in the call chain, so the rows "
            "overlap — rehydration and the GC cause page faults):", "",
            "| under | share |", "|---|---|"]
    out += [f"| {k} | {fmt(v, 1, ' %')} |" for k, v in sp["under"].items()]
    out += ["", "By component (self time of the sampled frame, `perf report --no-children`):", "",
            "| component | share |", "|---|---|"]
    out += [f"| {k} | {fmt(v, 1, ' %')} |" for k, v in sorted(sp["components"].items(), key=lambda kv: -kv[1]) if v >= 0.5]
    out += ["", "Top symbols by self time:", "", "| self | object | symbol |", "|---|---|---|"]
    out += [f"| {fmt(t['percent'], 1, ' %')} | {t['dso']} | `{short(t['symbol'])}` |" for t in sp["top"]]
    return out + [""]


def short(sym, n=110):
    return sym if len(sym) <= n else sym[:n - 1] + "…"


def cpu(results):
    prof = results.get("profile") or {}
    targets = prof.get("targets")
    if not targets:
        return []
    ns = results.get("non_streaming") or {}
    labels = list(targets)
    ok = [lb for lb in labels if "error" not in targets[lb]]
    out = [f"## {CPU}", "",
           f"`perf record -F {prof.get('freq')} -g -p <pid>` of each target in turn under the same saturated load as the "
           f"headline (16 connections, {prof.get('seconds') or results.get('args', {}).get('duration')} s of `/v1/chat/completions`), symbols "
           "from the `.dbg` beside each binary. Share: % of the target's samples whose sampled frame (self time) is in "
           "the component. µs/req: that share × the target's median CPU µs per request in the saturated rounds above, so "
           "the difference column is what llm-proxy spends per request beyond the bare forwarder, component by component."]
    for lb in labels:
        if "error" in targets[lb]:
            out += ["", f"{lb}: not profiled ({targets[lb]['error'].strip()[:200]})."]
    if not ok:
        return out + [""]
    cpu_us = {lb: metric(ns, lb, "saturated", "cpu_us_per_req") if ns.get("rounds") else None for lb in ok}
    us = lambda lb, share: None if cpu_us[lb] is None else share / 100 * cpu_us[lb]  # noqa: E731
    comps = {}
    for lb in ok:
        for c, v in targets[lb]["components"].items():
            comps.setdefault(c, {})[lb] = v
    first, second = ok[0], (ok[1] if len(ok) > 1 else None)
    excess = lambda c: (us(first, comps[c].get(first, 0)) or 0) - ((us(second, comps[c].get(second, 0)) or 0) if second else 0)  # noqa: E731
    head = "| component | " + " | ".join(f"{lb} share | {lb} µs/req" for lb in ok) + (" | difference µs/req |" if second else "")
    out += ["", head, "|---" * (1 + 2 * len(ok) + (1 if second else 0)) + "|"]
    for c in sorted(comps, key=lambda c: -excess(c)):
        cells = [f"{fmt(comps[c].get(lb, 0), 1, ' %')} | {fmt(us(lb, comps[c].get(lb, 0)), 1)}" for lb in ok]
        out.append(f"| {c} | " + " | ".join(cells) + (f" | {fmt(excess(c), 1)} |" if second else " |"))
    out.append("| **all samples** | " + " | ".join(
        f"{targets[lb]['samples']:,} samples | {fmt(cpu_us[lb], 1)}" for lb in ok)
        + (f" | {fmt((cpu_us[first] or 0) - (cpu_us[second] or 0), 1)} |" if second else " |"))
    out += ["", "Inclusive shares (the frame anywhere in the call chain: the work a layer asks of the layers below it):", "",
            "| under | " + " | ".join(f"{lb} share | {lb} µs/req" for lb in ok) + " |", "|---" * (1 + 2 * len(ok)) + "|"]
    for k in targets[first]["under"]:
        out.append(f"| {k} | " + " | ".join(
            f"{fmt(targets[lb]['under'].get(k), 1, ' %')} | {fmt(us(lb, targets[lb]['under'].get(k, 0)), 1)}" for lb in ok) + " |")
    entries = {}
    for lb in ok:
        for k, v in (targets[lb].get("kernel") or {}).items():
            entries.setdefault(k, {})[lb] = v
    if entries:
        out += ["", "The kernel's part by how it was entered: a system call named by the user-space function that made "
                "it (loopback delivery and the context switches a call causes count to it), else a page fault or an "
                "interrupt by its kind (`reschedule_ipi`: another CPU woke one of the target's threads). More calls or "
                "more thread wake-ups per request show here, not in any managed component.", "",
                "| kernel entry | " + " | ".join(f"{lb} share | {lb} µs/req" for lb in ok) + " |", "|---" * (1 + 2 * len(ok)) + "|"]
        for k in sorted(entries, key=lambda k: -entries[k].get(first, 0)):
            if max(entries[k].values()) >= 0.5:
                out.append(f"| {k} | " + " | ".join(
                    f"{fmt(entries[k].get(lb, 0), 1, ' %')} | {fmt(us(lb, entries[k].get(lb, 0)), 1)}" for lb in ok) + " |")
    for lb in ok:
        out += ["", f"Top symbols of {lb} by self time:", "", "| self | object | symbol |", "|---|---|---|"]
        out += [f"| {fmt(t['percent'], 1, ' %')} | {t['dso']} | `{short(t['symbol'])}` |" for t in targets[lb]["top"]]
    return out + [""]


def per_stream(results):
    hold = (results.get("streaming") or {}).get("hold") or {}
    counts = [n for n in hold if any("memory_open" in v for v in hold[n].values())]
    if not counts:
        return []
    out = [f"## {STREAM}", "",
           "The scale step's targets again, each figure (with every stream open − before any stream) ÷ open streams, in KB: "
           "RSS, its anonymous part (heaps, buffers, stacks: what a stream can allocate), its file-backed part (pages of the "
           "binary first touched by the streaming code: paid once, not per stream) and the GC heap (resident pages of the "
           "GC's region range, `/proc/<pid>/smaps`; none for nginx). The last row of each count is llm-proxy − the bare "
           "forwarder: what the proxy's own per-stream state costs above the Kestrel + `SocketsHttpHandler` floor.", "",
           "| streams | target | open | RSS KB/stream | anon KB/stream | file-backed KB/stream | GC heap KB/stream | anon before → open |",
           "|---|---|---|---|---|---|---|---|"]
    for n in counts:
        per = {}
        for label, v in hold[n].items():
            if "memory_open" not in v:
                continue
            a, b, k = v["memory_idle"], v["memory_open"], max(v.get("open") or 0, 1)
            d = lambda key: None if a.get(key) is None or b.get(key) is None else (b[key] - a[key]) / k  # noqa: E731
            per[label] = {key: d(key) for key in ("rss_kb", "anon_kb", "file_kb", "gc_kb")}
            out.append(f"| {int(n):,} | {label} | {v.get('open')} | {fmt(per[label]['rss_kb'], 1)} | {fmt(per[label]['anon_kb'], 1)} "
                       f"| {fmt(per[label]['file_kb'], 1)} | {fmt(per[label]['gc_kb'], 1)} "
                       f"| {fmt(mb(a['anon_kb']), 1)} → {fmt(mb(b['anon_kb']), 1)} MB |")
        pl = hold_proxy_label(per)
        if pl and "bare forwarder" in per:
            diff = {key: None if per[pl][key] is None or per["bare forwarder"][key] is None
                    else per[pl][key] - per["bare forwarder"][key] for key in per[pl]}
            out.append(f"| {int(n):,} | *{pl} − bare forwarder* | | {fmt(diff['rss_kb'], 1)} | {fmt(diff['anon_kb'], 1)} "
                       f"| {fmt(diff['file_kb'], 1)} | {fmt(diff['gc_kb'], 1)} | |")
    return out + [""]
