#!/usr/bin/env python3
"""llm-proxy benchmark runner, behind `./build.sh bench` (which installs wrk and nginx and publishes the binaries).

Everything is measured side by side in one run and quoted as medians over rounds and as ratios, because the
machine is shared and noisy. Targets, all in front of the same fake upstream (bench/FakeUpstream, Native AOT):
  direct    the load generator talks to the fake upstream itself
  nginx     nginx proxy_pass (one worker, upstream keepalive, buffering off): the floor any HTTP proxy pays
  llm-proxy the published binary, LLM_PROVIDER=ollama, OPENAI_COMPAT_BASE_URL=the fake, request logging off

Scenarios: non-streaming throughput (saturating, 16 connections) and paced latency (16 connections, fixed pause
between requests, so latency is not queueing); the same through /proxy; streaming time to first event and gaps;
RSS at 1,000 and 5,000 concurrent streams; a leak check over --leak-requests requests; the footprint of issue #5;
the BenchmarkDotNet micro-benchmarks. It rewrites docs/BENCHMARKS.md and docs/benchmarks.svg (unless --quick).
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SCRIPTS = BENCH / "scripts"
# build.sh's LLMPROXY_ARTIFACTS moves the published binaries (and so what is measured and where results go).
ARTIFACTS = Path(os.environ.get("LLMPROXY_ARTIFACTS") or ROOT / "artifacts")
ART = ARTIFACTS / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

sys.path.insert(0, str(BENCH))
import report  # noqa: E402  (bench/report.py: markdown and SVG)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --- /proc ----------------------------------------------------------------------------------------------------

def tree(pid):
    """pid and its descendants (nginx's workers are the master's children)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for c in children:
        pids.extend(tree(int(c)))
    return pids


def cpu_ticks(pid):
    total = 0
    for p in tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total


def rss_bytes(pid):
    """Resident set of the process tree, summed (nginx: master + worker)."""
    total = 0
    for p in tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total


def open_fds(pid):
    return sum(len(os.listdir(f"/proc/{p}/fd")) for p in tree(pid) if os.path.exists(f"/proc/{p}/fd"))


# --- processes ------------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pinning:
    def __init__(self, enabled):
        n = os.cpu_count() or 1
        self.enabled = enabled and n >= 2 and shutil.which("taskset") is not None
        # Load generators on CPU 0, every server (upstream, proxy, nginx) on the others: the servers then share
        # the same core(s) in every scenario, so the proxy's cost shows as lost throughput, not as a stolen core.
        self.client = ["taskset", "-c", "0"] if self.enabled else []
        self.server = ["taskset", "-c", f"1-{n - 1}"] if self.enabled else []

    def describe(self):
        if not self.enabled:
            return "no CPU pinning"
        return f"load generators pinned to CPU 0 (`taskset -c 0`), servers to CPU 1-{(os.cpu_count() or 2) - 1}"


def wait_http(url, timeout=20.0, expect=200):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == expect:
                    return
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer {expect} within {timeout}s ({last})")


def post(url, body, timeout=10):
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer bench-key"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # noqa: BLE001
        return None, str(e).encode()


class Server:
    def __init__(self, name, cmd, env, port, health_path, pin, logdir):
        self.name, self.port = name, port
        self.log = open(logdir / f"{name}.log", "wb")
        full_env = dict(os.environ)
        full_env.update(env)
        self.proc = subprocess.Popen(pin.server + cmd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}{health_path}")
        except Exception:
            self.stop()
            raise RuntimeError(f"{name} did not start; see {self.log.name}")
        # taskset execs the target, so the pid is the server's own.
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_fake(args, pin, logdir, name="fake-upstream", chunks=10, interval_ms=0):
    port = free_port()
    return Server(name, [str(args.fake_binary), str(port)],
                  {"FAKE_CHUNKS": str(chunks), "FAKE_INTERVAL_MS": str(interval_ms)},
                  port, "/v1/models", pin, logdir)


def start_proxy(args, pin, logdir, upstream_port, name="llm-proxy", binary=None, extra_env=None):
    port = free_port()
    env = {
        "HOST": "127.0.0.1", "PORT": str(port),
        "LLM_PROVIDER": "ollama",
        "OPENAI_COMPAT_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1",
        # A model routed to the stub: /proxy without any upstream, the proxy's own floor.
        "MODEL_PROVIDER_MAP": "bench-stub=stub",
        "LOG_REQUESTS": "false", "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
    }
    env.update(extra_env or {})
    return Server(name, [str(binary or args.proxy_binary)], env, port, "/healthz", pin, logdir)


