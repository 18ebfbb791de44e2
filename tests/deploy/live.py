"""Real processes for the end-to-end tests: a `redis-server` on a unix
socket, `antirelou serve` replicas, a Prometheus, each started here and
stopped here; the Twilio signing that the provider would do, and a local
stand-in for Twilio's send API (no reply leaves the machine).

No port is chosen in advance: every server binds port 0 (Redis listens on
a unix socket in the test's directory); antirelou prints its webhook URL on
the first line of its stdout, and the other listening ports of a process
are read from /proc (the kernel's own table), then told apart by what they
answer. Every wait polls its condition with a deadline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

STARTUP_SECONDS = 60


def wait_until(what: str, check, seconds: float, interval: float = 0.25):
    """Polls check() until it returns something truthy; fails with `what`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError, KeyError, AssertionError) as e:
            last = e
        time.sleep(interval)
    pytest.fail(f"timed out after {seconds}s waiting for {what} (last error: {last!r})")


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def metric_sum(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`, in a
    Prometheus text exposition."""
    total = 0.0
    for line in text.splitlines():
        found = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?", line)
        if not found or found.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', found.group(2) or ""))
        if labels.items() <= have.items():
            total += float(found.group(3))
    return total


def listening_ports(pid: int) -> set[int]:
    """TCP ports on which process `pid` listens: its socket inodes matched
    against the kernel's tables of listening sockets."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        found = re.fullmatch(r"socket:\[(\d+)\]", target)
        if found:
            inodes.add(found.group(1))
    ports = set()
    for table in ("tcp", "tcp6"):
        path = pathlib.Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class Processes:
    """The processes a test started, stopped in reverse order."""

    def __init__(self, logdir: pathlib.Path):
        self.logdir = logdir
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict | None = None, cwd=None) -> subprocess.Popen:
        out = open(self.logdir / f"{name}.out", "wb")
        err = open(self.logdir / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        self.running.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        text = ""
        for suffix in (".out", ".log"):
            path = self.logdir / f"{name}{suffix}"
            if path.exists():
                text += path.read_text(errors="replace")[-3000:]
        return text

    def first_line(self, name: str, proc: subprocess.Popen) -> str:
        """The first line the process printed on stdout."""
        path = self.logdir / f"{name}.out"

        def line():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            text = path.read_text(errors="replace")
            return text.split("\n", 1)[0] if "\n" in text else None
        return wait_until(f"{name} to print its URL", line, STARTUP_SECONDS, 0.05)

    def check_alive(self):
        for name, proc in self.running:
            if proc.poll() is not None and not getattr(proc, "stopped_on_purpose", False):
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def stop(self, proc: subprocess.Popen, sig=signal.SIGTERM):
        proc.stopped_on_purpose = True
        if proc.poll() is None:
            proc.send_signal(sig)
        proc.wait(timeout=30)

    def stop_all(self):
        for _, proc in reversed(self.running):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in reversed(self.running):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


# ----------------------------------------------------------------- Redis

class Redis:
    """A redis-server of the test's own, on a unix socket (no TCP port)."""

    def __init__(self, procs: Processes, binary: str, directory: pathlib.Path, name: str = "redis"):
        self.socket = str(directory / "redis.sock")
        directory.mkdir(exist_ok=True)
        # A memory limit and noeviction, as the chart's Redis has: the
        # memory panels and alerts read the share of maxmemory.
        self.proc = procs.start(name, [binary, "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
                                       "--save", "", "--appendonly", "no", "--dir", str(directory),
                                       "--maxmemory", "256mb", "--maxmemory-policy", "noeviction"])
        self.procs = procs
        wait_until("redis-server to answer PING", lambda: self.command("PING") == "PONG", STARTUP_SECONDS, 0.05)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def command(self, *args) -> object:
        """One command in RESP; returns the reply (errors as RedisError)."""
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(str(a).encode())}\r\n".encode() + str(a).encode() + b"\r\n" for a in args)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.socket)
            s.sendall(payload)
            reader = s.makefile("rb")
            return read_reply(reader)

    def info(self, section: str) -> dict[str, str]:
        text = self.command("INFO", section)
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))

    def stop(self):
        self.procs.stop(self.proc)


class RedisError(Exception):
    pass


def read_reply(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RedisError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else reader.read(n + 2)[:-2].decode()
    if kind == b"*":
        return [read_reply(reader) for _ in range(int(rest))]
    raise RedisError(f"unexpected reply {line!r}")


# --------------------------------------------------------------- antirelou

class Replica:
    """One `antirelou serve`: its webhook URL (first line of its stdout),
    and the admin and metrics listeners found among its listening ports."""

    def __init__(self, procs: Processes, binary: str, name: str, config: pathlib.Path, env: dict,
                 workdir: pathlib.Path):
        workdir.mkdir(exist_ok=True)
        self.name = name
        self.proc = procs.start(name, [binary, "serve", "--config", str(config)], env=env, cwd=workdir)
        first = procs.first_line(name, self.proc)
        found = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert found, f"{name}: no URL on the first line of stdout: {first!r}"
        self.url = found.group(0)
        wait_until(f"{name} /readyz", lambda: (procs.check_alive(),
                                               http("GET", self.url + "/readyz", timeout=2)[0] == 200)[1],
                   STARTUP_SECONDS)
        self.admin_url, self.metrics_url = self.other_listeners()

    def other_listeners(self) -> tuple[str, str]:
        """The admin and metrics listeners: the ports other than the webhook
        one, told apart by what they serve."""
        main_port = int(self.url.rsplit(":", 1)[1])
        others = sorted(listening_ports(self.proc.pid) - {main_port})
        assert len(others) == 2, f"{self.name}: expected admin and metrics listeners besides {main_port}, got {others}"
        admin = metrics = None
        for port in others:
            url = f"http://127.0.0.1:{port}"
            status, body = http("GET", url + "/metrics", timeout=5)
            if status == 200 and "antirelou_" in body:
                metrics = url
            else:
                admin = url
        assert admin and metrics, f"{self.name}: cannot tell the listeners {others} apart"
        return admin, metrics


# --------------------------------------------------------------- Twilio

class SendApiStandIn:
    """Where the replicas send deferred replies (the tenants' `api_base`):
    answers Twilio's Messages resource with 201, so that no reply leaves
    this machine and no send fails for want of a network. It holds its own
    socket (port 0) from start to stop."""

    def __init__(self):
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                requests.append(self.path)
                if not self.path.endswith("/Messages.json"):
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps({"sid": "SM" + hashlib.md5(str(len(requests)).encode()).hexdigest(),
                                   "status": "queued"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def twilio_signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + sorted key+value))."""
    payload = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def inbound_form(account: str, sid: str, sender: str, to: str, body: str) -> list[tuple[str, str]]:
    return [
        ("ToCountry", "FR"), ("ToState", ""), ("SmsMessageSid", sid), ("NumMedia", "0"),
        ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"),
        ("FromCity", ""), ("Body", body), ("FromCountry", "FR" if sender.startswith("+33") else "US"),
        ("To", to), ("ToZip", ""), ("NumSegments", "1"), ("MessageSid", sid),
        ("AccountSid", account), ("From", sender), ("ApiVersion", "2010-04-01"),
    ]


def message_sid(*parts) -> str:
    return "SM" + hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


# ------------------------------------------------------------ Prometheus

class Prometheus:
    """A Prometheus on port 0 scraping the replicas' metrics listeners
    (file_sd: each replica keeps its `instance` name across restarts) every
    second, with a rule file evaluated every second."""

    def __init__(self, procs: Processes, binary: str, directory: pathlib.Path, rules: dict, *, job: str,
                 namespace: str):
        directory.mkdir(exist_ok=True)
        self.directory = directory
        self.job, self.namespace = job, namespace
        self.targets_file = directory / "targets.json"
        self.targets_file.write_text("[]")
        (directory / "alerts.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
        (directory / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [{"job_name": job, "file_sd_configs": [
                {"files": [str(self.targets_file)], "refresh_interval": "1s"}]}],
        }))
        self.proc = procs.start("prometheus", [
            binary, f"--config.file={directory / 'prometheus.yml'}", f"--storage.tsdb.path={directory / 'tsdb'}",
            "--web.listen-address=127.0.0.1:0", "--log.level=warn",
        ], cwd=directory)
        self.procs = procs
        ports = wait_until("prometheus to listen", lambda: (procs.check_alive(), listening_ports(self.proc.pid))[1],
                           STARTUP_SECONDS, 0.1)
        assert len(ports) == 1, ports
        self.url = f"http://127.0.0.1:{ports.pop()}"
        wait_until("prometheus to be ready", lambda: http("GET", self.url + "/-/ready", timeout=2)[0] == 200,
                   STARTUP_SECONDS)

    def scrape(self, replicas: dict[str, str]):
        """instance name -> metrics URL; waits until every one is up."""
        self.targets_file.write_text(json.dumps([
            {"targets": [url.removeprefix("http://")], "labels": {"instance": name, "namespace": self.namespace}}
            for name, url in sorted(replicas.items())]))

        def all_up():
            active = self.api("targets")["activeTargets"]
            seen = {t["labels"]["instance"]: (t["health"], t["scrapeUrl"]) for t in active}
            return all(seen.get(n, ("", ""))[0] == "up" and seen[n][1].startswith(u) for n, u in replicas.items())
        wait_until(f"prometheus to scrape {sorted(replicas)}", all_up, STARTUP_SECONDS, 0.25)

    def api(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params, doseq=True)
        status, text = http("GET", f"{self.url}/api/v1/{path}?{query}")
        body = json.loads(text)
        if status != 200 or body.get("status") != "success":
            raise AssertionError(f"{path} {params}: HTTP {status}: {body.get('error', text)}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [{"value": data["result"]}]
        return data["result"]

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def firing(self) -> list[dict]:
        return [a for a in self.api("alerts")["alerts"] if a["state"] == "firing"]

    def evaluations_after(self, count: int):
        """Waits until every rule group was evaluated `count` more times."""
        def last():
            return {g["name"]: g["lastEvaluation"] for g in self.api("rules")["groups"]}
        seen = [last()]

        def advanced():
            now = last()
            if all(now[g] != seen[-1][g] for g in now):
                seen.append(now)
            return len(seen) > count
        wait_until(f"{count} more rule evaluations", advanced, 30, 0.2)


def rules_for_test(shipped: dict) -> dict:
    """The shipped rules, evaluated every second, with every `for:` at 0s."""
    rules = json.loads(json.dumps(shipped))
    for group in rules["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "0s"
    return rules
