"""Front doors: CPU per streamed event through the binary, each translating door beside /v1 in the same rounds.

/v1 frames each upstream event and relays it; a translating door (Ollama's /api/chat: one NDJSON line per event)
reads each event and writes its own (Anthropic's /v1/messages: named SSE events). The cost per event is the marginal CPU of a longer stream:
(CPU per stream of LONG events - CPU per stream of SHORT events) / (LONG - SHORT), both measured on the same proxy
binary in the same round, so the per-request work (body, routing, upstream connection, headers) cancels out and what
is left is the per-event path: read the upstream's bytes, find the event, translate or frame it, write, flush.

A door is one line in DOORS: (label, path, body key of run.py's bodies()). A door the binary does not serve yet
(its route answers something else than 200) is left out of the table and named in the log.
"""
from . import load, servers
from .servers import Fleet, probe_route

DOORS = [("/v1", "/v1/chat/completions", "stream"),
         ("ollama /api/chat", "/api/chat", "ollama-chat"),
         ("anthropic /v1/messages", "/v1/messages", "messages-stream")]


def doors(args, pin, logdir, results, log):
    short, long_ = args.door_events
    bodies = args.bodies
    with Fleet() as fleet:
        # One fake upstream and one proxy per stream length: the fake's event count is a start-up setting.
        proxies = {}
        for n in (short, long_):
            fake = fleet.add(servers.start_fake(args, pin, logdir, name=f"fake-door-{n}", chunks=n))
            proxies[n] = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name=f"llm-proxy-door-{n}"))
        available = []
        for label, path, body in DOORS:
            status, answer = probe_route(proxies[short].port, path, bodies[body])
            if status == 200:
                available.append((label, path, body))
            else:
                log(f"door {label}: {path} answered {status}: {answer[:120]!r}; not measured in this build")
        for label, path, body in available:  # warm pools and first-request paths
            for n in (short, long_):
                load.wrk(pin, proxies[n].port, path, bodies[body], 2)
        rounds = []
        for r in range(args.rounds):
            row = {}
            for label, path, body in available:
                runs = {str(n): load.measured_wrk(pin, proxies[n], path, bodies[body], args.duration) for n in (short, long_)}
                per_event = (runs[str(long_)]["cpu_us_per_req"] - runs[str(short)]["cpu_us_per_req"]) / (long_ - short)
                row[label] = {"runs": runs, "cpu_us_per_event": per_event}
                log(f"doors round {r + 1}: {label:20s} {runs[str(short)]['cpu_us_per_req']:8.1f} us/stream ({short} events), "
                    f"{runs[str(long_)]['cpu_us_per_req']:8.1f} us/stream ({long_} events) -> {per_event:.2f} us/event"
                    + (f"  ERRORS {sum(x['errors'] for x in runs.values())}" if any(x["errors"] for x in runs.values()) else ""))
            rounds.append(row)
    results["doors"] = {"events": [short, long_], "doors": [d[0] for d in available],
                        "paths": {d[0]: d[1] for d in available}, "rounds": rounds}
