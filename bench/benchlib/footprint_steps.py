"""Footprint steps, measured as a user runs the binary (servers on every CPU): binary size, cold start and CPU to
ready, idle RSS after start and after the same request count for every target and variant; GC settings as variants
of the same binary; and the leak check (RSS and fds over a long run)."""
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

from . import load, proc, servers
from .servers import Fleet, probe_route

# Variants of the shipped binary for the GC step: (name, environment). The binary ships the server GC (the Web SDK's
# default) with DATAS, .NET's dynamic adaptation of the heap count; GCgen0size is hexadecimal bytes.
GC_VARIANTS = [
    ("shipped (server GC, DATAS)", {}),
    ("workstation", {"DOTNET_gcServer": "0"}),
    ("workstation, gen0 4 MB", {"DOTNET_gcServer": "0", "DOTNET_GCgen0size": "0x400000"}),
    ("workstation, conserve 5", {"DOTNET_gcServer": "0", "DOTNET_GCConserveMemory": "5"}),
    ("workstation, non-concurrent", {"DOTNET_gcServer": "0", "DOTNET_gcConcurrent": "0"}),
    ("server, conserve 5", {"DOTNET_gcServer": "1", "DOTNET_GCConserveMemory": "5"}),
    ("server, no DATAS", {"DOTNET_gcServer": "1", "DOTNET_GCDynamicAdaptationMode": "0"}),
]


def cold_starts(binary_cmd, env, count, path="/healthz"):
    """Spawn to first 200 on path (a raw socket poll, 1 ms apart: urllib's own cost would blur a ~20 ms figure), and
    the process's CPU up to that answer: on-CPU time of its threads (ns) and utime+stime (10 ms ticks)."""
    walls, oncpu, ticks = [], [], []
    for _ in range(count):
        one = cold_start(binary_cmd, env, path)
        if one:
            walls.append(one[0])
            ticks.append(one[1])
            if one[2] is not None:
                oncpu.append(one[2])
    return cold_start_summary(walls, oncpu, ticks, count)


def cold_start(binary_cmd, env, path="/healthz"):
    """One start: (wall ms, CPU ticks ms, on-CPU ms or None), or None when no 200 came within 10 s."""
    port = servers.free_port()
    args = [a.replace("{port}", str(port)) for a in binary_cmd]
    full_env = dict(os.environ, **{k: v.replace("{port}", str(port)) for k, v in env.items()})
    t0 = time.perf_counter()
    p = subprocess.Popen(args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = None
    while time.perf_counter() - t0 < 10:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                # The Host a client of this address sends: the proxy refuses other names with 403 (docs/security.md).
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    wall = (time.perf_counter() - t0) * 1000
                    on = proc.oncpu_seconds(p.pid)
                    out = (wall, proc.cpu_seconds(p.pid) * 1000, None if on is None else on * 1000)
                    break
        except OSError:
            time.sleep(0.001)
    p.terminate()
    p.wait(timeout=15)
    return out


def cold_start_summary(walls, oncpu, ticks, count):
    med = lambda v: statistics.median(v) if v else None  # noqa: E731
    return {"ms": walls, "median_ms": med(walls), "cpu_median_ms": med(oncpu), "cpu_ticks_median_ms": med(ticks),
            "failed": count - len(walls)}


def interleaved_cold_starts(targets, count):
    """Cold starts of several (name, command, env) targets taken in turn, so that a busy neighbour weighs on each
    alike: {name: summary}."""
    runs = {name: ([], [], []) for name, _, _ in targets}
    for _ in range(count):
        for name, cmd, env in targets:
            one = cold_start(cmd, env)
            if one:
                walls, ticks, oncpu = runs[name]
                walls.append(one[0])
                ticks.append(one[1])
                if one[2] is not None:
                    oncpu.append(one[2])
    return {name: cold_start_summary(w, o, t, count) for name, (w, t, o) in runs.items()}


def idle_rss(pin, srv, path, body, requests, settle_s=1.0):
    """RSS 1 s after start, then exactly `requests` requests (16 connections), RSS again 2 s after the last one."""
    time.sleep(settle_s)
    out = {"idle_rss_after_start_mb": proc.rss_bytes(srv.pid) / 2**20}
    run = load.measured_wrk(pin, srv, path, body, 600, max_requests=requests)
    time.sleep(2.0)
    out.update(idle_rss_after_requests_mb=proc.rss_bytes(srv.pid) / 2**20, requests=run["requests"],
               requests_path=path, peak_rss_mb=run["rss_mb"], cpu_us_per_req=run["cpu_us_per_req"], rps=run["rps"])
    return out


PROXY_START_ENV = {"HOST": "127.0.0.1", "PORT": "{port}", "LLM_PROVIDER": "stub", "LOG_LEVEL": "WARNING"}


def footprint(args, pin, logdir, results, log):
    """The shipped binary's figures (the budgets read them), and the same figures for every --baseline-binary and
    --variant beside it, cold starts interleaved with the shipped binary's."""
    unpinned = pin.servers_unpinned()
    proxy_bin, bare_bin = Path(args.proxy_binary), Path(args.bare_binary)
    out = {"binary_bytes": proxy_bin.stat().st_size, "bare_binary_bytes": bare_bin.stat().st_size}
    others = [{"name": name, "binary": str(binary or proxy_bin), "env": env,
               "binary_bytes": Path(binary or proxy_bin).stat().st_size} for name, binary, env in servers.variants(args)]
    starts = interleaved_cold_starts([("llm-proxy", [str(proxy_bin)], PROXY_START_ENV)]
                                     + [(o["name"], [o["binary"]], dict(PROXY_START_ENV, **o["env"])) for o in others],
                                     args.cold_starts)
    out["cold_start"] = starts["llm-proxy"]
    for o in others:
        o["cold_start"] = starts[o["name"]]
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, unpinned, logdir, name="fake-footprint"))
        # The bare forwarder has no routes of its own: ready is its first forwarded answer (the fake's /v1/models).
        out["bare_cold_start"] = cold_starts([str(bare_bin), "{port}", f"http://127.0.0.1:{fake.port}"], {},
                                             args.cold_starts, path="/v1/models")
        body = args.bodies["chat"]
        proxy = fleet.add(servers.start_proxy(args, unpinned, logdir, fake.port, name="llm-proxy-footprint"))
        path = "/v1/chat/completions" if probe_route(proxy.port, "/v1/chat/completions", body)[0] == 200 else "/proxy"
        out.update(idle_rss(pin, proxy, path, body, args.footprint_requests))
        proxy.stop()
        for o in others:
            other = fleet.add(servers.start_proxy(args, unpinned, logdir, fake.port, name=f"llm-proxy-footprint-{o['name']}",
                                                  binary=o["binary"], extra_env=o["env"]))
            o.update(idle_rss(pin, other, path, body, args.footprint_requests))
            other.stop()
        bare = fleet.add(servers.start_bare(args, unpinned, logdir, fake.port, name="bare-footprint"))
        out["bare"] = idle_rss(pin, bare, "/v1/chat/completions", body, args.footprint_requests)
    out["others"] = others
    results["footprint"] = out
    for label, x in [("llm-proxy", out)] + [(f"[{o['name']}]", o) for o in others]:
        cs = x["cold_start"]
        log(f"footprint {label}: {x['binary_bytes'] / 1e6:.2f} MB, cold start median {cs['median_ms'] or 0:.1f} ms "
            f"(CPU {cs['cpu_median_ms'] or 0:.1f} ms), idle RSS {x['idle_rss_after_start_mb']:.1f} -> "
            f"{x['idle_rss_after_requests_mb']:.1f} MB after {x['requests']:,} requests")


