"""The servers under test, all in front of the same fake upstream (bench/FakeUpstream, Native AOT):
  direct          the load generator talks to the fake upstream itself
  nginx           nginx proxy_pass (one worker, upstream keepalive, buffering off): the floor any HTTP proxy pays
  bare forwarder  bench/BareForwarder: Kestrel + one SocketsHttpHandler, no features: the floor of a .NET gateway
  llm-proxy       the published binary (and its variants: other builds or environment), request logging off
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# nginx as the floor any HTTP proxy pays: one worker (the proxy's servers share the same CPU), keepalive to the
# upstream (as the proxy's pooled SocketsHttpHandler does), no access log (request logging is off in the proxy),
# buffering off (SSE relayed at once, like the proxy; X-Accel-Buffering would do the same per response).
# worker_connections: 10,000 held streams are 20,000 connections (client side and upstream side).
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 30000; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 1000000;
  upstream fake {{ server 127.0.0.1:{upstream}; keepalive 256; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }}
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pinning:
    """Load generators on CPU 0, every server (upstream, proxy, nginx) on the others: the servers then share the
    same core(s) in every scenario, so the proxy's cost shows as lost throughput, not as a stolen core."""

    def __init__(self, enabled):
        n = os.cpu_count() or 1
        self.enabled = enabled and n >= 2 and shutil.which("taskset") is not None
        self.client = ["taskset", "-c", "0"] if self.enabled else []
        self.server = ["taskset", "-c", f"1-{n - 1}"] if self.enabled else []

    def describe(self):
        if not self.enabled:
            return "no CPU pinning"
        return f"load generators pinned to CPU 0 (`taskset -c 0`), servers to CPU 1-{(os.cpu_count() or 2) - 1}"

    def servers_unpinned(self):
        """The same client pinning, servers on every CPU: memory and start-up are measured as a user runs the
        binary (on one CPU the .NET runtime swaps the server GC it ships with for the workstation GC)."""
        other = Pinning(False)
        other.client = self.client
        return other


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
    """Status and the first bytes of the answer: a held stream (one event a second for minutes) is not read to its end."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer bench-key"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(200)
    except urllib.error.HTTPError as e:
        return e.code, e.read(200)
    except Exception as e:  # noqa: BLE001
        return None, str(e).encode()


def probe_route(port, path, body):
    status, answer = post(f"http://127.0.0.1:{port}{path}", Path(body).read_bytes())
    return status, answer[:200].decode(errors="replace")


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


class Fleet:
    """Servers started for one step, stopped in reverse order however the step ends."""

    def __init__(self):
        self.servers = []

    def add(self, server):
        self.servers.append(server)
        return server

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for s in reversed(self.servers):
            s.stop()


def start_fake(args, pin, logdir, name="fake-upstream", chunks=10, interval_ms=0):
    port = free_port()
    return Server(name, [str(args.fake_binary), str(port)],
                  {"FAKE_CHUNKS": str(chunks), "FAKE_INTERVAL_MS": str(interval_ms)},
                  port, "/v1/models", pin, logdir)


def start_bare(args, pin, logdir, upstream_port, name="bare-forwarder"):
    port = free_port()
    return Server(name, [str(args.bare_binary), str(port), f"http://127.0.0.1:{upstream_port}"], {}, port,
                  "/v1/models", pin, logdir)


def proxy_env(port, upstream_port):
    return {
        "HOST": "127.0.0.1", "PORT": str(port),
        "LLM_PROVIDER": "ollama",
        "OPENAI_COMPAT_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1",
        # A model routed to the stub: /proxy without any upstream, the proxy's own floor.
        "MODEL_PROVIDER_MAP": "bench-stub=stub",
        "LOG_REQUESTS": "false", "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
    }


def start_proxy(args, pin, logdir, upstream_port, name="llm-proxy", binary=None, extra_env=None):
    port = free_port()
    env = proxy_env(port, upstream_port)
    env.update(extra_env or {})
    return Server(name, [str(binary or args.proxy_binary)], env, port, "/healthz", pin, logdir)


def start_nginx(args, pin, logdir, upstream_port, name="nginx"):
    port = free_port()
    d = Path(tempfile.mkdtemp(prefix="nginx-", dir=logdir))
    d.chmod(0o777)
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=d, port=port, upstream=upstream_port))
    return Server(name, [args.nginx, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")], {}, port,
                  "/v1/models", pin, logdir)


def variants(args):
    """Other builds or settings of the proxy, measured beside it in the same run: (name, binary, env)."""
    out = [("before", args.baseline_binary, {})] if args.baseline_binary else []
    return out + [parse_variant(v) for v in args.variant]


def parse_variant(text):
    """NAME:ENV=VALUE,... -> (name, None, env)."""
    name, _, assignments = text.partition(":")
    env = dict(a.split("=", 1) for a in assignments.split(",") if a)
    return name, None, env
