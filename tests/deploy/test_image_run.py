"""antirelou's image, built (deploy/build-images.sh, from the binary under
test) and run for real: `--network host --read-only`, settings mounted,
the embedded ledger on a named volume. The process listens on 127.0.0.1
port 0 and the test reads the port it reports; nothing but 127.0.0.1 is
reached."""

from __future__ import annotations

import os
import pathlib
import re
import socket
import subprocess
import time

import pytest

from image_support import (  # noqa: F401 (docker_engine and images are fixtures)
    CONFIG_IN_IMAGE,
    UID,
    docker,
    docker_client,
    docker_engine,
    http,
    http_json,
    images,
    inbound_form,
    report,
    run,
    secret,
    signed_webhook,
    twiml_message,
    unique,
    wait_for,
)

PUBLIC_URL = "https://sms.example.org"
ACCOUNT_SID = "AC22222222222222222222222222222222"
NUMBER = "+33937000001"
REPLY = "Non, c'est non. Merci de la laisser tranquille."
LEDGER_DIR = "/var/lib/antirelou"
# docker stop's grace period; the settings drain for at most 20 s of it.
STOP_TIMEOUT_S = 30
# How long the slow client of the drain test holds its request after SIGTERM:
# past the server's first shutdown check (each second), far within the drain.
SLOW_CLIENT_S = 3

SETTINGS = f"""
[server]
listen = "127.0.0.1:0"
public_url = "{PUBLIC_URL}"
operator_token = {{ env = "ANTIRELOU_OPERATOR_TOKEN" }}
shutdown_timeout_seconds = 20

[ledger]
backend = "embedded"
path = "{LEDGER_DIR}/ledger.sqlite3"

[privacy]
sender_key = {{ env = "ANTIRELOU_SENDER_KEY" }}
sealing_key = {{ env = "ANTIRELOU_SEALING_KEY" }}

[log]
format = "json"
level = "info"

[[tenants]]
id = "lyon"
prepaid = true
provider = {{ kind = "twilio", account_sid = "{ACCOUNT_SID}", auth_token = {{ env = "TWILIO_AUTH_TOKEN_LYON" }} }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "{REPLY}"
price_per_segment = "0.08"
"""


class Container:
    """One antirelou container on the host network, its settings and volume."""

    def __init__(self, image: str, workdir: pathlib.Path, volume: str):
        self.image = image
        self.name = unique("antirelou-image-test")
        self.volume = volume
        self.settings = workdir / "antirelou.toml"
        self.settings.write_text(SETTINGS, encoding="utf-8")
        self.settings.chmod(0o644)
        self.env = {
            "ANTIRELOU_SENDER_KEY": secret("sender"),
            "ANTIRELOU_SEALING_KEY": secret("sealing"),
            "ANTIRELOU_OPERATOR_TOKEN": secret("operator"),
            "TWILIO_AUTH_TOKEN_LYON": secret("twilio"),
        }
        self.port = 0
        self.starts = 0

    def run(self) -> None:
        argv = ["run", "--detach", "--name", self.name, "--network", "host", "--read-only",
                "--tmpfs", "/tmp", "--stop-timeout", str(STOP_TIMEOUT_S),
                "--volume", f"{self.settings}:{CONFIG_IN_IMAGE}:ro",
                "--volume", f"{self.volume}:{LEDGER_DIR}"]
        for name, value in self.env.items():
            argv += ["--env", f"{name}={value}"]
        docker(*argv, self.image)
        self.await_serving()

    def restart(self) -> None:
        docker("restart", "--time", str(STOP_TIMEOUT_S), self.name, timeout=STOP_TIMEOUT_S + 30)
        self.await_serving()

    def await_serving(self) -> None:
        """Reads the port this start reported, then waits for /readyz."""
        self.starts += 1

        def reported_port():
            state = docker("inspect", "--format", "{{.State.Status}}", self.name).stdout.strip()
            if state not in ("running", "created", "restarting"):
                pytest.fail(f"container {state}:\n{self.logs()}")
            ports = re.findall(r"antirelou listening on http://127\.0\.0\.1:(\d+)", self.logs())
            return int(ports[self.starts - 1]) if len(ports) >= self.starts else None

        self.port = wait_for(reported_port, "antirelou to report its port", 60, on_timeout=self.logs)
        wait_for(lambda: self.get("/readyz")[0] == 200, "/readyz", 30, on_timeout=self.logs)

    def logs(self) -> str:
        done = docker("logs", self.name, check=False)
        return done.stdout + done.stderr

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, str]:
        return http("GET", self.url(path))

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        status, answer = http_json(method, self.url(path), body, self.env["ANTIRELOU_OPERATOR_TOKEN"])
        assert status == 200, (status, answer)
        return answer

    def sms(self, sender: str, text: str = "on se revoit ?") -> str | None:
        """One signed inbound SMS; the reply text, None when none."""
        body, headers = signed_webhook(PUBLIC_URL, self.env["TWILIO_AUTH_TOKEN_LYON"],
                                       inbound_form(ACCOUNT_SID, sender, NUMBER, text))
        status, answer = http("POST", self.url("/webhooks/twilio"), body, headers)
        assert status == 200, (status, answer)
        return twiml_message(answer)

    def pid(self) -> int:
        return int(docker("inspect", "--format", "{{.State.Pid}}", self.name).stdout)

    def remove(self) -> None:
        docker("rm", "--force", self.name, check=False)


