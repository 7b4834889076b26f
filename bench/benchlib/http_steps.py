"""Request/response steps: the headline comparison (CPU per request against nginx and the bare forwarder, same run),
cost growth with connections, and perf profiles of the proxy and of the bare forwarder under the same load."""
import subprocess
from pathlib import Path

from . import load, profiles, servers
from .servers import Fleet, probe_route

PROXY_ROUTES = [("llm-proxy /v1", "/v1/chat/completions", "chat"),
                ("llm-proxy /proxy", "/proxy", "chat"),
                ("llm-proxy /proxy (stub)", "/proxy", "stub")]


def start_all(args, pin, logdir, fleet, name=""):
    """The fake upstream (10 events per stream, back to back), nginx, the bare forwarder and llm-proxy."""
    fake = fleet.add(servers.start_fake(args, pin, logdir, name=f"fake{name}"))
    nginx = fleet.add(servers.start_nginx(args, pin, logdir, fake.port, name=f"nginx{name}"))
    bare = fleet.add(servers.start_bare(args, pin, logdir, fake.port, name=f"bare{name}"))
    proxy = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name=f"llm-proxy{name}"))
    return fake, nginx, bare, proxy


def headline(args, pin, logdir, results, log):
    """Every target in every round (so drift on the shared machine hits all alike): saturated (16 connections, as
    fast as wrk can), paced (each connection pauses between requests: latency without queueing) and short SSE streams
    (10 events back to back, saturated). The upstream's CPU is never counted."""
    bodies = args.bodies
    with Fleet() as fleet:
        fake, nginx, bare, proxy = start_all(args, pin, logdir, fleet)
        scenarios = [("direct", fake, "/v1/chat/completions", "chat"), ("nginx", nginx, "/v1/chat/completions", "chat"),
                     ("bare forwarder", bare, "/v1/chat/completions", "chat")]
        availability = {}
        routes = PROXY_ROUTES[:1] if args.quick else PROXY_ROUTES
        for label, path, body in routes:
            status, answer = probe_route(proxy.port, path, bodies[body])
            availability[label] = {"status": status, "answer": answer}
            if status == 200:
                scenarios.append((label, proxy, path, body))
            else:
                log(f"{label}: {path} answered {status}: {answer[:120]!r}; not measured in this build")
        # Variants (another build, other settings) beside the first proxy route that works, as "llm-proxy [name] ...".
        first = next((s for s in scenarios if s[0].startswith("llm-proxy")), None)
        for vname, vbinary, venv in servers.variants(args) if first else []:
            v = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name=f"llm-proxy-{vname}",
                                              binary=vbinary, extra_env=venv))
            if probe_route(v.port, first[2], bodies[first[3]])[0] == 200:
                scenarios.append((first[0].replace("llm-proxy", f"llm-proxy [{vname}]"), v, first[2], first[3]))
        if args.quick:
            scenarios = [s for s in scenarios if s[0] != "direct"]
        results["availability"] = availability
        modes = [("saturated", 0, "chat")] + ([] if args.quick else [("paced", args.pace_ms, "chat")])
        modes.append(("stream", 0, "stream"))
        for label, srv, path, body in scenarios:  # warm pools and first-request paths
            load.wrk(pin, srv.port, path, bodies[body], 2)
        rounds = []
        for r in range(args.rounds):
            log(f"headline round {r + 1}/{args.rounds}")
            row = {}
            for label, srv, path, body in scenarios:
                row[label] = {}
                for mode, delay, kind in modes:
                    p, b = (path, body) if kind == "chat" else streaming_twin(path, body)
                    row[label][mode] = load.measured_wrk(pin, srv, p, bodies[b], args.duration, delay_ms=delay)
                s, st = row[label]["saturated"], row[label]["stream"]
                log(f"  {label:32s} {s['rps']:8.0f} req/s  cpu {s['cpu_us_per_req']:6.1f} us/req  "
                    f"stream cpu {st['cpu_us_per_req']:6.1f} us/stream  rss {s['rss_mb']:.1f} MB"
                    + (f"  ERRORS {s['errors'] + st['errors']}" if s["errors"] + st["errors"] else ""))
            rounds.append(row)
        results["non_streaming"] = {"rounds": rounds, "scenarios": [s[0] for s in scenarios],
                                    "modes": [m[0] for m in modes]}
        if args.profile and first:
            results["profile"] = profile(args, pin, [(first[0], first[1], first[2], bodies[first[3]]),
                                                     ("bare forwarder", bare, "/v1/chat/completions", bodies["chat"])],
                                         logdir)


