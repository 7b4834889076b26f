"""Medians and ratios over the rounds of one run (each round measures every target minutes apart at most)."""
import statistics


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1, unit=""):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}{unit}"


def headline_label(ns):
    for label in ("llm-proxy /v1", "llm-proxy /proxy", "llm-proxy /proxy (stub)"):
        if label in ns["scenarios"]:
            return label
    return None


def metric(ns, label, mode, key):
    return med([r[label][mode][key] for r in ns["rounds"] if label in r and mode in r[label]])


def ratio(ns, a, b, mode, key):
    """Median over rounds of a/b within each round."""
    return med([r[a][mode][key] / r[b][mode][key] for r in ns["rounds"]
                if a in r and b in r and mode in r[a] and mode in r[b] and r[b][mode][key]])


def diff(ns, a, b, mode, key):
    return med([r[a][mode][key] - r[b][mode][key] for r in ns["rounds"]
                if a in r and b in r and mode in r[a] and mode in r[b]])


def stream_label(st):
    labels = set()
    for row in st.get("latency", []):
        labels.update(row)
    for label in ("llm-proxy /v1", "llm-proxy /proxy/stream"):
        if label in labels:
            return label
    return None


def stream_diff(st, label, key, q):
    vals = []
    for row in st.get("latency", []):
        if label in row and "direct" in row and "error" not in row[label] and "error" not in row["direct"]:
            a, b = row[label][key][q], row["direct"][key][q]
            if a is not None and b is not None:
                vals.append(a - b)
    return med(vals)


def hold_proxy_label(row):
    return next((k for k in row if k.startswith("llm-proxy")), None)


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
