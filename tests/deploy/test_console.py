"""The console (/console/) in a real browser: two `antirelou serve`
replicas on one Redis ledger, driven by Playwright in Debian's chromium
(tests/console/console.test.mjs, run with node's test runner).

Nothing here is skipped: without node, chromium or the npm packages
(`npm ci` in tests/console, which tests/deploy/run.sh does) the test fails.
The walk runs at 1,280 px, then again at 390 px (a phone), where no page
may scroll sideways. Screenshots go to the test's directory; with ANTIRELOU_CONSOLE_SCREENSHOTS=1
they replace docs/img/console-*.png (commit them when the pages change).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from conftest import ROOT, antirelou_bin, tool
from live import Processes, Redis, Replica, SendApiStandIn

CONSOLE_TESTS = ROOT / "tests" / "console"
CHROMIUM = "/usr/bin/chromium"
PUBLIC_URL = "https://antirelou.example.org"

TOKENS = {
    "paris": "console-test-paris-token-0123456789",
    "lyon": "console-test-lyon-token-9876543210",
    "operator": "console-test-operator-token-5555555555",
}
ACCOUNT = {"paris": "AC" + "1" * 32, "lyon": "AC" + "2" * 32}
TWILIO_TOKEN = {"paris": "twilio-auth-token-of-paris", "lyon": "twilio-auth-token-of-lyon"}
NUMBER = {"paris": "+33612345678", "lyon": "+33698765432"}

CONFIG = """
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
metrics_listen = "127.0.0.1:0"
public_url = "@PUBLIC_URL@"
operator_token = { env = "CONSOLE_TOKEN_OPERATOR" }
console_session_ttl = "1h"

[ledger]
backend = "redis"
redis_url = "@REDIS_URL@"
key_prefix = "console"
currency = "EUR"
timezone = "Europe/Paris"

[privacy]
sender_key = "c0nsole-test-sender-key-9f8e7d6c5b4a39281706f5e4d3"
sealing_key = "c0nsole-test-sealing-key-1a2b3c4d5e6f708192a3b4c5d6"
"""


def tenant(tid: str) -> str:
    return f"""
[[tenants]]
id = "{tid}"
monthly_cap = "50.00"
admin_token = {{ env = "CONSOLE_TOKEN_{tid.upper()}" }}
provider = {{ kind = "twilio", account_sid = "{ACCOUNT[tid]}", auth_token = "{TWILIO_TOKEN[tid]}", api_base = "@API_BASE@" }}

[[tenants.numbers]]
number = "{NUMBER[tid]}"
reply = "Bonjour. Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
daily_cap = "5.00"
# The walk spends a small daily cap within minutes: the shield's money rule
# (tested in the engine and the simulator) would defer the next new sender or
# not depending on the hour of the day. The walk is about the console.
shield = {{ money_margin_percent = 100000 }}
"""


def test_the_console_runs_a_number_in_a_real_browser(tmp_path):
    node = shutil.which("node")
    assert node, "node is missing (tests/deploy/run.sh installs Debian's nodejs)"
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing (tests/deploy/run.sh installs Debian's chromium)"
    assert (CONSOLE_TESTS / "node_modules" / "playwright-core").is_dir(), \
        "tests/console/node_modules is missing: run `npm ci` there (tests/deploy/run.sh does)"

    procs = Processes(tmp_path)
    send_api = SendApiStandIn()
    try:
        redis = Redis(procs, tool("redis-server"), tmp_path / "redis")
        config = tmp_path / "antirelou.toml"
        config.write_text((CONFIG + tenant("paris") + tenant("lyon")).replace("@REDIS_URL@", redis.url)
                          .replace("@PUBLIC_URL@", PUBLIC_URL).replace("@API_BASE@", send_api.url))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIRELOU__")}
        env.update({f"CONSOLE_TOKEN_{who.upper()}": token for who, token in TOKENS.items()})
        binary = antirelou_bin()
        one = Replica(procs, binary, "replica-1", config, env, tmp_path / "replica-1")
        two = Replica(procs, binary, "replica-2", config, env, tmp_path / "replica-2")

        screenshots = ROOT / "docs" / "img" if os.environ.get("ANTIRELOU_CONSOLE_SCREENSHOTS") else tmp_path
        screenshots.mkdir(exist_ok=True)
        node_env = {**os.environ, "CONSOLE_URL": one.admin_url, "CONSOLE_URL_2": two.admin_url,
                    "WEBHOOK_URL": one.url, "METRICS_URL": one.metrics_url, "PUBLIC_URL": PUBLIC_URL,
                    "SCREENSHOTS": str(screenshots), "CHROMIUM": CHROMIUM,
                    "TOKEN_PARIS": TOKENS["paris"], "TOKEN_LYON": TOKENS["lyon"],
                    "TOKEN_OPERATOR": TOKENS["operator"], "ACCOUNT_PARIS": ACCOUNT["paris"],
                    "TWILIO_TOKEN_PARIS": TWILIO_TOKEN["paris"],
                    "NUMBER_PARIS": NUMBER["paris"], "NUMBER_LYON": NUMBER["lyon"]}
        done = subprocess.run([node, "--test", "--test-reporter=spec", "console.test.mjs"], cwd=CONSOLE_TESTS,
                              env=node_env, capture_output=True, text=True, timeout=600)
        report = done.stdout + done.stderr
        print(report)
        assert done.returncode == 0, report + "\n" + procs.log("replica-1")
        assert "# fail 0" in report or "ℹ fail 0" in report, report
        phone = ("signin", "overview", "number", "money", "blocklist", "alerts", "incidents")
        for page in ("signin", "overview", "number", "money", "blocklist", "alerts", *(f"{p}-phone" for p in phone)):
            shot = screenshots / f"console-{page}.png"
            assert shot.stat().st_size > 5_000, f"{shot}: no screenshot"
        for name in ("replica-1", "replica-2"):
            log = procs.log(name)
            for secret in (*TOKENS.values(), "+336990000"):
                assert secret not in log, f"{name} logged {secret!r}"
    finally:
        procs.stop_all()
        send_api.stop()
