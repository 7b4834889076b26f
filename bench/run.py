#!/usr/bin/env python3
"""llm-proxy benchmark runner, behind `./build.sh bench` (which installs wrk and nginx and publishes the binaries).

Everything is measured side by side in one run and quoted as medians over rounds and as ratios within a round,
because the machine is shared and noisy. Targets, all in front of the same AOT fake upstream: direct, nginx
proxy_pass, the bare forwarder (Kestrel + one SocketsHttpHandler, no features) and llm-proxy (bench/benchlib/servers.py).

Steps (--only picks some): headline (CPU per request vs nginx and the bare forwarder, paced latency, short SSE
streams), growth (cost against connections), latency (streaming time to first event and gaps), scale (1,000 /
5,000 / 10,000 streams held open: RSS, KB per stream, CPU per relayed event), doors (CPU per streamed event of
each translating front door beside /v1, through the binary), footprint (binary size, cold start,
CPU to ready, idle RSS), gc (GC settings as variants, same request count), leak, limits (the rate limit counted in
memory or in Redis, beside no limit: CPU per request and added latency), micro (BenchmarkDotNet); then the
budget step marks every budget met or missed. Rewrites docs/BENCHMARKS.md, docs/benchmarks.svg and
docs/benchmarks-growth.svg.

  --quick   the headline comparison only (nginx, bare forwarder, llm-proxy /v1 and any --variant/--baseline-binary),
            a few minutes; writes artifacts/bench/BENCHMARKS.quick.md: the before/after check for optimisation work.
            With --only, those steps instead (`--quick --only footprint`: size, cold start, CPU to ready and idle RSS
            of the binary beside --baseline-binary and each --variant)
  --only doors  each translating front door's CPU per streamed event beside /v1's, a few minutes
  --smoke   every step for a few seconds, to check the runner itself; writes artifacts/bench/BENCHMARKS.smoke.md
  --no-profile  no perf profiles (otherwise the start-up profile in the footprint step and llm-proxy's and the bare
            forwarder's CPU by component in the headline step, in every mode; perf missing only skips them)
  --render  measure nothing: rewrite the docs from the last run's artifacts/bench/results.json
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchlib import budgets, charts, door_steps, footprint_steps, http_steps, limit_steps, markdown, micro, proc, stream_steps  # noqa: E402
from benchlib.servers import Pinning  # noqa: E402

# build.sh's LLMPROXY_ARTIFACTS moves the published binaries (and so what is measured and where results go).
ARTIFACTS = Path(os.environ.get("LLMPROXY_ARTIFACTS") or ROOT / "artifacts")
ART = ARTIFACTS / "bench"
STEPS = [("headline", http_steps.headline), ("growth", http_steps.growth), ("latency", stream_steps.latency),
         ("scale", stream_steps.scale), ("doors", door_steps.doors), ("footprint", footprint_steps.footprint), ("gc", footprint_steps.gc_settings),
         ("leak", footprint_steps.leak), ("limits", limit_steps.limits), ("micro", micro.micro)]
ALIASES = {"nonstreaming": {"headline"}, "streaming": {"latency", "scale", "doors"}}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def machine():
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "unknown")
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    tools = {}
    for name, cmd in (("wrk", ["wrk", "-v"]), ("nginx", ["nginx", "-v"]), ("dotnet", ["dotnet", "--version"])):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            tools[name] = (r.stdout + r.stderr).strip().splitlines()[0]
        except OSError:
            tools[name] = "missing"
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gib": int(mem) / 2**20, "kernel": platform.release(),
            "loadavg_at_start": loadavg(), "tools": tools}


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def ints(text):
    return [int(x) for x in text.split(",") if x]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--proxy-binary", default=str(ARTIFACTS / "llm-proxy"))
    p.add_argument("--baseline-binary", help="a second llm-proxy binary measured beside the first (before/after)")
    p.add_argument("--variant", action="append", default=[],
                   help="NAME:ENV=VALUE,... the same binary with other settings, measured beside it in the headline")
    p.add_argument("--gc-variant", action="append", default=[], help="NAME:ENV=VALUE,... one more variant for the gc step")
    p.add_argument("--fake-binary", default=str(ART / "fake-upstream"))
    p.add_argument("--bare-binary", default=str(ART / "bare-forwarder"))
    p.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pace-ms", type=int, default=10, help="pause per connection between paced requests")
    p.add_argument("--growth-connections", type=ints, default=[1, 8, 32, 128, 512])
    p.add_argument("--growth-duration", type=int, default=5)
    p.add_argument("--growth-rounds", type=int, default=1)
    p.add_argument("--latency-streams", type=int, default=200)
    p.add_argument("--streams", type=ints, default=[1000, 5000, 10000], help="stream counts held open")
    p.add_argument("--settle-seconds", type=float, default=3)
    p.add_argument("--event-window", type=float, default=10, help="seconds over which CPU per relayed event is taken")
    p.add_argument("--door-events", type=ints, default=[10, 210],
                   help="SHORT,LONG: events per stream of the doors step (per event = the CPU difference / (LONG-SHORT))")
    p.add_argument("--leak-requests", type=int, default=1_000_000)
    p.add_argument("--leak-slice", type=int, default=10, help="seconds per wrk slice in the leak check")
    p.add_argument("--cold-starts", type=int, default=20)
    p.add_argument("--footprint-requests", type=int, default=20_000, help="requests before the idle RSS (every target)")
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--no-micro", action="store_true")
    p.add_argument("--no-profile", action="store_true",
                   help="no perf profiles (start-up in the footprint step; llm-proxy and the bare forwarder in the headline)")
    p.add_argument("--only", default="", help="comma list of: " + ",".join(n for n, _ in STEPS) + " (or nonstreaming, streaming)")
    p.add_argument("--update", action="store_true",
                   help="with --only: keep the other steps' results of the last run (artifacts/bench/results.json)")
    p.add_argument("--quick", action="store_true",
                   help="the headline comparison only (or the --only steps), written apart from the full run's results")
    p.add_argument("--smoke", action="store_true", help="every step for a few seconds (checks the runner)")
    p.add_argument("--render", action="store_true",
                   help="measure nothing: rewrite the docs from artifacts/bench/results.json (after editing bench/NOTES.md)")
    p.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = p.parse_args()
    only = set()
    for name in filter(None, args.only.split(",")):
        only |= ALIASES.get(name, {name})
    unknown = only - {n for n, _ in STEPS}
    if unknown:
        p.error(f"unknown step(s) in --only: {', '.join(sorted(unknown))}")
    if args.quick:
        # The headline unless --only names other steps (e.g. --quick --only footprint for a start-up or size change).
        only = only or {"headline"}
        args.rounds = args.rounds if "--rounds" in sys.argv else 5
        args.duration = args.duration if "--duration" in sys.argv else 5
        args.out = str(ART / "BENCHMARKS.quick.md")
    if args.smoke:
        args.duration, args.rounds, args.latency_streams, args.streams = 1, 1, 20, [50, 100]
        args.settle_seconds, args.event_window, args.growth_connections, args.growth_duration = 1, 2, [1, 16], 1
        args.leak_requests, args.leak_slice, args.cold_starts, args.footprint_requests = 5000, 1, 3, 2000
        args.door_events = [5, 25]
        args.no_micro, args.out = True, str(ART / "BENCHMARKS.smoke.md")
    if args.no_micro:
        only = only or {n for n, _ in STEPS}
        only.discard("micro")
    args.only = only
    args.profile = not args.no_profile
    args.root, args.artifacts, args.art = ROOT, ARTIFACTS, ART
    return args


def bodies():
    """Request bodies: chat.json (non-streaming), chat-stream.json, both for the model the proxy routes to its stub, and
    one per translating front door (streaming)."""
    scripts = ROOT / "bench" / "scripts"
    out = {"chat": scripts / "chat.json", "stream": scripts / "chat-stream.json", "ollama-chat": scripts / "ollama-chat.json",
           "messages-stream": scripts / "messages-stream.json"}
    for key, src in (("stub", "chat"), ("stream-stub", "stream")):
        out[key] = ART / f"{src}-stub.json"
        out[key].write_text(out[src].read_text().replace('"bench-model"', '"bench-stub"'))
    return out


def main():
    args = parse_args()
    ART.mkdir(parents=True, exist_ok=True)
    if args.render:
        if not results_file(args).exists():
            log(f"--render: no {results_file(args)} (run the benchmark first)")
            return 2
        write_docs(args, json.loads(results_file(args).read_text()))
        return 0
    args.bodies = bodies()
    limits = proc.raise_limits(max(args.streams, default=0), log)
    logdir = Path(tempfile.mkdtemp(prefix="run-", dir=ART))
    pin = Pinning(not args.no_pin)
    started = time.monotonic()
    # "os_limits", not "limits": that key is the rate-limits step's (bench/benchlib/limit_steps.py).
    results = {"machine": machine(), "pinning": pin.describe(), "os_limits": limits,
               "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": "./build.sh bench " + " ".join(sys.argv[1:]),
               "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                        if k not in ("bodies", "only")}}
    if args.update and results_file(args).exists():
        previous = json.loads(results_file(args).read_text())
        previous["command"] += "\n" + results["command"]
        previous.pop("failures", None)
        results = previous
    log(f"logs in {logdir}; {pin.describe()}; limits {limits}")
    for name, fn in STEPS:
        if args.only and name not in args.only:
            continue
        t = time.monotonic()
        try:
            fn(args, pin, logdir, results, log)
        except Exception as e:  # noqa: BLE001 - one broken step is reported, the others still run
            log(f"{name} failed: {e}")
            results.setdefault("failures", {})[name] = str(e)
        results.setdefault("step_seconds", {})[name] = time.monotonic() - t
        results.setdefault("loadavg_after_step", {})[name] = loadavg()[0]
    results["seconds"] = (results.get("seconds", 0) if args.update else 0) + time.monotonic() - started
    results["loadavg_at_end"] = loadavg()
    # The budget step: every budget met or missed from this run's figures (bench/benchlib/budgets.py).
    results["budgets"] = budgets.evaluate(results)
    results_file(args).write_text(json.dumps(results, indent=1))
    print(budgets.console(results["budgets"]), flush=True)
    write_docs(args, results)
    return 1 if results.get("failures") else 0


def suffix(args):
    return ".quick" if args.quick else ".smoke" if args.smoke else ""


def results_file(args):
    """artifacts/bench/results.json for full runs; a quick or smoke run keeps its own, so it never replaces them."""
    return ART / f"results{suffix(args)}.json"


def write_docs(args, results):
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in ((f"benchmarks{suffix(args)}.svg", charts.overview(results)),
                          (f"benchmarks-growth{suffix(args)}.svg", charts.growth(results))):
        if content is not None:
            (out.parent / name).write_text(content)
            written.append((name.split(".")[0], name))
    out.write_text(markdown.render(results, written, with_notes=not (args.quick or args.smoke)))
    log(f"wrote {out} and {', '.join(n for _, n in written)} in {results['seconds']:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