@pytest.fixture
def volume():
    name = unique("antirelou-image-test-data")
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "--force", name, check=False)


@pytest.fixture
def served(images, tmp_path, volume):
    c = Container(images.antirelou, tmp_path, volume)
    try:
        c.run()
        yield c
    finally:
        c.remove()


def volume_path(volume: str) -> pathlib.Path:
    """Where the engine keeps a named volume on this host."""
    return pathlib.Path(docker("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout.strip())


def proc_status(pid: int) -> dict[str, str]:
    lines = pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


# ------------------------------------------------------------------ tests

def test_the_image_ships_the_binary_without_its_debug_info(images, tmp_path, request):
    holder = unique("antirelou-image-test-copy")
    docker("create", "--name", holder, images.antirelou)
    try:
        docker("cp", f"{holder}:/usr/local/bin/antirelou", str(tmp_path / "antirelou"))
    finally:
        docker("rm", holder, check=False)
    shipped = run(["readelf", "--section-headers", "--wide", str(tmp_path / "antirelou")]).stdout
    assert ".gnu_debuglink" in shipped and ".symtab" in shipped
    # .debug_gdb_scripts is loaded (it names Rust's pretty-printers for gdb):
    # it stays; every DWARF section goes.
    assert set(re.findall(r"\.(debug_\w+)", shipped)) <= {"debug_gdb_scripts"}, shipped
    link = run(["readelf", "--string-dump=.gnu_debuglink", str(tmp_path / "antirelou")]).stdout
    assert "antirelou.debug" in link
    # The separate file is the debug info of exactly this binary.
    debug = run(["readelf", "--section-headers", "--wide", str(images.debug_file)]).stdout
    assert re.search(r"\.debug_line\s+PROGBITS", debug)
    assert build_id(tmp_path / "antirelou") == build_id(images.debug_file) is not None
    size = int(docker("image", "inspect", "--format", "{{.Size}}", images.antirelou).stdout)
    base = int(docker("image", "inspect", "--format", "{{.Size}}", images.base).stdout)
    report(request, f"{images.antirelou}: {size / 1e6:.1f} MB ({base / 1e6:.1f} MB of base {images.base}, "
                    f"binary {os.path.getsize(tmp_path / 'antirelou') / 1e6:.1f} MB; "
                    f"debug info {os.path.getsize(images.debug_file) / 1e6:.1f} MB kept outside)")


def build_id(path: pathlib.Path) -> str | None:
    found = re.search(r"Build ID: ([0-9a-f]+)", run(["readelf", "--notes", str(path)]).stdout)
    return found.group(1) if found else None


def test_the_container_answers_health_and_readiness_over_the_host_network(served):
    assert served.get("/healthz") == (200, "ok\n")
    status, text = served.get("/readyz")
    assert status == 200 and '"ready"' in text and '"embedded"' in text


def test_the_process_runs_as_uid_10001_without_capabilities_on_a_read_only_root(served):
    status = proc_status(served.pid())
    assert status["Uid"].split() == [str(UID)] * 4
    assert status["Gid"].split() == [str(UID)] * 4
    assert int(status["CapEff"], 16) == 0
    # Even root inside cannot write the image's files: the root is read-only.
    denied = docker("exec", "--user", "0", served.name, "touch", "/etc/antirelou/probe", check=False)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr
    # Where the process may write: its volume and /tmp.
    docker("exec", served.name, "touch", f"{LEDGER_DIR}/probe", "/tmp/probe")


def test_the_ledger_lands_in_the_volume_and_survives_a_restart(served):
    credited = served.admin("POST", "/v1/tenants/lyon/top-up", {"amount": "1.00", "note": "fundraiser"})
    assert credited["balance"] == "1.00"
    assert served.sms("+33611111111") == REPLY
    files = {p.name: p.stat() for p in volume_path(served.volume).iterdir()}
    assert "ledger.sqlite3" in files
    assert (files["ledger.sqlite3"].st_uid, files["ledger.sqlite3"].st_gid) == (UID, UID)

    served.restart()

    entries = served.admin("GET", "/v1/tenants/lyon/entries")["entries"]
    assert [(e["kind"], e["amount"]) for e in entries] == [("top_up", "1.00"), ("reply", "0.08")]
    # The sender is remembered across the restart: one reply per sender.
    assert served.sms("+33611111111") is None
    assert served.sms("+33622222222") == REPLY
    balances = docker("exec", served.name, "antirelou", "ledger", "balances", "--config", CONFIG_IN_IMAGE).stdout
    assert re.search(r"lyon: this month 0\.16 EUR .*balance 0\.84 EUR", balances), balances


def test_docker_stop_drains_an_in_flight_webhook_and_exits_0(served):
    served.admin("POST", "/v1/tenants/lyon/top-up", {"amount": "1.00", "note": "drain"})
    body, headers = signed_webhook(PUBLIC_URL, served.env["TWILIO_AUTH_TOKEN_LYON"],
                                   inbound_form(ACCOUNT_SID, "+33633333333", NUMBER, "t'es où ?"))
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as conn:
        # A first exchange on this connection: the server has accepted it.
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: antirelou\r\n\r\n")
        assert read_response(conn)[0] == 200
        # The webhook's head and half its body: a request in flight.
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"POST /webhooks/twilio HTTP/1.1\r\nHost: antirelou\r\n{head}"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
        started = time.monotonic()
        stop = subprocess.Popen([docker_client(), "stop", "--time", str(STOP_TIMEOUT_S), served.name],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            # SIGTERM arrived once the port refuses new connections.
            wait_for(lambda: refuses(served.port), "the server to stop accepting", STOP_TIMEOUT_S,
                     on_timeout=served.logs)
            # A slow client: the rest of the body comes seconds later.
            time.sleep(SLOW_CLIENT_S)
            conn.sendall(body[len(body) // 2:])
            status, answer = read_response(conn)
        finally:
            stop.wait(timeout=STOP_TIMEOUT_S + 30)
        stopped_after = time.monotonic() - started
    assert status == 200 and twiml_message(answer) == REPLY, (status, answer)
    assert stop.returncode == 0, stop.stdout.read()
    state = docker("inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", served.name).stdout.split()
    assert state == ["0", "false"], served.logs()
    # It waited for the slow client, and exited 0 within the grace period:
    # drained, not killed at its end.
    assert SLOW_CLIENT_S < stopped_after < STOP_TIMEOUT_S


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def read_response(conn: socket.socket) -> tuple[int, str]:
    """One HTTP/1.1 response with a Content-Length, read off the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    while len(rest) < length:
        chunk = conn.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return status, rest[:length].decode()
