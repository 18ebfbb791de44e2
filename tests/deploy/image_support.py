"""What the tests that run containers share (test_image_run.py,
test_compose_run.py): a Docker engine, the images, a few HTTP and Twilio
helpers.

The engine: the one running, else `dockerd` started here (as root, with no
default bridge and no iptables rules: every container of these tests uses
the host's network or none, and talks over 127.0.0.1 only) and stopped at
the end. The images: deploy/build-images.sh, from the antirelou binary under
test and a `debootstrap` base built once per machine (kept in the engine).
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import hmac
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.etree import ElementTree

import pytest

from conftest import DEPLOY

BUILD_IMAGES = DEPLOY / "build-images.sh"
# antirelou's image under test: a tag of this session's own (never the
# operator's antirelou:local, nor another test run's), removed at the end.
ANTIRELOU_IMAGE = f"antirelou:deploy-test-{uuid.uuid4().hex[:10]}"
# antirelou's settings in the image.
CONFIG_IN_IMAGE = "/etc/antirelou/antirelou.toml"
UID = 10001


class DockerUnavailable(Exception):
    pass


@functools.cache
def docker_client() -> str:
    """A docker client that builds with BuildKit, as deploy/build-images.sh
    picks it: with the buildx plugin, or older than 23 (Debian's docker.io)."""
    for client in ("docker", "/usr/bin/docker"):
        path = shutil.which(client)
        if path is None:
            continue
        if run([path, "buildx", "version"], check=False).returncode == 0:
            return path
        version = run([path, "--version"], check=False).stdout
        major = re.match(r"Docker version (\d+)\.", version)
        if major and int(major.group(1)) < 23:
            return path
    raise DockerUnavailable("no docker client that builds with BuildKit (tests/deploy/run.sh installs docker.io)")


@functools.cache
def compose_command() -> list[str]:
    """`docker compose` (v2) where the plugin is there, else Debian's docker-compose."""
    for client in ("docker", "/usr/bin/docker"):
        if shutil.which(client) and run([client, "compose", "version"], check=False).returncode == 0:
            return [client, "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor docker-compose is installed (tests/deploy/run.sh installs docker-compose)")


def run(argv: list[str], *, check: bool = True, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return run([docker_client(), *args], check=check, timeout=timeout)


def engine_answers() -> bool:
    try:
        return docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=20).returncode == 0
    except (DockerUnavailable, subprocess.TimeoutExpired):
        return False


class Engine:
    """The Docker engine of this test session; stops only a dockerd it started."""

    def __init__(self):
        self.users = 0
        self.dockerd: subprocess.Popen | None = None
        self.log_path: pathlib.Path | None = None

    def acquire(self) -> None:
        self.users += 1
        if self.users > 1 or engine_answers():
            return
        dockerd = shutil.which("dockerd")
        if dockerd is None or os.geteuid() != 0:
            raise DockerUnavailable("no Docker engine answers and dockerd cannot be started here "
                                    "(tests/deploy/run.sh installs docker.io; dockerd needs root)")
        self.log_path = pathlib.Path(tempfile.mkstemp(prefix="antirelou-dockerd.", suffix=".log")[1])
        with open(self.log_path, "wb") as log:
            self.dockerd = subprocess.Popen(
                [dockerd, "--bridge=none", "--iptables=false", "--ip-masq=false"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            wait_for(lambda: self.dockerd.poll() is None and engine_answers(), "dockerd to answer", 60,
                     on_timeout=lambda: self.log_path.read_text(errors="replace")[-3000:])
        except BaseException:
            self.stop_dockerd()
            raise

    def release(self) -> None:
        self.users -= 1
        if self.users > 0:
            return
        docker("image", "rm", ANTIRELOU_IMAGE, check=False)
        if self.dockerd is None:
            return
        if docker("ps", "--quiet", check=False).stdout.strip():
            # Another test run started containers on this engine meanwhile.
            print(f"dockerd (pid {self.dockerd.pid}) left running: other containers use it")
            return
        self.stop_dockerd()
        self.log_path.unlink(missing_ok=True)

    def stop_dockerd(self) -> None:
        """SIGTERM (dockerd stops its containerd too), SIGKILL after a minute."""
        self.dockerd.send_signal(signal.SIGTERM)
        try:
            self.dockerd.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.dockerd.kill()
            self.dockerd.wait(timeout=10)
        self.dockerd = None


ENGINE = Engine()


@pytest.fixture(scope="session")
def docker_engine():
    """The engine (started if none runs). Imported by each module that runs
    containers: the module-level ENGINE counts them, so dockerd starts once
    and stops after the last one."""
    try:
        ENGINE.acquire()
    except DockerUnavailable as e:
        ENGINE.users -= 1
        pytest.fail(str(e))
    try:
        yield ENGINE
    finally:
        ENGINE.release()


class Images:
    def __init__(self, antirelou: str, base: str, build_log: str, build_seconds: float, debug_file: pathlib.Path):
        self.antirelou = antirelou
        self.base = base
        self.build_log = build_log
        self.build_seconds = build_seconds
        self.debug_file = debug_file
        self.reported = False


@functools.cache
def build_images(binary: str) -> Images:
    """deploy/build-images.sh all BINARY: the base (debootstrap, once per
    machine), antirelou's image from the binary under test, the stack's."""
    debug_dir = pathlib.Path(tempfile.mkdtemp(prefix="antirelou-debug."))
    atexit.register(shutil.rmtree, debug_dir, True)
    env = dict(os.environ, ANTIRELOU_IMAGE=ANTIRELOU_IMAGE, DOCKER=docker_client(),
               ANTIRELOU_DEBUG_FILE=str(debug_dir / "antirelou.debug"))
    env.pop("ANTIRELOU_BASE_IMAGE", None)
    started = time.monotonic()
    done = run(["bash", str(BUILD_IMAGES), "all", binary], env=env, timeout=1200)
    base = re.search(r"^base image (\S+):", done.stdout, re.M).group(1)
    return Images(ANTIRELOU_IMAGE, base, done.stdout.strip(), time.monotonic() - started, debug_dir / "antirelou.debug")


@pytest.fixture(scope="session")
def images(docker_engine, request) -> Images:
    from conftest import antirelou_bin

    built = build_images(antirelou_bin())
    if not built.reported:
        built.reported = True
        report(request, f"images built in {built.build_seconds:.0f} s:\n{built.build_log}")
    return built


def report(request, text: str) -> None:
    """A line on the terminal, past pytest's capture (image sizes, timings,
    what is skipped and why)."""
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if terminal is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line("")
        for line in text.splitlines():
            terminal.write_line(f"[deploy] {line}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(predicate, what: str, seconds: float, interval: float = 0.2, on_timeout=None):
    """Polls `predicate` until it returns a true value (returned) or the
    deadline passes (the test fails, with `on_timeout()` appended)."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 (kept for the failure message)
            last = e
        time.sleep(interval)
    extra = f"\n{on_timeout()}" if on_timeout else ""
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what} (last error: {last!r}){extra}")


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, text = http(method, url, json.dumps(body).encode() if body is not None else None, headers)
    return status, json.loads(text) if text.strip() else {}


# ------------------------------------------------------------------ Twilio

def twilio_signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + each key+value, sorted by key))."""
    payload = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def inbound_form(account_sid: str, sender: str, to: str, body: str) -> list[tuple[str, str]]:
    """An inbound SMS webhook's form as Twilio posts it, with a fresh MessageSid."""
    sid = "SM" + uuid.uuid4().hex
    return [
        ("ToCountry", "FR"), ("ToState", ""), ("SmsMessageSid", sid), ("NumMedia", "0"),
        ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"),
        ("FromCity", ""), ("Body", body), ("FromCountry", "FR"), ("To", to), ("ToZip", ""),
        ("NumSegments", "1"), ("MessageSid", sid), ("AccountSid", account_sid), ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]


def signed_webhook(public_url: str, token: str, form: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook to `<public_url>/webhooks/twilio`."""
    body = urllib.parse.urlencode(form).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(token, public_url.rstrip("/") + "/webhooks/twilio", form),
    }
    return body, headers


def twiml_message(text: str) -> str | None:
    """The reply of a TwiML answer, None when it has no <Message>."""
    message = ElementTree.fromstring(text).find("Message")
    return None if message is None else message.text


def secret(label: str) -> str:
    """A fresh 64-hex-character secret (passes every length/variety rule)."""
    return hashlib.sha256(f"{label}{uuid.uuid4()}".encode()).hexdigest()