def gc_settings(args, pin, logdir, results, log):
    """The same binary under each GC setting, the same request count for each (wrk stops after that many responses),
    rounds interleaved; throughput, CPU per request, RSS after start, peak and after the requests, per variant."""
    unpinned = pin.servers_unpinned()
    body = args.bodies["chat"]
    variants = GC_VARIANTS + [servers.parse_variant(v)[::2] for v in args.gc_variant]
    rows = {name: [] for name, _ in variants}
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, unpinned, logdir, name="fake-gc"))
        for r in range(args.rounds):
            for name, env in variants:
                slug = "".join(c if c.isalnum() else "-" for c in name)
                proxy = servers.start_proxy(args, unpinned, logdir, fake.port, name=f"llm-proxy-gc-{slug}-{r + 1}",
                                            extra_env=env)
                try:
                    path = "/v1/chat/completions"
                    if probe_route(proxy.port, path, body)[0] != 200:
                        path = "/proxy"
                    rows[name].append(idle_rss(pin, proxy, path, body, args.footprint_requests))
                finally:
                    proxy.stop()
                x = rows[name][-1]
                log(f"gc round {r + 1} [{name}]: {x['rps']:.0f} req/s, {x['cpu_us_per_req']:.1f} us/req, RSS "
                    f"{x['idle_rss_after_start_mb']:.1f} / peak {x['peak_rss_mb']:.1f} / after {x['idle_rss_after_requests_mb']:.1f} MB")
    results["gc"] = {"requests": args.footprint_requests, "variants": [
        {"name": name, "env": env, "runs": rows[name]} for name, env in variants]}


def leak(args, pin, logdir, results, log):
    body = args.bodies["chat"]
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, pin, logdir, name="fake-leak"))
        proxy = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name="llm-proxy-leak"))
        path = "/v1/chat/completions"
        if probe_route(proxy.port, path, body)[0] != 200:
            path = "/proxy"
        samples = [{"requests": 0, "rss_mb": proc.rss_bytes(proxy.pid) / 2**20, "fds": proc.open_fds(proxy.pid), "t": 0.0}]
        total, errors, t0 = 0, 0, time.monotonic()
        # wrk runs in slices; between slices (connections closed and reopened: churn an fd leak would show) the
        # proxy's RSS and fds are sampled with the exact request count so far.
        while total < args.leak_requests:
            res = load.wrk(pin, proxy.port, path, body, args.leak_slice)
            total += res["requests"]
            errors += res["errors"]
            time.sleep(0.2)
            samples.append({"requests": total, "rss_mb": proc.rss_bytes(proxy.pid) / 2**20,
                            "fds": proc.open_fds(proxy.pid), "t": time.monotonic() - t0})
        results["leak"] = {"path": path, "requests": total, "errors": errors, "seconds": time.monotonic() - t0,
                           "samples": samples}
        log(f"leak check: {total} requests in {time.monotonic() - t0:.0f}s; "
            f"RSS {samples[1]['rss_mb']:.1f} -> {samples[-1]['rss_mb']:.1f} MB, fds {samples[1]['fds']} -> {samples[-1]['fds']}")
