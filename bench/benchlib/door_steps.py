"""The doors step: CPU per streamed event through the binary for a translated front door beside the OpenAI route.

One llm-proxy in front of one fake upstream that streams `--door-chunks` content chunks back to back. The same streams
go through `/v1/chat/completions` (each upstream event copied as it is) and through `/v1/messages` (each upstream chunk
read with one Utf8JsonReader pass and written as Anthropic's events), rounds interleaved, the order flipped every round.
CPU per event = the proxy's utime+stime over the run ÷ the upstream events of the streams that completed (role chunk,
content chunks, finish chunk, [DONE]): the same denominator for both routes, so the ratio is the ratio of CPU per stream.
Each figure includes the request's own cost (routing, and for /v1/messages the parse and the translated body) spread
over its events."""
from pathlib import Path

from . import load, proc, servers
from .servers import Fleet, probe_route
from .stats import med

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
ROUTES = [("/v1/chat/completions (copy)", "/v1/chat/completions", "stream"),
          ("/v1/messages (Anthropic)", "/v1/messages", "messages-stream")]
BASELINE = ROUTES[0][0]


def doors(args, pin, logdir, results, log):
    bodies = dict(args.bodies, **{"messages-stream": SCRIPTS / "messages-stream.json"})
    chunks, streams = args.door_chunks, args.door_streams
    upstream_events = chunks + 3
    out = results["doors"] = {"chunks": chunks, "streams": streams, "concurrency": 10, "rounds": [], "availability": {}}
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, pin, logdir, name="fake-doors", chunks=chunks, interval_ms=0))
        proxy = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name="llm-proxy-doors"))
        routes = []
        for label, path, body in ROUTES:
            status, answer = probe_route(proxy.port, path, bodies[body])
            out["availability"][label] = {"status": status, "answer": answer}
            if status == 200:
                routes.append((label, path, bodies[body]))
            else:
                log(f"doors: {path} answered {status}: {answer[:120]!r}; not measured in this build")
        for _, path, body in routes:  # warm pools, JIT-free but first-request paths still cold
            load.stream_latency(pin, proxy.port, path, body, max(10, streams // 10))
        for r in range(args.rounds):
            row = {}
            for label, path, body in routes if r % 2 == 0 else list(reversed(routes)):
                cpu0 = proc.cpu_seconds(proxy.pid)
                res = load.stream_latency(pin, proxy.port, path, body, streams)
                cpu = proc.cpu_seconds(proxy.pid) - cpu0
                if "error" in res:
                    row[label] = {"error": res["error"]}
                    continue
                events = res["ok"] * upstream_events
                row[label] = {"ok": res["ok"], "failed": res["failed"], "cpu_seconds": cpu,
                              "client_events_per_stream": res["events_per_stream"],
                              "cpu_us_per_event": cpu * 1e6 / events if events else None}
            out["rounds"].append(row)
            log(f"doors round {r + 1}/{args.rounds}: " + ", ".join(
                f"{k} {v['cpu_us_per_event']:.2f} µs/event" for k, v in row.items() if v.get("cpu_us_per_event")))


def summary(results):
    """Medians over rounds per route, and the median of each round's ratio to the /v1 copy."""
    d = results.get("doors")
    if not d or not d.get("rounds"):
        return []
    labels = [lb for lb, _, _ in ROUTES if any(lb in r for r in d["rounds"])]
    rows = []
    for label in labels:
        runs = [r[label] for r in d["rounds"] if label in r and r[label].get("cpu_us_per_event")]
        ratios = [r[label]["cpu_us_per_event"] / r[BASELINE]["cpu_us_per_event"] for r in d["rounds"]
                  if label in r and BASELINE in r and r[label].get("cpu_us_per_event") and r[BASELINE].get("cpu_us_per_event")]
        rows.append({"label": label, "cpu_us_per_event": med([x["cpu_us_per_event"] for x in runs]),
                     "ratio": med(ratios), "client_events_per_stream": med([x["client_events_per_stream"] for x in runs]),
                     "failed": sum(x["failed"] for x in runs), "rounds": len(runs)})
    return rows
