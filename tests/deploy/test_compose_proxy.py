"""The compose stack's proxy (deploy/nginx.conf) in front of two replicas
run with the stack's own settings (deploy/compose/antirelou.toml) and the
variables its compose file gives them: Debian's nginx with the shipped
configuration, a self-signed certificate for localhost, a redis-server of
the test's own. Processes, not containers (test_compose_run.py runs the
images): what changes from the shipped files is only where things are
(ports, the certificate's directory, /tmp), rewritten in the copy of
nginx.conf this test runs.

Over HTTPS: the collectives sign in to /console/ and call /v1/ with their
token, the operator's token opens nothing there, a signed webhook is
answered; over plain HTTP: the webhooks only, /console and /v1 are sent to
HTTPS; /metrics is on neither.
"""

from __future__ import annotations

import os
import pathlib
import pwd
import re
import socket
import subprocess
import urllib.parse

import pytest
import yaml

from conftest import DEPLOY, antirelou_bin, tool
from live import Processes, Redis, inbound_form, message_sid, twilio_signature, wait_until

COMPOSE = DEPLOY / "docker-compose.yml"
SETTINGS = DEPLOY / "compose" / "antirelou.toml"
NUMBER = "+33937000001"
SID = "AC0123456789abcdef0123456789abcdef"
SECRETS = {
    "ANTIRELOU_SENDER_KEY": "compose-proxy-sender-key-0123456789abcdef",
    "ANTIRELOU_SEALING_KEY": "compose-proxy-sealing-key-0123456789abcdef",
    "TWILIO_AUTH_TOKEN_DEMO": "compose-proxy-twilio-token-0123456789",
    "ANTIRELOU_ADMIN_TOKEN_DEMO": "compose-proxy-admin-token-of-demo-0123",
    "ANTIRELOU_OPERATOR_TOKEN": "compose-proxy-operator-token-0123456789",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def replica_environment(service: str) -> dict[str, str]:
    """What compose gives `service`: its own listeners, and from the shared
    block every variable whose value is a plain interpolation of .env."""
    stack = yaml.safe_load(COMPOSE.read_text())
    env = {}
    for name, value in stack["services"][service]["environment"].items():
        if name.startswith("ANTIRELOU__SERVER__") and "LISTEN" in name:
            env[name] = value
    return env


class Proxy:
    def __init__(self, top: pathlib.Path):
        self.top = top
        self.procs = Processes(top)
        self.ports = {name: free_port() for name in ("http", "https")}
        self.https = f"https://localhost:{self.ports['https']}"
        self.http = f"http://localhost:{self.ports['http']}"
        self.replicas: dict[str, dict[str, int]] = {}

    def start(self):
        redis = Redis(self.procs, tool("redis-server"), self.top / "redis")
        self.certificate()
        # Where compose puts each listener, and where this test puts it.
        moves: dict[str, str] = {}
        for service in ("antirelou-1", "antirelou-2"):
            listeners = {}
            env = {**os.environ, **SECRETS, "RUST_LOG": "warn", "ANTIRELOU_REDIS_URL": redis.url,
                   "ANTIRELOU__SERVER__PUBLIC_URL": self.https}
            for key, address in replica_environment(service).items():
                port = free_port()
                moves[address] = f"127.0.0.1:{port}"
                listeners[key] = port
                env[key] = f"127.0.0.1:{port}"
            self.replicas[service] = listeners
            proc = self.procs.start(service, [antirelou_bin(), "serve", "--config", str(SETTINGS)], env=env)
            self.procs.first_line(service, proc)
        conf = self.configuration(moves)
        nginx = self.procs.start("nginx", [tool("nginx"), "-e", "stderr", "-c", str(conf), "-g", "daemon off;"])
        wait_until("nginx to answer over HTTPS",
                   lambda: nginx.poll() is None and self.curl("-o", "/dev/null", "-w", "%{http_code}",
                                                              f"{self.https}/healthz") == "200", 30)

    def certificate(self):
        tls = self.top / "tls"
        tls.mkdir()
        subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
                       check=True, capture_output=True)
        self.ca = tls / "fullchain.pem"

    def configuration(self, moves: dict[str, str]) -> pathlib.Path:
        """The shipped nginx.conf with the test's ports and directories."""
        text = (DEPLOY / "nginx.conf").read_text()
        for shipped, here in moves.items():
            assert shipped in text or shipped.endswith(("9181", "9182")), f"nginx.conf sends nothing to {shipped}"
            text = text.replace(f"server {shipped} ", f"server {here} ")
        text = text.replace("listen 8080;", f"listen 127.0.0.1:{self.ports['http']};")
        text = text.replace("listen 8443 ssl;", f"listen 127.0.0.1:{self.ports['https']} ssl;")
        run = self.top / "nginx"
        run.mkdir()
        text = text.replace("/tmp/", f"{run}/")
        text = text.replace("/etc/nginx/tls/", f"{self.top / 'tls'}/")
        # Started by root, nginx would run its workers as `nobody`, who cannot
        # enter the test's directory: they stay the test's user.
        user = pwd.getpwuid(os.getuid()).pw_name
        text = text.replace("worker_processes auto;", f"user {user};\nworker_processes 2;")
        conf = self.top / "nginx.conf"
        conf.write_text(text)
        return conf

    def curl(self, *args: str) -> str:
        done = subprocess.run([tool("curl"), "--silent", "--show-error", "--cacert", str(self.ca), *args],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def status(self, url: str, *args: str) -> str:
        return self.curl("-o", "/dev/null", "-w", "%{http_code}", *args, url)

    def close(self):
        self.procs.stop_all()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    proxy = Proxy(tmp_path_factory.mktemp("compose-proxy"))
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.close()


def test_each_replica_keeps_the_operators_api_off_the_port_nginx_serves():
    for service in ("antirelou-1", "antirelou-2"):
        listeners = replica_environment(service)
        assert set(listeners) == {"ANTIRELOU__SERVER__LISTEN", "ANTIRELOU__SERVER__CONSOLE_LISTEN",
                                  "ANTIRELOU__SERVER__ADMIN_LISTEN"}, service
        conf = (DEPLOY / "nginx.conf").read_text()
        assert f"server {listeners['ANTIRELOU__SERVER__CONSOLE_LISTEN']} " in conf
        assert listeners["ANTIRELOU__SERVER__ADMIN_LISTEN"] not in conf, "nginx never reaches the operator's API"


def test_a_collective_signs_in_to_the_console_over_https(proxy):
    jar = str(proxy.top / "cookies")
    page = proxy.curl("--cookie-jar", jar, f"{proxy.https}/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    signed_in = proxy.curl("--cookie", jar, "--cookie-jar", jar, "-o", "/dev/null", "-w", "%{http_code}",
                           "--data-urlencode", f"token={SECRETS['ANTIRELOU_ADMIN_TOKEN_DEMO']}",
                           "--data-urlencode", f"csrf={csrf}", f"{proxy.https}/console/login")
    assert signed_in == "303"
    overview = proxy.curl("--cookie", jar, f"{proxy.https}/console/")
    assert "demo" in overview and NUMBER in overview
    # The session cookie is for HTTPS only.
    assert re.search(r"^#HttpOnly_localhost\tFALSE\t/console\tTRUE\t", pathlib.Path(jar).read_text(), re.M)
    assert proxy.curl("-o", "/dev/null", "-w", "%{redirect_url}", f"{proxy.https}/") == f"{proxy.https}/console/"


def test_the_collectives_api_takes_their_token_and_refuses_the_operators(proxy):
    tenant = f"Authorization: Bearer {SECRETS['ANTIRELOU_ADMIN_TOKEN_DEMO']}"
    operator = f"Authorization: Bearer {SECRETS['ANTIRELOU_OPERATOR_TOKEN']}"
    assert NUMBER in proxy.curl("-H", tenant, f"{proxy.https}/v1/numbers")
    assert proxy.status(f"{proxy.https}/v1/numbers", "-H", operator) == "401"
    assert proxy.status(f"{proxy.https}/v1/tenants/demo/audit", "-H", operator) == "401"
    # The operator's token works on a replica's admin port, which only the machine reaches.
    admin = proxy.replicas["antirelou-1"]["ANTIRELOU__SERVER__ADMIN_LISTEN"]
    assert NUMBER in proxy.curl("-H", operator, f"http://127.0.0.1:{admin}/v1/numbers")
    assert proxy.status(f"http://127.0.0.1:{admin}/v1/tenants/demo/audit", "-H", operator) == "200"


def test_plain_http_serves_the_webhooks_only_and_sends_the_console_to_https(proxy):
    for path in ("/console/", "/console/login", "/v1/numbers"):
        assert proxy.status(f"{proxy.http}{path}") == "308", path
        assert proxy.curl("-o", "/dev/null", "-w", "%{redirect_url}", f"{proxy.http}{path}") == f"https://localhost{path}"
    for base in (proxy.http, proxy.https):
        assert proxy.status(f"{base}/metrics") == "404", base
        assert proxy.status(f"{base}/healthz") == "200", base


def test_a_signed_webhook_is_answered_over_https(proxy):
    params = inbound_form(SID, message_sid("compose-proxy", 1), "+33622334455", NUMBER, "on se revoit ?")
    token = SECRETS["TWILIO_AUTH_TOKEN_DEMO"]
    signature = twilio_signature(token, f"{proxy.https}/webhooks/twilio", params)
    answer = proxy.curl("-H", f"X-Twilio-Signature: {signature}", "--data", urllib.parse.urlencode(params),
                        f"{proxy.https}/webhooks/twilio")
    assert "<Message>Bonjour. Vous avez mis mal" in answer, answer
    forged = proxy.status(f"{proxy.https}/webhooks/twilio", "-H", "X-Twilio-Signature: AAAA",
                          "--data", urllib.parse.urlencode(params))
    assert forged == "403"