def streaming_twin(path, body):
    """The streaming request of a scenario: /proxy streams on /proxy/stream; the bodies ask for "stream": true."""
    return ("/proxy/stream" if path == "/proxy" else path), ("stream-stub" if body == "stub" else "stream")


def growth(args, pin, logdir, results, log):
    """CPU per request and RSS of nginx, the bare forwarder and llm-proxy /v1 as the connection count grows."""
    body = args.bodies["chat"]
    out = {"connections": args.growth_connections, "targets": {}}
    with Fleet() as fleet:
        _, nginx, bare, proxy = start_all(args, pin, logdir, fleet, name="-growth")
        targets = [("nginx", nginx), ("bare forwarder", bare), ("llm-proxy /v1", proxy)]
        for c in args.growth_connections:
            for label, srv in targets:
                runs = [load.measured_wrk(pin, srv, "/v1/chat/completions", body, args.growth_duration, connections=c)
                        for _ in range(args.growth_rounds)]
                out["targets"].setdefault(label, {})[str(c)] = runs
                log(f"growth: {c} connections via {label}: "
                    + ", ".join(f"{x['cpu_us_per_req']:.1f} us/req {x['rss_mb']:.1f} MB" for x in runs))
    results["growth"] = out


# 499 Hz costs the target little (2,999 Hz cost a third of its requests/s); 10 s at least give about a thousand samples
# per target on one shared core.
HEADLINE_FREQ = 499
PROFILE_MIN_SECONDS = 10
# Inclusive shares beside the self-time components: everything called from these frames (so llm-proxy's own code
# with the JSON, header and pipe work it asks for), as % of samples.
HEADLINE_FRAMES = {
    "under the target's own code (llm-proxy's `LlmProxy.*`; the bare forwarder's `Forwarder`)": r"^(?:llm_proxy|bare_forwarder)_",
    "under Kestrel's request loop (`HttpProtocol.ProcessRequests`)": r"HttpProtocol__ProcessRequests",
    "under `SocketsHttpHandler` (`HttpConnection.SendAsync`)": r"System_Net_Http_HttpConnection__SendAsync",
    "under the GC (`WKS::`/`SVR::` collections)": r"^(?:WKS|SVR)::",
}


def profile(args, pin, targets, logdir):
    """perf samples of each (label, server, path, body) under the same saturating load, one after the other; symbols
    from the .dbg beside each binary. The first (llm-proxy) keeps `perf report`'s own top lines as before; each gets
    its CPU by component (self time of the leaf frame) and the inclusive shares above."""
    why = profiles.missing()
    if why:
        return {"error": why}
    profiles.add_symbols(profiles.symbols_of(Path(args.proxy_binary)), profiles.symbols_of(Path(args.bare_binary)))
    seconds = max(args.duration, PROFILE_MIN_SECONDS)
    out = {"freq": HEADLINE_FREQ, "seconds": seconds, "targets": {}}
    for i, (label, srv, path, body) in enumerate(targets):
        data = logdir / f"perf-{'proxy' if i == 0 else 'bare'}.data"
        rec = profiles.attach(srv.pid, data, HEADLINE_FREQ)
        load.wrk(pin, srv.port, path, body, seconds)
        err = profiles.detach(rec, data)
        if err:
            out["targets"][label] = {"error": err}
            continue
        smp = profiles.samples(data)
        out["targets"][label] = {"path": path, "samples": len(smp), "components": profiles.by_component(smp),
                                 "under": profiles.share_under(smp, HEADLINE_FRAMES),
                                 "kernel": profiles.kernel_entries(smp),
                                 "top": profiles.top_symbols(smp, 12)}
        if i == 0:
            out.update(path=path, **report_lines(data))
    return out


def report_lines(data):
    """`perf report`'s own view of one recording: top symbols (>= 1 %) and shares by shared object."""
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso,sym",
                          "--percent-limit", "1", "-g", "none"], capture_output=True, text=True)
    lines = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    dsos = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso",
                           "-g", "none"], capture_output=True, text=True)
    dso_lines = [ln for ln in dsos.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    return {"top": lines[:25], "by_dso": dso_lines[:10]}
