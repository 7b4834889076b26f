#!/usr/bin/env python3
"""SSE load client for the streaming scenarios of bench/run.py (stdlib only, raw HTTP/1.1 over asyncio).

Two modes:
  latency  N streams, C at a time; per stream: time from request written to first complete event, and the gaps
           between consecutive events. Prints one JSON object.
  hold     open C streams at once (in batches), print "READY <open> <failed>" when every stream has its first
           event, keep them open until SIGTERM (or --hold-seconds), close them, print one JSON object. On SIGUSR1
           print "EVENTS <events received so far> <streams still open>" (the runner's CPU-per-event window).

An event is complete when its blank line ("\\n\\n") has arrived. Chunked transfer framing ("\\r\\n<hex>\\r\\n")
never contains "\\n\\n", so counting it in the raw bytes after the response head counts events exactly.
"""
import argparse
import asyncio
import json
import resource
import signal
import sys
import time


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Stream:
    def __init__(self):
        self.status = None
        self.event_times = []
        self.error = None
        self.done = False
        self.first_event = asyncio.Event()


async def run_stream(host, port, request, stream, started_at_out=None):
    writer = None
    try:
        reader, writer = await asyncio.open_connection(host, port)
        t0 = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = b""
        while b"\r\n\r\n" not in head:
            data = await reader.read(65536)
            if not data:
                raise ConnectionError("closed before the response head")
            head += data
        head, rest = head.split(b"\r\n\r\n", 1)
        stream.status = int(head.split(b" ", 2)[1])
        if stream.status != 200:
            raise ConnectionError(f"status {stream.status}")
        carry = b""
        data = rest
        while True:
            if data:
                now = time.perf_counter()
                window = carry + data
                # Events whose end falls in this read; the carry (one byte) catches a "\n\n" split across reads.
                ends = window.count(b"\n\n") - carry.count(b"\n\n")
                for _ in range(ends):
                    stream.event_times.append(now - t0)
                if ends and not stream.first_event.is_set():
                    stream.first_event.set()
                if b"[DONE]" in window:
                    stream.done = True
                    break
                carry = window[-1:]
            data = await reader.read(65536)
            if not data:
                break
    except Exception as e:  # noqa: BLE001 - a failed stream is counted, not fatal
        stream.error = f"{type(e).__name__}: {e}"
    finally:
        stream.first_event.set()
        if writer is not None:
            writer.close()


def build_request(host, port, path, body):
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer bench-key\r\nAccept: text/event-stream\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n"
    ).encode() + body


async def latency(args, request):
    streams = []
    sem = asyncio.Semaphore(args.concurrency)

    async def one():
        async with sem:
            s = Stream()
            streams.append(s)
            await run_stream(args.host, args.port, request, s)

    await asyncio.gather(*(one() for _ in range(args.streams)))
    ok = [s for s in streams if s.error is None and s.event_times]
    ttfe = [s.event_times[0] * 1000 for s in ok]
    # Gaps between content events only: the role event (first) leaves the fake at once, the content events after
    # each interval; the last two (finish, [DONE]) leave back to back.
    gaps = []
    for s in ok:
        t = s.event_times
        gaps.extend((t[i] - t[i - 1]) * 1000 for i in range(2, max(2, len(t) - 2)))
    return {
        "streams": len(streams),
        "ok": len(ok),
        "failed": len(streams) - len(ok),
        "errors": sorted({s.error for s in streams if s.error})[:5],
        "events_per_stream": percentile([len(s.event_times) for s in ok], 0.5),
        "ttfe_ms": {"p50": percentile(ttfe, 0.5), "p99": percentile(ttfe, 0.99)},
        "gap_ms": {"p50": percentile(gaps, 0.5), "p99": percentile(gaps, 0.99), "n": len(gaps)},
    }


async def hold(args, request):
    streams = [Stream() for _ in range(args.concurrency)]
    tasks = []
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: print(
        f"EVENTS {sum(len(s.event_times) for s in streams)} "
        f"{sum(1 for s in streams if s.status == 200 and s.error is None and not s.done)}", flush=True))
    # Open in batches so the listen backlogs (512 by default in Kestrel) are not the thing being measured.
    # A stream with no first event within --ready-timeout (a server out of file descriptors leaves the connection
    # in its backlog) is closed and counted as failed; the others stay open.
    for i in range(0, len(streams), args.batch):
        batch = streams[i:i + args.batch]
        batch_tasks = [asyncio.create_task(run_stream(args.host, args.port, request, s)) for s in batch]
        tasks.extend(batch_tasks)
        waits = [asyncio.create_task(s.first_event.wait()) for s in batch]
        _, pending = await asyncio.wait(waits, timeout=args.ready_timeout)
        for w in pending:
            w.cancel()
        for s, t in zip(batch, batch_tasks):
            if not s.first_event.is_set():
                s.error = f"no first event within {args.ready_timeout:g} s"
                t.cancel()
    failed = sum(1 for s in streams if s.error is not None)
    print(f"READY {len(streams) - failed} {failed}", flush=True)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.hold_seconds)
    except asyncio.TimeoutError:
        pass
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams": len(streams),
        "open_at_ready": len(streams) - failed,
        "failed": failed,
        "errors": sorted({s.error for s in streams if s.error})[:5],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["latency", "hold"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/v1/chat/completions")
    p.add_argument("--body", required=True)
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--hold-seconds", type=float, default=5)
    p.add_argument("--ready-timeout", type=float, default=60)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(args.body, "rb") as f:
        body = f.read().strip()
    request = build_request(args.host, args.port, args.path, body)
    result = asyncio.run(latency(args, request) if args.mode == "latency" else hold(args, request))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
