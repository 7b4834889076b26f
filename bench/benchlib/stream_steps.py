"""Streaming steps: time to first event and gaps between events (short streams), and the scale table (1,000 / 5,000 /
10,000 streams held open: RSS, KB per stream, CPU per relayed event) for nginx, the bare forwarder and llm-proxy."""
from . import load, servers
from .servers import Fleet, probe_route


def proxy_stream_route(proxy, body, log):
    for label, path in (("llm-proxy /v1", "/v1/chat/completions"), ("llm-proxy /proxy/stream", "/proxy/stream")):
        status, _ = probe_route(proxy.port, path, body)
        if status == 200:
            return label, path
        log(f"streaming {label}: {path} answered {status}; not measured in this build")
    return None, None


def latency(args, pin, logdir, results, log):
    """200 streams, 10 at a time, each 20 content events 20 ms apart from the fake upstream."""
    body = args.bodies["stream"]
    out = results.setdefault("streaming", {})
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, pin, logdir, name="fake-stream", chunks=20, interval_ms=20))
        nginx = fleet.add(servers.start_nginx(args, pin, logdir, fake.port, name="nginx-stream"))
        bare = fleet.add(servers.start_bare(args, pin, logdir, fake.port, name="bare-stream"))
        proxy = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name="llm-proxy-stream"))
        targets = [("direct", fake, "/v1/chat/completions"), ("nginx", nginx, "/v1/chat/completions"),
                   ("bare forwarder", bare, "/v1/chat/completions")]
        label, path = proxy_stream_route(proxy, body, log)
        if label:
            targets.append((label, proxy, path))
        out["latency"] = []
        for r in range(args.rounds):
            row = {lb: load.stream_latency(pin, srv.port, p, body, args.latency_streams) for lb, srv, p in targets}
            out["latency"].append(row)
            log(f"streaming latency round {r + 1}: " + ", ".join(
                f"{k} ttfe p50 {v['ttfe_ms']['p50']:.2f} ms" for k, v in row.items() if v.get("ttfe_ms", {}).get("p50")))


def scale(args, pin, logdir, results, log):
    """Long streams (one event a second) held open at once. Servers run unpinned, as shipped: memory is measured
    here, and on one CPU the runtime would swap its server GC for the workstation GC."""
    body = args.bodies["stream"]
    out = results.setdefault("streaming", {})
    out["hold"] = {}
    unpinned = pin.servers_unpinned()
    for n in args.streams:
        # Streams must outlive the opening of all of them (batches of 250), the settling and the CPU window.
        chunks = int(60 + n / 50 + args.settle_seconds + args.event_window)
        row = {}
        with Fleet() as fleet:
            fake = fleet.add(servers.start_fake(args, unpinned, logdir, name=f"fake-hold-{n}", chunks=chunks,
                                                interval_ms=1000))
            targets = [("nginx", fleet.add(servers.start_nginx(args, unpinned, logdir, fake.port, name=f"nginx-hold-{n}")),
                        "/v1/chat/completions"),
                       ("bare forwarder", fleet.add(servers.start_bare(args, unpinned, logdir, fake.port,
                                                                       name=f"bare-hold-{n}")), "/v1/chat/completions")]
            proxy = fleet.add(servers.start_proxy(args, unpinned, logdir, fake.port, name=f"llm-proxy-hold-{n}"))
            label, path = proxy_stream_route(proxy, body, log)
            if label:
                targets.append((label, proxy, path))
            for lb, srv, p in targets:
                try:
                    row[lb] = load.hold_streams(pin, srv, p, body, n, srv, args.settle_seconds, args.event_window,
                                                ready_timeout=120)
                except Exception as e:  # noqa: BLE001 - one target failing is a row, not the end of the table
                    row[lb] = {"error": str(e)[-300:]}
                v = row[lb]
                log(f"{n} streams via {lb}: " + (v["error"] if "error" in v else
                    f"open {v['open']}, RSS {v['rss_idle_mb']:.1f} -> {v['rss_mb']:.1f} MB "
                    f"({v['kb_per_stream']:.1f} KB/stream), {v.get('cpu_us_per_event') or 0:.1f} us CPU/event"))
        out["hold"][str(n)] = row
