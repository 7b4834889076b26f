"""SVG charts (no packages): docs/benchmarks.svg (bars per target, leak lines) and docs/benchmarks-growth.svg (cost
against connections and open streams, one line per target)."""
from xml.sax.saxutils import escape

from .stats import med, metric

COLORS = {"direct": "#8c8c8c", "nginx": "#2f9e44", "bare forwarder": "#f59f00"}
W = 980


def color(label):
    return COLORS.get(label, "#1c7ed6" if "[" not in label else "#ae3ec9")


def svg(width, height, parts):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>' + "".join(parts) + "</svg>\n")


def bars(x, y, w, title, items, unit, digits=1):
    """A horizontal bar panel: items = [(label, value)]."""
    items = [(label, v) for label, v in items if v is not None]
    parts = [f'<text x="{x}" y="{y + 14}" font-size="13" font-weight="bold">{escape(title)}</text>']
    top = max((v for _, v in items), default=0) or 1
    for i, (label, v) in enumerate(items):
        yy = y + 26 + i * 22
        bw = (w - 230) * v / top
        parts.append(f'<text x="{x}" y="{yy + 13}" font-size="11">{escape(label)}</text>')
        parts.append(f'<rect x="{x + 170}" y="{yy}" width="{bw:.1f}" height="16" fill="{color(label)}"/>')
        parts.append(f'<text x="{x + 174 + bw:.1f}" y="{yy + 13}" font-size="11">{v:,.{digits}f}{escape(unit)}</text>')
    return "".join(parts)


def lines(x, y, w, h, title, xs, series, unit, xlabel):
    """Lines over evenly spaced categories xs (connection or stream counts): series = {label: [value per x]}."""
    parts = [f'<text x="{x}" y="{y + 14}" font-size="13" font-weight="bold">{escape(title)}</text>']
    values = [v for vals in series.values() for v in vals if v is not None]
    if len(xs) < 2 or not values:
        return "".join(parts)
    top = max(values) * 1.15 or 1
    px = lambda i: x + 50 + (w - 80) * i / (len(xs) - 1)  # noqa: E731
    py = lambda v: y + 30 + (h - 75) * (1 - v / top)  # noqa: E731
    parts.append(f'<line x1="{x + 50}" y1="{py(0):.1f}" x2="{x + w - 30}" y2="{py(0):.1f}" stroke="#999"/>')
    for frac in (0.5, 1.0):
        v = max(values) * frac
        parts.append(f'<text x="{x}" y="{py(v) + 4:.1f}" font-size="10">{v:,.0f}{escape(unit)}</text>')
        parts.append(f'<line x1="{x + 50}" y1="{py(v):.1f}" x2="{x + w - 30}" y2="{py(v):.1f}" stroke="#eee"/>')
    step = max(1, (len(xs) + 5) // 6)  # at most about six tick labels
    for i, c in enumerate(xs):
        if i % step == 0 or i == len(xs) - 1:
            parts.append(f'<text x="{px(i) - 10:.1f}" y="{y + h - 28}" font-size="10">{c:,}</text>')
    parts.append(f'<text x="{x + w / 2 - 40:.0f}" y="{y + h - 14}" font-size="10">{escape(xlabel)}</text>')
    for k, (label, vals) in enumerate(series.items()):
        pts = [(px(i), py(v)) for i, v in enumerate(vals) if v is not None]
        if pts:
            parts.append(f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}" fill="none" '
                         f'stroke="{color(label)}" stroke-width="2"/>')
            parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color(label)}"/>' for a, b in pts]
        parts.append(f'<rect x="{x + 60 + k * 140}" y="{y + 22}" width="10" height="10" fill="{color(label)}"/>')
        parts.append(f'<text x="{x + 74 + k * 140}" y="{y + 31}" font-size="10">{escape(label)}</text>')
    return "".join(parts)


def overview(results):
    panels = []
    ns = results.get("non_streaming")
    if ns:
        labels = ns["scenarios"]
        panels.append(("CPU per request, µs (target process only; lower is better)",
                       [(lb, metric(ns, lb, "saturated", "cpu_us_per_req")) for lb in labels], " µs", 1))
        panels.append(("Requests per second, 16 connections (higher is better)",
                       [(lb, metric(ns, lb, "saturated", "rps")) for lb in labels], "", 0))
        panels.append(("CPU per short SSE stream (10 events), µs",
                       [(lb, metric(ns, lb, "stream", "cpu_us_per_req")) for lb in labels], " µs", 1))
        if "paced" in ns.get("modes", []):
            panels.append(("Paced latency p99, ms (lower is better)",
                           [(lb, metric(ns, lb, "paced", "p99_ms")) for lb in labels], " ms", 3))
    for n, row in results.get("streaming", {}).get("hold", {}).items():
        panels.append((f"KB per open stream at {int(n):,} streams",
                       [(lb, v.get("kb_per_stream")) for lb, v in row.items()], " KB", 1))
    # Two panels a row, each row as tall as its longer panel.
    body, y = [], 20
    for i in range(0, len(panels), 2):
        pair = panels[i:i + 2]
        for col, (t, items, unit, d) in enumerate(pair):
            body.append(bars(20 + col * (W // 2), y, W // 2 - 30, t, items, unit, d))
        y += 50 + 22 * max(len(items) for _, items, _, _ in pair)
    height = y + 20
    leak = results.get("leak")
    if leak:
        s = leak["samples"]
        xs = [x["requests"] for x in s]
        body.append(lines(20, height - 20, W // 2 - 30, 200, "Leak check: proxy RSS, MB", xs,
                          {"llm-proxy": [x["rss_mb"] for x in s]}, "", "requests so far"))
        body.append(lines(20 + W // 2, height - 20, W // 2 - 30, 200, "Leak check: proxy open fds", xs,
                          {"llm-proxy": [x["fds"] for x in s]}, "", "requests so far"))
        height += 200
    return svg(W, height, body)


def growth(results):
    """None when this run measured neither connections nor streams at several sizes."""
    panels = []
    g = results.get("growth")
    if g:
        conns = g["connections"]
        pick = lambda key: {lb: [med([x[key] for x in by_c.get(str(c), [])]) for c in conns]  # noqa: E731
                            for lb, by_c in g["targets"].items()}
        panels.append(("CPU per request, µs, against connections", conns, pick("cpu_us_per_req"), "", "connections"))
        panels.append(("Peak RSS, MB, against connections", conns, pick("rss_mb"), "", "connections"))
    hold = results.get("streaming", {}).get("hold", {})
    if len(hold) >= 2:
        ns = sorted(int(n) for n in hold)
        labels = [lb for lb in hold[str(ns[-1])]]
        get = lambda key: {lb: [hold[str(n)].get(lb, {}).get(key) for n in ns] for lb in labels}  # noqa: E731
        panels.append(("CPU per relayed event, µs, against open streams", ns, get("cpu_us_per_event"), "", "open streams"))
        panels.append(("RSS, MB, against open streams", ns, get("rss_mb"), "", "open streams"))
    if not panels:
        return None
    h = 240
    body = [lines(20 + (i % 2) * (W // 2), 10 + (i // 2) * h, W // 2 - 30, h - 10, *p) for i, p in enumerate(panels)]
    return svg(W, 20 + ((len(panels) + 1) // 2) * h, body)
