"""One collective on one small server, as docs/guide.en.md and
docs/guide.fr.md tell a volunteer: every command of the guides' ```sh
blocks is run here, in order, in a throwaway root.

The Debian package is built (deploy/debian/build-deb.sh, uncompressed) and
installed with dpkg into that root; `antirelou init` is answered in a real
pseudo-terminal; the service runs as its unit says (the share-secrets step
as root, then the binary as an unprivileged user that reads the secrets
only through the bind mount the unit names, in a mount namespace of its
own); Caddy runs the Caddyfile init wrote, on loopback ports with its
internal certificate authority; the console is reached over HTTPS with
`curl --cacert`. What cannot run here is mapped, command by command, in
GUIDE_COMMANDS: a path under / becomes the same path under the throwaway
root, `systemctl` starts and stops the processes as the unit says,
`journalctl` reads the service's log, `apt` installs with dpkg. A command
the guides gain without an entry there fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pexpect
import pytest

from conftest import DEPLOY, DOCS, ROOT, antirelou_bin
from live import wait_until

GUIDES = [DOCS / "guide.en.md", DOCS / "guide.fr.md"]
HOST = "sms.example.org"
NUMBER = "+33939123456"
SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "fedcba9876543210fedcba9876543210"
NOBODY = 65534


def guide_commands(path: pathlib.Path) -> list[str]:
    """The command lines of the ```sh blocks of a guide, in order."""
    commands, inside = [], False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if inside and line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    return commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def version() -> str:
    return re.search(r'^version = "(.*)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


@pytest.fixture(scope="module")
def deb() -> pathlib.Path:
    out = pathlib.Path(tempfile.mkdtemp(prefix="antirelou-deb-"))
    started = time.monotonic()
    built = subprocess.run(["bash", str(DEPLOY / "debian" / "build-deb.sh"), antirelou_bin(), str(out)],
                           env={**os.environ, "DEB_COMPRESSION": "none"},
                           capture_output=True, text=True, check=True, timeout=120)
    print(f"deb built in {time.monotonic() - started:.1f} s")
    yield pathlib.Path(built.stdout.strip())
    shutil.rmtree(out, ignore_errors=True)


class Server:
    """The throwaway root and the processes the guide starts in it."""

    def __init__(self, deb: pathlib.Path):
        self.deb = deb
        # Readable by the service's unprivileged user all the way down.
        self.top = pathlib.Path(tempfile.mkdtemp(prefix="antirelou-root-"))
        os.chmod(self.top, 0o755)
        self.root = self.top / "root"
        self.root.mkdir(mode=0o755)
        self.logs = self.top / "logs"
        self.logs.mkdir()
        self.webhooks = free_port()
        self.console = free_port()
        self.https = free_port()
        self.caddy: subprocess.Popen | None = None
        self.service: subprocess.Popen | None = None
        self.starts = 0
        self.outputs: list[str] = []

    # Paths and files.
    def path(self, absolute: str) -> pathlib.Path:
        return self.root / absolute.lstrip("/")

    def binary(self) -> str:
        return str(self.path("/usr/bin/antirelou"))

    def config(self) -> pathlib.Path:
        return self.path("/etc/antirelou/antirelou.toml")

    def ca(self) -> pathlib.Path:
        return self.top / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)
        self.outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
        return done

    # apt.
    def apt_update(self):
        self.run(["apt-get", "update", "--print-uris"])

    def apt_install(self):
        assert self.deb.name == f"antirelou_{version()}_{subprocess.check_output(['dpkg', '--print-architecture'], text=True).strip()}.deb"
        admin = self.path("/var/lib/dpkg")
        for sub in ("info", "updates", "triggers"):
            (admin / sub).mkdir(parents=True, exist_ok=True)
        for file in ("status", "available"):
            (admin / file).touch()
        # The throwaway root has no libc6 package (the host's is used); apt
        # checks on this machine that every dependency can be met.
        self.run(["dpkg", f"--root={self.root}", "--force-script-chrootless", "--force-depends", "-i", str(self.deb)])
        simulated = self.run(["apt-get", "install", "--simulate", str(self.deb), "caddy"])
        assert "antirelou" in simulated.stdout
        self.run(["caddy", "version"])
        # The package's unit: the service is started by `systemctl enable --now`, not by the install.
        assert self.service is None or self.service.poll() is None

    # antirelou init, in a terminal.
    def init(self, force: bool = False, daily_cap: str = ""):
        argv = [self.binary(), "init", "--dir", str(self.path("/etc/antirelou")),
                "--data-dir", str(self.path("/var/lib/antirelou")),
                "--listen", f"127.0.0.1:{self.webhooks}", "--console-listen", f"127.0.0.1:{self.console}"]
        if force:
            argv.append("--force")
        child = pexpect.spawn(argv[0], argv[1:], env={**os.environ, "LANG": "en_US.UTF-8", "TERM": "xterm"},
                              encoding="utf-8", timeout=30)
        child.logfile_read = open(self.logs / "init.log", "a")

        def answer(prompt: str, text: str):
            child.expect_exact(prompt)
            child.send(text)

        answer("Langue / Language", "\r")  # English, from LANG
        answer("Short name of your collective", "nousaussi\r")
        answer("Your SMS provider", "\x1b[B\r")  # Twilio
        answer("Account SID", SID + "\r")
        answer("Auth token (hidden)", TWILIO_TOKEN + "\r")
        answer("The number that answers", "09 39 12 34 56\r")
        answer("Price of one SMS sent", "\r")
        answer("€0.08 a reply", "\r")  # the reply line's status, under the default reply
        answer("At most how much a day", (daily_cap or "") + "\r")
        answer("At most how much a month", "\r")
        answer("prepaid balance", "\r")
        answer("public address", f"https://{HOST}\r")
        child.expect_exact(f"https://{HOST}/webhooks/twilio")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, (self.logs / "init.log").read_text()

    # Caddy.
    def caddy_reload(self):
        installed = self.path("/etc/caddy/Caddyfile")
        # The guide's file as init wrote it; the test only moves Caddy to
        # loopback ports, its internal certificate authority (no Let's
        # Encrypt here), its storage in the test's folder, no admin port.
        test_file = self.top / "Caddyfile.test"
        test_file.write_text(
            "{\n\tlocal_certs\n\tskip_install_trust\n\tadmin off\n"
            f"\thttp_port {free_port()}\n\thttps_port {self.https}\n"
            f"\tstorage file_system {self.top / 'caddy-data' / 'caddy'}\n}}\n\n" + installed.read_text())
        if self.caddy:
            self.stop(self.caddy)
        env = {**os.environ, "HOME": str(self.top), "XDG_DATA_HOME": str(self.top / "caddy-data"),
               "XDG_CONFIG_HOME": str(self.top / "caddy-config")}
        log = open(self.logs / "caddy.log", "a")
        self.caddy = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", str(test_file)],
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until("Caddy's certificate authority and HTTPS port", lambda: self.ca().exists() and self.port_open(self.https), 30)

    @staticmethod
    def port_open(port: int) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    # The service, as deploy/single/antirelou.service runs it.
    def unit(self) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = {}
        for line in self.path("/lib/systemd/system/antirelou.service").read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                keys.setdefault(key, []).append(value)
        return keys

    def mapped(self, command: str) -> list[str]:
        """A unit command line with its absolute paths under the throwaway root."""
        return [str(self.path(word)) if word.startswith("/") else word for word in shlex.split(command)]

    def systemctl_start(self):
        unit = self.unit()
        assert unit["DynamicUser"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
        assert unit["CapabilityBoundingSet"] == [""] and unit["StateDirectory"] == ["antirelou"]
        assert unit["WantedBy"] == ["multi-user.target"]
        # systemd's part: the runtime and state directories, owned by the service's user.
        for directory in ("/run/antirelou", "/var/lib/antirelou"):
            path = self.path(directory)
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, NOBODY, NOBODY)
            os.chmod(path, 0o700)
        (pre,) = unit["ExecStartPre"]
        assert pre.startswith("+"), "share-secrets runs as root"
        self.run(self.mapped(pre[1:]), env={**os.environ, "ANTIRELOU_ROOT": str(self.root)})
        (bind,) = unit["BindReadOnlyPaths"]
        source, target = (str(self.path(p)) for p in bind.split(":"))
        (start,) = unit["ExecStart"]
        inner = (f"mount --bind {shlex.quote(source)} {shlex.quote(target)} && "
                 f"mount -o remount,bind,ro {shlex.quote(target)} && "
                 f"exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "
                 + " ".join(shlex.quote(w) for w in self.mapped(start)))
        log = open(self.logs / "antirelou.log", "a")
        self.service = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                                        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "info"})
        self.starts += 1
        wait_until("the service's listeners", lambda: self.port_open(self.webhooks) and self.port_open(self.console), 30)

    def systemctl_restart(self):
        status = self.stop(self.service)
        assert status == 0, f"graceful stop: {status}\n{self.journal()}"
        self.systemctl_start()

    @staticmethod
    def stop(proc: subprocess.Popen) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=45)

    def journal(self) -> str:
        return (self.logs / "antirelou.log").read_text()

    # HTTPS through Caddy.
    def curl(self, *args: str) -> str:
        return self.run(["curl", "--silent", "--show-error", "--cacert", str(self.ca()),
                         "--resolve", f"{HOST}:{self.https}:127.0.0.1", *args]).stdout

    def url(self, path: str) -> str:
        return f"https://{HOST}:{self.https}{path}"

    def close(self):
        for proc in (self.service, self.caddy):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.top, ignore_errors=True)


def antirelou_as_root(server: Server, args: list[str]) -> str:
    mapped = [str(server.path(a)) if a.startswith("/etc/") else a for a in args]
    return server.run([server.binary(), *mapped]).stdout


# Every command of the guides, and what it does in the throwaway root.
GUIDE_COMMANDS = {
    "sudo apt update": Server.apt_update,
    f"sudo apt install ./antirelou_{version()}_amd64.deb caddy": Server.apt_install,
    "sudo antirelou init": Server.init,
    "sudo cp /etc/antirelou/Caddyfile /etc/caddy/Caddyfile": lambda s: (
        s.path("/etc/caddy").mkdir(parents=True, exist_ok=True),
        shutil.copy(s.path("/etc/antirelou/Caddyfile"), s.path("/etc/caddy/Caddyfile"))),
    "sudo systemctl reload caddy": Server.caddy_reload,
    "sudo systemctl enable --now antirelou": Server.systemctl_start,
    "curl -s -o /dev/null -w '%{http_code}\\n' https://sms.example.org/console/login": lambda s: (
        s.outputs.append(out := s.curl("-o", "/dev/null", "-w", "%{http_code}\n", s.url("/console/login"))),
        assert_equal(out, "200\n")),
    "sudo cat /etc/antirelou/secrets/admin_token": lambda s: s.outputs.append(
        s.path("/etc/antirelou/secrets/admin_token").read_text()),
    "sudo antirelou init --force": lambda s: s.init(force=True, daily_cap="7"),
    "sudo systemctl restart antirelou": Server.systemctl_restart,
    f'sudo antirelou send --config /etc/antirelou/antirelou.toml --to {NUMBER} --from +33611223344 "test"':
        lambda s: assert_in("Hello. You made the person", antirelou_as_root(
            s, ["send", "--config", "/etc/antirelou/antirelou.toml", "--to", NUMBER, "--from", "+33611223344", "test"])),
    "sudo journalctl -u antirelou -n 50": lambda s: s.outputs.append("\n".join(s.journal().splitlines()[-50:])),
    "sudo antirelou check-config --config /etc/antirelou/antirelou.toml": lambda s: assert_in(
        "configuration OK", antirelou_as_root(s, ["check-config", "--config", "/etc/antirelou/antirelou.toml"])),
}


def assert_equal(got, expected):
    assert got == expected, f"{got!r} != {expected!r}"


def assert_in(needle, haystack):
    assert needle in haystack, f"{needle!r} not in {haystack!r}"


def test_both_guides_give_the_same_commands_in_the_same_order():
    english, french = (guide_commands(g) for g in GUIDES)
    assert english == french
    assert len(english) >= 10


def test_every_guide_command_is_one_the_test_knows_how_to_run():
    unknown = [c for c in guide_commands(GUIDES[0]) if c not in GUIDE_COMMANDS]
    assert not unknown, f"commands of the guide this test cannot run: {unknown}"


def test_the_readme_sends_a_volunteer_to_the_guides_first():
    readme = (ROOT / "README.md").read_text()
    first_link = re.search(r"\]\((docs/[^)]+)\)", readme).group(1)
    assert first_link in ("docs/guide.en.md", "docs/guide.fr.md"), first_link
    assert "docs/guide.en.md" in readme and "docs/guide.fr.md" in readme


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.name)
def test_the_guides_explain_every_word_a_volunteer_would_have_to_look_up(guide):
    text = guide.read_text()
    glossary = text.split("\n## ", 1)[0]
    words = {
        "guide.en.md": ["server", "terminal", "domain name", "HTTPS", "SMS provider", "webhook", "token", "console",
                        "API keys", "Debian"],
        "guide.fr.md": ["serveur", "terminal", "nom de domaine", "HTTPS", "opérateur SMS", "webhook", "jeton",
                        "console", "clés d'API", "Debian"],
    }[guide.name]
    for word in words:
        assert f"**{word}**" in glossary, f"{word!r} is used in {guide.name} but not explained before the first step"


def test_a_volunteer_follows_the_guide_on_a_throwaway_server(deb):
    server = Server(deb)
    try:
        for command in guide_commands(GUIDES[0]):
            GUIDE_COMMANDS[command](server)

        # init --force kept the tokens and took the new answer; the restart kept the ledger.
        text = server.config().read_text()
        assert 'daily_cap = "7.00"' in text and "{ file = " in text, text
        assert server.starts == 3
        token = server.path("/etc/antirelou/secrets/admin_token").read_text()
        operator = server.path("/etc/antirelou/secrets/operator_token").read_text()

        # The console over HTTPS, through Caddy: sign in with the collective's token.
        jar = server.top / "cookies"
        page = server.curl("--cookie-jar", str(jar), server.url("/console/login"))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        signed_in = server.curl("--cookie", str(jar), "--cookie-jar", str(jar), "-o", "/dev/null", "-w", "%{http_code}",
                                "--data-urlencode", f"token={token}", "--data-urlencode", f"csrf={csrf}",
                                server.url("/console/login"))
        assert signed_in == "303"
        overview = server.curl("--cookie", str(jar), server.url("/console/"))
        assert "nousaussi" in overview and NUMBER in overview
        assert server.curl("-o", "/dev/null", "-w", "%{redirect_url}", server.url("/")) == server.url("/console/")

        # The collective's API is public, the operator token opens nothing there, /metrics stays inside.
        def status(path: str, *args: str) -> str:
            return server.curl("-o", "/dev/null", "-w", "%{http_code}", *args, server.url(path))

        assert status("/v1/numbers", "-H", f"Authorization: Bearer {token}") == "200"
        assert status("/v1/numbers", "-H", f"Authorization: Bearer {operator}") == "401"
        assert status("/metrics") == "404"
        assert status("/healthz") == "404"

        # A webhook signed as Twilio signs it, through Caddy: the reply comes back.
        form = {"AccountSid": SID, "MessageSid": "SM" + "1" * 32, "From": "+33622334455", "To": NUMBER,
                "Body": "on se revoit ?", "NumMedia": "0"}
        signed = f"https://{HOST}/webhooks/twilio" + "".join(k + form[k] for k in sorted(form))
        signature = base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
        answer = server.curl("-H", f"X-Twilio-Signature: {signature}", "--data", urllib.parse.urlencode(form),
                             server.url("/webhooks/twilio"))
        assert "<Message>Hello. You made the person" in answer, answer

        # The service never wrote a sender's number or a message in its log.
        journal = server.journal()
        assert "antirelou listening on" in journal
        for private in ("+33611223344", "+33622334455", "on se revoit"):
            assert private not in journal
    finally:
        server.close()


def test_the_unit_is_hardened_and_valid_and_the_caddyfile_validates(deb, tmp_path):
    unit = DEPLOY / "single" / "antirelou.service"
    exposure = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                              capture_output=True, text=True, timeout=60)
    score = float(re.search(r"Overall exposure level for antirelou.service: ([0-9.]+)", exposure.stdout).group(1))
    assert score <= 2.0, exposure.stdout
    # `verify` checks that the commands exist: point them at the package's files.
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    mapped = tmp_path / "antirelou.service"
    text = unit.read_text()
    for path in ("/usr/bin/antirelou", "/usr/lib/antirelou/share-secrets"):
        text = text.replace(path, str(root) + path)
    mapped.write_text(text)
    verified = subprocess.run(["systemd-analyze", "verify", str(mapped)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr

    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "ANTIRELOU_HOST": HOST}
    for caddyfile in (DEPLOY / "single" / "Caddyfile", root / "usr/share/antirelou/Caddyfile"):
        checked = subprocess.run(["caddy", "validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
                                 env=env, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0 and "Valid configuration" in checked.stdout + checked.stderr, checked.stderr