def variants(args):
    """Other builds or settings of the proxy, measured beside it in the same run: (name, binary, env)."""
    out = []
    if args.baseline_binary:
        out.append(("before", args.baseline_binary, {}))
    for v in args.variant:
        name, _, assignments = v.partition(":")
        env = dict(a.split("=", 1) for a in assignments.split(",") if a)
        out.append((name, None, env))
    return out


def start_nginx(args, pin, logdir, upstream_port, name="nginx"):
    port = free_port()
    d = Path(tempfile.mkdtemp(prefix="nginx-", dir=logdir))
    d.chmod(0o777)
    conf = d / "nginx.conf"
    conf.write_text(report.NGINX_CONF.format(dir=d, port=port, upstream=upstream_port))
    server = Server(name, [args.nginx, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")], {}, port,
                    "/v1/models", pin, logdir)
    return server


# --- wrk ------------------------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def parse_latency(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(pin, port, path, body, seconds, connections=16, delay_ms=0):
    env = dict(os.environ, WRK_PATH=path, WRK_BODY=str(body), WRK_DELAY_MS=str(delay_ms))
    cmd = pin.client + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                        str(SCRIPTS / "post.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    res = {"raw": out}
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for q in ("50", "99"):
        res[f"p{q}_ms"] = parse_latency(re.search(rf"\s{q}%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return res


def measured_wrk(pin, server, path, body, seconds, delay_ms=0):
    """wrk plus the target's CPU ticks and peak RSS over the run."""
    import threading
    peak = [rss_bytes(server.pid)]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            peak[0] = max(peak[0], rss_bytes(server.pid))

    t = threading.Thread(target=sample, daemon=True)
    ticks0 = cpu_ticks(server.pid)
    t.start()
    res = wrk(pin, server.port, path, body, seconds, delay_ms=delay_ms)
    stop.set()
    t.join()
    ticks = cpu_ticks(server.pid) - ticks0
    res["cpu_us_per_req"] = ticks / CLK_TCK * 1e6 / max(res["requests"], 1)
    res["rss_mb"] = peak[0] / 2**20
    return res


# --- scenarios ------------------------------------------------------------------------------------------------

def probe_route(port, path, body):
    status, answer = post(f"http://127.0.0.1:{port}{path}", body.read_bytes())
    return status, answer[:200].decode(errors="replace")


def non_streaming(args, pin, logdir, results):
    body = SCRIPTS / "chat.json"
    stub_body = ART / "chat-stub.json"
    fake = start_fake(args, pin, logdir)
    servers = [fake]
    try:
        nginx = start_nginx(args, pin, logdir, fake.port)
        servers.append(nginx)
        proxy = start_proxy(args, pin, logdir, fake.port)
        servers.append(proxy)
        others = []
        for vname, vbinary, venv in variants(args):
            others.append((vname, start_proxy(args, pin, logdir, fake.port, name=f"llm-proxy-{vname}",
                                              binary=vbinary, extra_env=venv)))
            servers.append(others[-1][1])

        # Which routes work in this build: /v1 and the ollama provider may not have landed yet.
        scenarios = [("direct", fake, "/v1/chat/completions", body), ("nginx", nginx, "/v1/chat/completions", body)]
        availability = {}
        for label, path, b in [("llm-proxy /v1", "/v1/chat/completions", body),
                               ("llm-proxy /proxy", "/proxy", body),
                               ("llm-proxy /proxy (stub)", "/proxy", stub_body)]:
            status, answer = probe_route(proxy.port, path, b)
            availability[label] = {"status": status, "answer": answer}
            if status != 200:
                log(f"{label}: {path} answered {status}: {answer[:120]!r}; not measured in this build")
                continue
            scenarios.append((label, proxy, path, b))
            for vname, vproxy in others:
                if probe_route(vproxy.port, path, b)[0] == 200:
                    scenarios.append((label.replace("llm-proxy", f"llm-proxy [{vname}]"), vproxy, path, b))
        results["availability"] = availability

        # Warm every target (connection pools, first-request paths), then rounds in which every scenario runs once,
        # so drift on the shared machine hits all targets alike.
        for label, srv, path, b in scenarios:
            wrk(pin, srv.port, path, b, 2)
        rounds = []
        for r in range(args.rounds):
            log(f"non-streaming round {r + 1}/{args.rounds}")
            row = {}
            for label, srv, path, b in scenarios:
                sat = measured_wrk(pin, srv, path, b, args.duration)
                paced = measured_wrk(pin, srv, path, b, args.duration, delay_ms=args.pace_ms)
                row[label] = {"saturated": strip(sat), "paced": strip(paced)}
                log(f"  {label:28s} {sat['rps']:9.0f} req/s  cpu {sat['cpu_us_per_req']:6.1f} us/req  "
                    f"paced p50 {paced['p50_ms']:.3f} p99 {paced['p99_ms']:.3f} ms  rss {sat['rss_mb']:.1f} MB"
                    + (f"  ERRORS {sat['errors'] + paced['errors']}" if sat["errors"] + paced["errors"] else ""))
            rounds.append(row)
        results["non_streaming"] = {"rounds": rounds, "scenarios": [s[0] for s in scenarios]}

        if args.profile and any(s[0] == "llm-proxy /v1" for s in scenarios):
            results["profile"] = profile(args, pin, proxy, "/v1/chat/completions", body, logdir)
        elif args.profile and any(s[0] == "llm-proxy /proxy (stub)" for s in scenarios):
            results["profile"] = profile(args, pin, proxy, "/proxy", stub_body, logdir)
    finally:
        for s in reversed(servers):
            s.stop()


def strip(res):
    return {k: v for k, v in res.items() if k != "raw"}


def profile(args, pin, proxy, path, body, logdir):
    """perf samples of the proxy under saturating load; symbols from artifacts/symbols (the stripped binary's .dbg)."""
    if shutil.which("perf") is None:
        return {"error": "perf not installed"}
    data = logdir / "perf.data"
    dbg = ARTIFACTS / "symbols" / "llm-proxy.dbg"
    if dbg.exists():
        subprocess.run(["perf", "buildid-cache", "-a", str(dbg)], capture_output=True)
    rec = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(proxy.pid), "-o", str(data)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    wrk(pin, proxy.port, path, body, args.duration)
    rec.send_signal(signal.SIGINT)
    _, err = rec.communicate(timeout=60)
    if rec.returncode not in (0, None) and not data.exists():
        return {"error": err.decode(errors="replace")[-300:]}
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso,sym",
                          "--percent-limit", "1", "-g", "none"], capture_output=True, text=True)
    lines = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    dsos = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso",
                           "-g", "none"], capture_output=True, text=True)
    dso_lines = [ln for ln in dsos.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    return {"path": path, "top": lines[:25], "by_dso": dso_lines[:10]}


def streaming(args, pin, logdir, results):
    out = {}
    body = SCRIPTS / "chat-stream.json"
    # Latency: short streams of 20 content events 20 ms apart, 10 at a time.
    fake = start_fake(args, pin, logdir, name="fake-stream", chunks=20, interval_ms=20)
    servers = [fake]
    try:
        nginx = start_nginx(args, pin, logdir, fake.port, name="nginx-stream")
        servers.append(nginx)
        proxy = start_proxy(args, pin, logdir, fake.port, name="llm-proxy-stream")
        servers.append(proxy)
        targets = [("direct", fake, "/v1/chat/completions"), ("nginx", nginx, "/v1/chat/completions")]
        for label, path in (("llm-proxy /v1", "/v1/chat/completions"), ("llm-proxy /proxy/stream", "/proxy/stream")):
            status, answer = probe_route(proxy.port, path, body)
            if status == 200:
                targets.append((label, proxy, path))
            else:
                log(f"streaming {label}: {path} answered {status}; not measured in this build")
        out["latency"] = []
        for r in range(args.rounds):
            row = {}
            for label, srv, path in targets:
                row[label] = stream_probe(pin, ["latency", "--port", str(srv.port), "--path", path, "--body", str(body),
                                                "--streams", str(args.latency_streams), "--concurrency", "10"])
            out["latency"].append(row)
            log(f"streaming latency round {r + 1}: " + ", ".join(
                f"{k} ttfe p50 {v['ttfe_ms']['p50']:.2f} ms" for k, v in row.items() if v.get("ttfe_ms", {}).get("p50")))
    finally:
        for s in reversed(servers):
            s.stop()

    # Concurrency: long streams (one event a second) held open at once; RSS of each target once all are open.
    out["hold"] = {}
    # Memory, not CPU, is measured here: servers run unpinned, as shipped (on one CPU the runtime would swap the
    # server GC it ships with for the workstation GC, and the RSS would not be the shipped one).
    pin_servers = Pinning(False)
    pin_servers.client = pin.client
    for n in args.streams:
        chunks = int(args.hold_seconds + n / 250 * 2 + 30)
        fake = start_fake(args, pin_servers, logdir, name=f"fake-hold-{n}", chunks=chunks, interval_ms=1000)
        servers = [fake]
        try:
            nginx = start_nginx(args, pin_servers, logdir, fake.port, name=f"nginx-hold-{n}")
            servers.append(nginx)
            proxy = start_proxy(args, pin_servers, logdir, fake.port, name=f"llm-proxy-hold-{n}")
            servers.append(proxy)
            row = {}
            targets = [("direct", fake, "/v1/chat/completions", fake), ("nginx", nginx, "/v1/chat/completions", nginx)]
            for label, path in (("llm-proxy /v1", "/v1/chat/completions"), ("llm-proxy /proxy/stream", "/proxy/stream")):
                if probe_route(proxy.port, path, body)[0] == 200:
                    targets.append((label, proxy, path, proxy))
                    break
            for label, srv, path, measured in targets:
                row[label] = hold_streams(args, pin, srv, path, body, n, measured)
                log(f"{n} streams via {label}: {row[label]}")
            out["hold"][str(n)] = row
        finally:
            for s in reversed(servers):
                s.stop()
    results["streaming"] = out


def stream_probe(pin, argv):
    cmd = pin.client + [sys.executable, str(SCRIPTS / "stream_probe.py")] + argv
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return {"error": res.stderr[-400:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def hold_streams(args, pin, srv, path, body, n, measured):
    idle = rss_bytes(measured.pid)
    cmd = pin.client + [sys.executable, str(SCRIPTS / "stream_probe.py"), "hold", "--port", str(srv.port),
                        "--path", path, "--body", str(body), "--concurrency", str(n),
                        "--hold-seconds", str(args.hold_seconds)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = p.stdout.readline().split()
    res = {"rss_idle_mb": idle / 2**20}
    if ready and ready[0] == "READY":
        time.sleep(min(2.0, args.hold_seconds / 2))
        res.update(open=int(ready[1]), failed=int(ready[2]), rss_mb=rss_bytes(measured.pid) / 2**20,
                   fds=open_fds(measured.pid))
    out, err = p.communicate(timeout=args.hold_seconds + 120)
    if "rss_mb" not in res:
        res["error"] = (err or out)[-300:]
    return res


def leak_check(args, pin, logdir, results):
    body = SCRIPTS / "chat.json"
    fake = start_fake(args, pin, logdir, name="fake-leak")
    servers = [fake]
    try:
        proxy = start_proxy(args, pin, logdir, fake.port, name="llm-proxy-leak")
        servers.append(proxy)
        path = "/v1/chat/completions"
        if probe_route(proxy.port, path, body)[0] != 200:
            path = "/proxy"
            if probe_route(proxy.port, path, body)[0] != 200:
                body = ART / "chat-stub.json"
        samples = [{"requests": 0, "rss_mb": rss_bytes(proxy.pid) / 2**20, "fds": open_fds(proxy.pid), "t": 0.0}]
        total, errors, t0 = 0, 0, time.monotonic()
        # wrk runs in slices; between slices (connections closed and reopened: churn an fd leak would show) the
        # proxy's RSS and fds are sampled with the exact request count so far.
        while total < args.leak_requests:
            res = wrk(pin, proxy.port, path, body, args.leak_slice)
            total += res["requests"]
            errors += res["errors"]
            time.sleep(0.2)
            samples.append({"requests": total, "rss_mb": rss_bytes(proxy.pid) / 2**20, "fds": open_fds(proxy.pid),
                            "t": time.monotonic() - t0})
        results["leak"] = {"path": path, "requests": total, "errors": errors, "seconds": time.monotonic() - t0,
                           "samples": samples}
        log(f"leak check: {total} requests in {time.monotonic() - t0:.0f}s; "
            f"RSS {samples[1]['rss_mb']:.1f} -> {samples[-1]['rss_mb']:.1f} MB, fds {samples[1]['fds']} -> {samples[-1]['fds']}")
    finally:
        for s in reversed(servers):
            s.stop()


def footprint(args, pin, logdir, results):
    # The footprint is measured as a user runs the binary: on every CPU (with one CPU the runtime picks the
    # workstation GC instead of the server GC it ships with, and the idle RSS would not be the shipped one).
    pin = Pinning(False)
    binary = Path(args.proxy_binary)
    out = {"binary_bytes": binary.stat().st_size}
    starts, cpu = [], []
    for i in range(args.cold_starts):
        port = free_port()
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LLM_PROVIDER="stub", LOG_LEVEL="WARNING")
        t0 = time.perf_counter()
        # Not pinned: on one CPU the runtime would pick the workstation GC, and a user runs it on all of them.
        p = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A raw socket poll, 1 ms apart: urllib's own cost would blur a ~20 ms figure.
        ok = False
        while time.perf_counter() - t0 < 10:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        ok = True
                        break
            except OSError:
                time.sleep(0.001)
        elapsed = (time.perf_counter() - t0) * 1000
        if ok:
            starts.append(elapsed)
            # The process's own CPU up to its first answer: unlike wall time, not inflated by a busy machine.
            cpu.append(cpu_ticks(p.pid) / CLK_TCK * 1000)
        p.terminate()
        p.wait(timeout=15)
    out["cold_start_ms"] = starts
    out["cold_start_median_ms"] = statistics.median(starts) if starts else None
    out["cold_start_cpu_median_ms"] = statistics.median(cpu) if cpu else None

    fake = start_fake(args, pin, logdir, name="fake-footprint")
    try:
        for vname, vbinary, venv in [("", None, {})] + variants(args):
            idle = idle_rss(args, pin, logdir, fake, vname, vbinary, venv)
            if vname:
                out.setdefault("variants", {})[vname] = idle
            else:
                out.update(idle)
    finally:
        fake.stop()
    results["footprint"] = out
    log(f"footprint: {out['binary_bytes'] / 1e6:.1f} MB, cold start median {out['cold_start_median_ms']:.1f} ms, "
        f"idle RSS {out['idle_rss_after_start_mb']:.1f} -> {out['idle_rss_after_requests_mb']:.1f} MB")


def idle_rss(args, pin, logdir, fake, vname, vbinary, venv):
    proxy = start_proxy(args, pin, logdir, fake.port, name="llm-proxy-footprint" + (f"-{vname}" if vname else ""),
                        binary=vbinary, extra_env=venv)
    out = {}
    try:
        time.sleep(1.0)
        out["idle_rss_after_start_mb"] = rss_bytes(proxy.pid) / 2**20
        body, path = SCRIPTS / "chat.json", "/v1/chat/completions"
        if probe_route(proxy.port, path, body)[0] != 200:
            path = "/proxy"
            if probe_route(proxy.port, path, body)[0] != 200:
                body = ART / "chat-stub.json"
        # 10,000 requests: wrk runs by time, so run short slices until the count is reached.
        done = 0
        while done < args.footprint_requests:
            done += wrk(pin, proxy.port, path, body, 1, connections=16)["requests"]
        time.sleep(2.0)
        out["idle_rss_after_requests_mb"] = rss_bytes(proxy.pid) / 2**20
        out["requests"] = done
        out["requests_path"] = path
    finally:
        proxy.stop()
    return out


def micro(args, results):
    proj = BENCH / "LlmProxy.Benchmarks" / "LlmProxy.Benchmarks.csproj"
    outdir = ART / "micro"
    shutil.rmtree(outdir, ignore_errors=True)
    # In process: BenchmarkDotNet's default builds a child project per benchmark, which timed out (120 s) on this
    # shared machine; in-process runs the same JIT-compiled code without that build.
    cmd = ["dotnet", "run", "-c", "Release", "--project", os.path.relpath(proj, ROOT), "--", "--filter", "*", "--job", "short",
           "--inProcess", "--exporters", "json", "--artifacts", str(outdir), "--memory"]
    log("micro-benchmarks: " + " ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    (ART / "micro.log").write_text(res.stdout + res.stderr)
    rows = []
    for f in sorted((outdir / "results").glob("*-report-full-compressed.json")) if (outdir / "results").exists() else []:
        data = json.loads(f.read_text())
        for b in data.get("Benchmarks", []):
            stats = b.get("Statistics") or {}
            mem = b.get("Memory") or {}
            rows.append({"type": b.get("Type"), "method": b.get("Method"), "params": b.get("Parameters") or "",
                         "mean_ns": stats.get("Mean"), "median_ns": stats.get("Median"),
                         "alloc_bytes": mem.get("BytesAllocatedPerOperation")})
    results["micro"] = {"command": " ".join(cmd), "rows": rows, "ok": res.returncode == 0}


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    load = Path("/proc/loadavg").read_text().split()[:3]
    tools = {}
    for name, cmd in (("wrk", ["wrk", "-v"]), ("nginx", ["nginx", "-v"]), ("dotnet", ["dotnet", "--version"])):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            tools[name] = (r.stdout + r.stderr).strip().splitlines()[0]
        except OSError:
            tools[name] = "missing"
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gib": int(mem) / 2**20, "kernel": platform.release(),
            "loadavg_at_start": load, "tools": tools}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--proxy-binary", default=str(ARTIFACTS / "llm-proxy"))
    p.add_argument("--baseline-binary", help="a second llm-proxy binary measured beside the first (before/after)")
    p.add_argument("--variant", action="append", default=[],
                   help="NAME:ENV=VALUE,... the same binary with other settings, measured beside (e.g. wks-gc:DOTNET_gcServer=0)")
    p.add_argument("--fake-binary", default=str(ART / "fake-upstream"))
    p.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pace-ms", type=int, default=10, help="pause per connection between paced requests")
    p.add_argument("--latency-streams", type=int, default=200)
    p.add_argument("--streams", default="1000,5000", help="concurrent stream counts for RSS")
    p.add_argument("--hold-seconds", type=float, default=5)
    p.add_argument("--leak-requests", type=int, default=1_000_000)
    p.add_argument("--leak-slice", type=int, default=10, help="seconds per wrk slice in the leak check")
    p.add_argument("--cold-starts", type=int, default=20)
    p.add_argument("--footprint-requests", type=int, default=10_000)
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--no-micro", action="store_true")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--only", default="", help="comma list of: nonstreaming,streaming,leak,footprint,micro")
    p.add_argument("--update", action="store_true",
                   help="with --only: keep the other steps' results of the last run (artifacts/bench/results.json)")
    p.add_argument("--quick", action="store_true", help="a few-second smoke run; writes artifacts/bench only")
    p.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = p.parse_args()
    if args.quick:
        args.duration, args.rounds, args.latency_streams, args.hold_seconds = 1, 1, 20, 1
        args.streams, args.leak_requests, args.leak_slice, args.cold_starts = "50", 5000, 1, 3
        args.footprint_requests, args.no_micro, args.no_profile = 2000, True, True
        args.out = str(ART / "BENCHMARKS.quick.md")
    args.streams = [int(x) for x in args.streams.split(",") if x]
    args.profile = not args.no_profile
    only = set(filter(None, args.only.split(",")))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers: 5,000 streams = 10,000+ fds
    ART.mkdir(parents=True, exist_ok=True)
    logdir = Path(tempfile.mkdtemp(prefix="run-", dir=ART))
    (ART / "chat-stub.json").write_text((SCRIPTS / "chat.json").read_text().replace('"bench-model"', '"bench-stub"'))
    pin = Pinning(not args.no_pin)
    started = time.monotonic()
    results = {"machine": machine(), "pinning": pin.describe(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": "./build.sh bench " + " ".join(sys.argv[1:]), "args": {k: v for k, v in vars(args).items()}}
    if args.update and (ART / "results.json").exists():
        previous = json.loads((ART / "results.json").read_text())
        previous["command"] += "\n" + results["command"]
        previous.pop("failures", None)
        results = previous
    log(f"logs in {logdir}; {pin.describe()}")
    steps = [("nonstreaming", non_streaming), ("streaming", streaming), ("leak", leak_check), ("footprint", footprint)]
    for name, fn in steps:
        if only and name not in only:
            continue
        t = time.monotonic()
        try:
            fn(args, pin, logdir, results)
        except Exception as e:  # noqa: BLE001 - one broken step is reported, the others still run
            log(f"{name} failed: {e}")
            results.setdefault("failures", {})[name] = str(e)
        results.setdefault("step_seconds", {})[name] = time.monotonic() - t
    if (not only or "micro" in only) and not args.no_micro:
        t = time.monotonic()
        micro(args, results)
        results.setdefault("step_seconds", {})["micro"] = time.monotonic() - t
    results["seconds"] = (results.get("seconds", 0) if args.update else 0) + time.monotonic() - started
    (ART / "results.json").write_text(json.dumps(results, indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    svg = out.parent / ("benchmarks.svg" if not args.quick else "benchmarks.quick.svg")
    svg.write_text(report.svg(results))
    out.write_text(report.markdown(results, svg.name))
    log(f"wrote {out} and {svg} in {results['seconds']:.0f}s")
    return 1 if results.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
