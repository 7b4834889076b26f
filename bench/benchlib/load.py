"""Load generators: wrk (bench/scripts/post.lua) by time or by request count, with the target's CPU and peak RSS
over the run; and the SSE client (bench/scripts/stream_probe.py) for latency and for streams held open."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import proc

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def parse_latency(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(pin, port, path, body, seconds, connections=16, delay_ms=0, max_requests=0):
    """One wrk run (1 thread). With max_requests it stops after that many responses (seconds is then a cap)."""
    env = dict(os.environ, WRK_PATH=path, WRK_BODY=str(body), WRK_DELAY_MS=str(delay_ms),
               WRK_MAX_REQUESTS=str(max_requests))
    cmd = pin.client + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                        str(SCRIPTS / "post.lua"), f"http://127.0.0.1:{port}"]
    t0 = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    res = {"raw": out, "seconds": time.monotonic() - t0}
    fixed = re.search(r"^FIXED (\d+) (\d+)$", out, re.M)
    if fixed:  # post.lua ended the run after max_requests responses: no wrk summary, the wall time is ours
        res.update(requests=int(fixed.group(1)), errors=int(fixed.group(2)), p50_ms=None, p99_ms=None)
        res["rps"] = res["requests"] / res["seconds"]
        return res
    if max_requests:
        raise RuntimeError(f"wrk ended before {max_requests} responses: {out[-300:]!r}")
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for q in ("50", "99"):
        res[f"p{q}_ms"] = parse_latency(re.search(rf"\s{q}%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return res


def measured_wrk(pin, server, path, body, seconds, connections=16, delay_ms=0, max_requests=0):
    """wrk plus the target's CPU per request (utime+stime of its process tree) and its peak RSS over the run."""
    peak = [proc.rss_bytes(server.pid)]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            peak[0] = max(peak[0], proc.rss_bytes(server.pid))

    t = threading.Thread(target=sample, daemon=True)
    cpu0 = proc.cpu_seconds(server.pid)
    t.start()
    try:
        res = wrk(pin, server.port, path, body, seconds, connections=connections, delay_ms=delay_ms,
                  max_requests=max_requests)
    finally:
        stop.set()
        t.join()
    cpu = proc.cpu_seconds(server.pid) - cpu0
    res.pop("raw")
    res["cpu_us_per_req"] = cpu * 1e6 / max(res["requests"], 1)
    res["rss_mb"] = peak[0] / 2**20
    return res


def stream_latency(pin, port, path, body, streams, concurrency=10):
    cmd = pin.client + [sys.executable, str(SCRIPTS / "stream_probe.py"), "latency", "--port", str(port),
                        "--path", path, "--body", str(body), "--streams", str(streams),
                        "--concurrency", str(concurrency)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return {"error": res.stderr[-400:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def hold_streams(pin, srv, path, body, n, measured, settle_s, window_s, ready_timeout):
    """Opens n streams through srv (one event a second each) and measures the process `measured`: RSS idle and with
    every stream open (KB per stream from the difference; the same split into anonymous, file-backed and GC heap
    from /proc/<pid>/smaps), open fds, and its CPU per relayed event over window_s."""
    res = {"rss_idle_mb": proc.rss_bytes(measured.pid) / 2**20, "memory_idle": proc.memory_kb(measured.pid)}
    cmd = pin.client + [sys.executable, str(SCRIPTS / "stream_probe.py"), "hold", "--port", str(srv.port),
                        "--path", path, "--body", str(body), "--concurrency", str(n),
                        "--hold-seconds", str(ready_timeout + settle_s + window_s + 60),
                        "--ready-timeout", str(ready_timeout)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = p.stdout.readline().split()
        if ready and ready[0] == "READY":
            res.update(open=int(ready[1]), failed=int(ready[2]))
            time.sleep(settle_s)
            res["rss_mb"] = proc.rss_bytes(measured.pid) / 2**20
            res["memory_open"] = proc.memory_kb(measured.pid)  # anonymous vs file-backed, the GC's share
            res["fds"] = proc.open_fds(measured.pid)
            res["kb_per_stream"] = (res["rss_mb"] - res["rss_idle_mb"]) * 1024 / max(res["open"], 1)
            events0 = events(p)
            cpu0 = proc.cpu_seconds(measured.pid)
            time.sleep(window_s)
            events1, still_open = events(p, with_open=True)
            cpu = proc.cpu_seconds(measured.pid) - cpu0
            relayed = events1 - events0
            res.update(events=relayed, open_in_window=still_open,
                       cpu_us_per_event=cpu * 1e6 / relayed if relayed else None,
                       cpu_percent=cpu / window_s * 100)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)
    except Exception:
        p.kill()
        p.communicate()
        raise
    if "rss_mb" not in res:
        res["error"] = (err or out)[-300:]
    return res


def events(p, with_open=False):
    """Asks the stream client for its running event count (SIGUSR1 -> "EVENTS <events> <open streams>")."""
    p.send_signal(signal.SIGUSR1)
    parts = p.stdout.readline().split()
    if not parts or parts[0] != "EVENTS":
        raise RuntimeError(f"stream client answered {parts!r} to SIGUSR1")
    return (int(parts[1]), int(parts[2])) if with_open else int(parts[1])
