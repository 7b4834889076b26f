"""The shared-limits step (docs/replicas.md, "Cost"): what the proxy pays per request for its rate limit, counted in
its own memory or in Redis (REDIS_URL, one EVALSHA round trip per request to a redis-server on loopback started
here), beside the same binary without any limit, every target in every round. Saturated runs give CPU per request
(the proxy's, and redis-server's separately); paced runs give the latency a request pays (p50, p99)."""
import socket
import subprocess
import time

from . import load, proc, servers
from .servers import Fleet, probe_route

# Limits no run can reach: every request is checked and counted, none is refused.
NEVER = "1000000000"
TARGETS = [
    ("no limit", {}),
    ("in-memory limiter", {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_MAX_REQUESTS": NEVER}),
    ("Redis limiter", {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_MAX_REQUESTS": NEVER, "REDIS_URL": None}),
    ("Redis limiter + token limit", {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_MAX_REQUESTS": NEVER,
                                     "RATE_LIMIT_MAX_TOKENS": NEVER, "REDIS_URL": None}),
]


class Redis:
    """redis-server on a free loopback port, no persistence (as docs/replicas.md recommends), pinned with the servers."""

    def __init__(self, pin, logdir):
        self.port = servers.free_port()
        self.log = open(logdir / "redis-server.log", "wb")
        self.proc = subprocess.Popen(pin.server + ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                                   "--save", "", "--appendonly", "no", "--dir", str(logdir)],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server did not start; see {self.log.name}")
            time.sleep(0.02)
        self.version = self.command("INFO server").split("redis_version:")[1].split()[0]

    def ping(self):
        try:
            return self.command("PING").startswith("+PONG")
        except OSError:
            return False

    def command(self, text):
        """One inline command; the reply as text (a simple reply's line, or a bulk reply's whole payload)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(text.encode() + b"\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n")
                if not sep:
                    continue
                if not head.startswith(b"$"):
                    break
                if int(head[1:]) < 0 or len(rest) >= int(head[1:]) + 2:
                    break
            return data.decode(errors="replace")

    def calls(self, command):
        """How often the server ran a command (INFO commandstats)."""
        for line in self.command("INFO commandstats").splitlines():
            if line.startswith(f"cmdstat_{command}:calls="):
                return int(line.split("calls=")[1].split(",")[0])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.log.close()


def measured(pin, srv, redis, path, body, seconds, delay_ms=0):
    """One wrk run through srv: its results, plus redis-server's CPU per request over the same run."""
    cpu0 = proc.cpu_seconds(redis.pid)
    res = load.measured_wrk(pin, srv, path, body, seconds, delay_ms=delay_ms)
    res["redis_cpu_us_per_req"] = (proc.cpu_seconds(redis.pid) - cpu0) * 1e6 / max(res["requests"], 1)
    return res


def limits(args, pin, logdir, results, log):
    path, body = "/v1/chat/completions", args.bodies["chat"]
    with Fleet() as fleet:
        fake = fleet.add(servers.start_fake(args, pin, logdir))
        redis = fleet.add(Redis(pin, logdir))
        url = f"redis://127.0.0.1:{redis.port}"
        targets = []
        for label, env in TARGETS:
            env = {k: (url if v is None else v) for k, v in env.items()}
            srv = fleet.add(servers.start_proxy(args, pin, logdir, fake.port, name="llm-proxy-" + label.replace(" ", "-"),
                                                extra_env=env))
            status, answer = probe_route(srv.port, path, body)
            if status != 200:
                raise RuntimeError(f"{label}: {path} answered {status}: {answer[:120]!r}")
            targets.append((label, srv))
        checks = redis.calls("evalsha") + redis.calls("eval")
        for _, srv in targets:  # warm pools, JIT-free paths, script caches
            load.wrk(pin, srv.port, path, body, 2)
        if redis.calls("evalsha") + redis.calls("eval") <= checks:
            raise RuntimeError("the Redis targets did not call Redis: is REDIS_URL honoured?")
        rounds = []
        for r in range(args.rounds):
            log(f"limits round {r + 1}/{args.rounds}")
            row = {}
            for label, srv in targets:
                row[label] = {"saturated": measured(pin, srv, redis, path, body, args.duration),
                              "paced": measured(pin, srv, redis, path, body, args.duration, delay_ms=args.pace_ms)}
                s, p = row[label]["saturated"], row[label]["paced"]
                log(f"  {label:30s} {s['rps']:8.0f} req/s  cpu {s['cpu_us_per_req']:6.1f} us/req  "
                    f"redis {s['redis_cpu_us_per_req']:5.1f} us/req  paced p50 {p['p50_ms']:.3f} p99 {p['p99_ms']:.3f} ms"
                    + (f"  ERRORS {s['errors'] + p['errors']}" if s["errors"] + p["errors"] else ""))
            rounds.append(row)
        results["limits"] = {"rounds": rounds, "scenarios": [lb for lb, _ in targets], "modes": ["saturated", "paced"],
                             "redis_version": redis.version, "path": path,
                             "redis_calls": {"evalsha": redis.calls("evalsha"), "eval": redis.calls("eval")}}
