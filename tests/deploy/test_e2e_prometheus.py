"""End to end: two `antirelou serve` replicas on one Redis ledger, a real
Prometheus (Debian's package) scraping both every second with the shipped
alert rules, a small flood of correctly signed Twilio webhooks; then every
dashboard query and every alert expression is evaluated by that Prometheus
and must parse and return data, and the budget and shield alerts must fire.

The binary comes from $ANTIRELOU_BIN (else target/debug or target/release);
without it the module is skipped. Everything listens on 127.0.0.1 only, on
free ports, and every process started here is stopped here.

The shipped rules wait `for:` up to 10 minutes; this test loads a copy with
`for: 0s` (and checks nothing else differs), so an alert fires at the first
evaluation where its expression holds.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml

from conftest import (
    ALERTS, DASHBOARDS, alert_rules, antirelou_bin, dashboard_queries, grafana_to_promql, load_yaml, tool,
)

PUBLIC_URL = "https://sms.e2e.example.org"
WEBHOOK_URL = PUBLIC_URL + "/webhooks/twilio"
SENDER_KEY = "e2e0" * 16
ACCOUNT = {"budget": "AC" + "b" * 32, "shield": "AC" + "5" * 32}
TOKEN = {"budget": "budget-token-0123456789abcdef", "shield": "shield-token-0123456789abcdef"}
BUDGET_NUMBER = "+33612345601"   # daily cap = 5 replies; tenant cap a little more
SHIELD_NUMBER = "+33612345602"   # shield trips at 10 messages / 5 new senders a minute
PAUSED_NUMBER = "+33612345603"
QUIET_NUMBER = "+33612345604"    # cross-replica checks, then the lost ledger
BLOCKED_SENDER = "+33699999999"
CROSS_SENDER = "+33640000001"
CROSS_RETRY_SENDER = "+33640000002"
CROSS_RETRY_SID = "SM" + "c" * 32
REPLY_COST = 0.08

CONFIG = f"""
[server]
listen = "127.0.0.1:0"
public_url = "{PUBLIC_URL}"
decision_timeout_ms = 2000
shutdown_timeout_seconds = 5

[ledger]
backend = "redis"
redis_url = "redis://127.0.0.1:@REDIS_PORT@/0"
key_prefix = "e2e"
currency = "EUR"
timezone = "Europe/Paris"
monthly_cap = "100.00"

[privacy]
sender_key = {{ env = "E2E_SENDER_KEY" }}

[log]
format = "json"
level = "info"

[[tenants]]
id = "budget"
monthly_cap = "0.45"
provider = {{ kind = "twilio", account_sid = "{ACCOUNT['budget']}", auth_token = {{ env = "E2E_TOKEN_BUDGET" }} }}

[[tenants.numbers]]
number = "{BUDGET_NUMBER}"
reply = "No means no."
price_per_segment = "0.08"
daily_cap = "0.40"
reply_once_per = "30d"
max_replies_per_minute = 1000
allowed_countries = ["FR"]
shield = {{ trigger_per_minute = 1000, new_senders_per_minute = 1000, hold = "10m", trickle_per_hour = 10 }}

[[tenants]]
id = "shield"
monthly_cap = "50.00"
blocklist = ["{BLOCKED_SENDER}"]
provider = {{ kind = "twilio", account_sid = "{ACCOUNT['shield']}", auth_token = {{ env = "E2E_TOKEN_SHIELD" }} }}

[[tenants.numbers]]
number = "{SHIELD_NUMBER}"
reply = "No means no."
price_per_segment = "0.08"
daily_cap = "10.00"
reply_once_per = "30d"
max_replies_per_minute = 1000
allowed_countries = ["FR"]
shield = {{ trigger_per_minute = 10, new_senders_per_minute = 5, hold = "10m", trickle_per_hour = 1 }}

[[tenants.numbers]]
number = "{QUIET_NUMBER}"
reply = "No means no."
price_per_segment = "0.08"
daily_cap = "1.00"
allowed_countries = ["FR"]

[[tenants.numbers]]
number = "{PAUSED_NUMBER}"
paused = true
reply = "No means no."
price_per_segment = "0.08"
daily_cap = "1.00"
allowed_countries = ["FR"]
"""

# What `serve` says when built without the Redis ledger (work in progress).
NO_REDIS = "the redis backend is not available in this build"
STARTUP_SECONDS = 60
SETTLE_SECONDS = 60
ALERT_SECONDS = 90


# ------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, check, seconds: float, interval: float = 0.25):
    """Polls check() until it returns something truthy; fails with `what`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError, KeyError) as e:
            last = e
        time.sleep(interval)
    pytest.fail(f"timed out after {seconds}s waiting for {what} (last error: {last!r})")


class Processes:
    """The processes this test started, stopped in reverse order."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict | None = None, cwd=None) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True)
        self.running.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def check_alive(self):
        for name, proc in self.running:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def stop_all(self):
        for name, proc in reversed(self.running):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.running):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


# ---------------------------------------------------------------- Twilio

def twilio_signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + sorted key+value))."""
    payload = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def inbound_form(tenant: str, sid: str, sender: str, to: str, body: str) -> list[tuple[str, str]]:
    return [
        ("ToCountry", "FR"), ("ToState", ""), ("SmsMessageSid", sid), ("NumMedia", "0"),
        ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"),
        ("FromCity", ""), ("Body", body), ("FromCountry", "FR" if sender.startswith("+33") else "US"),
        ("To", to), ("ToZip", ""), ("NumSegments", "1"), ("MessageSid", sid),
        ("AccountSid", ACCOUNT[tenant]), ("From", sender), ("ApiVersion", "2010-04-01"),
    ]


class Flood:
    """Sends webhooks round-robin to the replicas and counts what it sent."""

    def __init__(self, replicas: list[str]):
        self.replicas = replicas
        self.sent = 0
        self.decided = 0
        self.statuses: list[int] = []
        self.replies = 0

    def post(self, form, token: str | None, replica: int | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if token is not None:
            headers["X-Twilio-Signature"] = twilio_signature(token, WEBHOOK_URL, form)
        base = self.replicas[(self.sent if replica is None else replica) % len(self.replicas)]
        self.sent += 1
        status, text = http("POST", base + "/webhooks/twilio", body, headers)
        self.statuses.append(status)
        return status, text

    def sms(self, tenant: str, sender: str, to: str, sid: str | None = None, body: str = "salut",
            replica: int | None = None) -> str:
        """One verified inbound SMS, to `replica` or round-robin; the TwiML answer."""
        sid = sid or "SM" + hashlib.md5(f"{tenant}{sender}{to}{self.sent}".encode()).hexdigest()
        status, text = self.post(inbound_form(tenant, sid, sender, to, body), TOKEN[tenant], replica)
        assert status == 200, f"verified webhook answered {status}: {text}"
        assert text.lstrip().startswith(("<?xml", "<Response")), text
        self.decided += 1
        if "<Message>" in text:
            self.replies += 1
        return text


# ------------------------------------------------------------ Prometheus

class Prometheus:
    def __init__(self, url: str):
        self.url = url

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


def rules_for_test(path) -> None:
    """The shipped rules with every `for:` at 0s."""
    rules = load_yaml(ALERTS)
    for group in rules["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["for"] = "0s"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))


# ----------------------------------------------------------------- stack

@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    binary = antirelou_bin()
    if binary is None:
        pytest.skip("the antirelou binary is not built: set ANTIRELOU_BIN or run `cargo build -p antirelou`")
    redis_server, prometheus_bin = tool("redis-server"), tool("prometheus")
    tmp = tmp_path_factory.mktemp("e2e")
    procs = Processes(tmp)
    try:
        # Redis, ours alone.
        redis_port = free_port()
        (tmp / "redis").mkdir()
        procs.start("redis", [redis_server, "--bind", "127.0.0.1", "--port", str(redis_port),
                              "--save", "", "--appendonly", "no", "--dir", str(tmp / "redis")])

        def redis_pong():
            with socket.create_connection(("127.0.0.1", redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        wait_until("redis-server", redis_pong, 20)

        # Two replicas, one settings file, a port each.
        config = tmp / "antirelou.toml"
        config.write_text(CONFIG.replace("@REDIS_PORT@", str(redis_port)))
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIRELOU__")}
        base_env.update(E2E_SENDER_KEY=SENDER_KEY, E2E_TOKEN_BUDGET=TOKEN["budget"],
                        E2E_TOKEN_SHIELD=TOKEN["shield"])
        check = subprocess.run([binary, "check-config", "--config", str(config)], env=base_env,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        replicas = []
        for i in (1, 2):
            port = free_port()
            env = dict(base_env, ANTIRELOU__SERVER__LISTEN=f"127.0.0.1:{port}")
            workdir = tmp / f"replica-{i}"
            workdir.mkdir()
            procs.start(f"antirelou-{i}", [binary, "serve", "--config", str(config)], env=env, cwd=workdir)
            replicas.append(f"http://127.0.0.1:{port}")
        for url in replicas:
            def ready(url=url):
                for name, proc in procs.running:
                    if proc.poll() is not None and NO_REDIS in procs.log(name):
                        pytest.skip(f"this antirelou build has no Redis ledger yet ({name}: '{NO_REDIS}')")
                procs.check_alive()
                return http("GET", url + "/readyz", timeout=2)[0] == 200
            wait_until(f"{url}/readyz", ready, STARTUP_SECONDS)

        # Prometheus scraping both every second, with the rules.
        prom_port = free_port()
        rules_for_test(tmp / "alerts.yml")
        targets = [u.removeprefix("http://") for u in replicas]
        (tmp / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [{"job_name": "antirelou", "static_configs": [{"targets": targets}]}],
        }))
        procs.start("prometheus", [
            prometheus_bin, f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ], cwd=tmp)
        prom = Prometheus(f"http://127.0.0.1:{prom_port}")
        wait_until("prometheus to scrape both replicas", lambda: (procs.check_alive(), len(
            [t for t in prom.api("targets")["activeTargets"] if t["health"] == "up"]) == 2)[1],
            STARTUP_SECONDS, 0.5)

        flood = run_flood(replicas)

        # Wait until Prometheus saw every decision, and a few more scrapes so
        # that rate() has points after the flood.
        wait_until("prometheus to see every decision",
                   lambda: prom.value("sum(antirelou_inbound_total)") == flood.decided, SETTLE_SECONDS, 0.5)
        time.sleep(3)
        procs.check_alive()
        yield {"prom": prom, "replicas": replicas, "flood": flood, "procs": procs, "binary": binary,
               "config": config, "env": base_env}
    finally:
        procs.stop_all()


def run_flood(replicas: list[str]) -> Flood:
    flood = Flood(replicas)
    # Budget number: 5 replies spend the 0.40 daily cap (tenant cap 0.45:
    # 89% spent), the next senders are refused for budget.
    for i in range(7):
        flood.sms("budget", f"+336100001{i:02d}", BUDGET_NUMBER)
    # On the replica that saw them first (decided in memory): a repeat
    # sender, a provider retry (same MessageSid); and a foreign sender.
    flood.sms("budget", "+33610000100", BUDGET_NUMBER, replica=0)
    retry = "SM" + "d" * 32
    first = flood.sms("budget", "+33610000150", BUDGET_NUMBER, sid=retry, replica=1)
    assert flood.sms("budget", "+33610000150", BUDGET_NUMBER, sid=retry, replica=1) == first
    flood.sms("budget", "+12025550123", BUDGET_NUMBER)
    # Across replicas, on a number with money left: the ledger alone knows
    # that this sender got a reply and that this message was answered.
    assert "<Message>" in flood.sms("shield", CROSS_SENDER, QUIET_NUMBER, replica=0)
    assert "<Message>" not in flood.sms("shield", CROSS_SENDER, QUIET_NUMBER, replica=1)
    answered = flood.sms("shield", CROSS_RETRY_SENDER, QUIET_NUMBER, sid=CROSS_RETRY_SID, replica=0)
    assert "<Message>" in answered
    assert flood.sms("shield", CROSS_RETRY_SENDER, QUIET_NUMBER, sid=CROSS_RETRY_SID, replica=1) == answered, (
        "a provider retry on another replica is answered exactly as the first time")
    # Shield number: 30 new senders in a few seconds trip the shield.
    for i in range(30):
        flood.sms("shield", f"+336200002{i:02d}", SHIELD_NUMBER)
    flood.sms("shield", BLOCKED_SENDER, SHIELD_NUMBER)
    flood.sms("shield", "+33620000999", PAUSED_NUMBER)
    # Refused before any decision: forged signature, unknown number, garbage.
    forged = inbound_form("shield", "SM" + "e" * 32, "+33620000777", SHIELD_NUMBER, "x")
    assert flood.post(forged, "not-the-token")[0] == 403
    assert flood.post(forged, None)[0] == 403
    unknown = inbound_form("shield", "SM" + "f" * 32, "+33620000778", "+33600000000", "x")
    assert flood.post(unknown, TOKEN["shield"])[0] == 404
    assert flood.post([("nonsense", "1")], TOKEN["shield"])[0] in (400, 404)
    assert flood.replies >= 6, f"only {flood.replies} replies"
    return flood


# ----------------------------------------------------------------- tests

def test_flood_was_decided_as_the_policy_says(stack):
    prom = stack["prom"]
    by = lambda outcome, number=BUDGET_NUMBER: prom.value(  # noqa: E731
        f'sum(antirelou_inbound_total{{number="{number}", outcome="{outcome}"}})')
    outcomes = {(r["metric"]["number"], r["metric"]["outcome"]): float(r["value"][1]) for r in prom.query(
        "sum by (number, outcome) (antirelou_inbound_total) > 0")}
    print("outcomes:", json.dumps({f"{n} {o}": v for (n, o), v in sorted(outcomes.items())}, indent=1))
    assert by("replied") == 5, "five replies exactly spend the 0.40 daily cap"
    assert by("budget_exhausted") >= 2
    assert by("repeat_sender") == 1
    assert by("duplicate") == 1
    assert by("country_not_allowed") == 1
    # Two replicas never pay twice for one sender or one message.
    assert by("replied", QUIET_NUMBER) == 2
    assert by("repeat_sender", QUIET_NUMBER) == 1
    assert by("duplicate", QUIET_NUMBER) == 1
    assert prom.value(f'sum(antirelou_spend_total{{number="{QUIET_NUMBER}", kind="reply"}})') == pytest.approx(
        2 * REPLY_COST)
    assert by("shielded", SHIELD_NUMBER) > 0
    assert by("blocked", SHIELD_NUMBER) == 1
    assert by("paused", PAUSED_NUMBER) == 1
    spent = prom.value(f'sum(antirelou_spend_total{{number="{BUDGET_NUMBER}", kind="reply"}})')
    assert spent == pytest.approx(5 * REPLY_COST)
    assert prom.value(f'min(antirelou_budget_remaining{{number="{BUDGET_NUMBER}", scope="number_daily"}})') == 0
    assert prom.value(f'max(antirelou_shield_active{{number="{SHIELD_NUMBER}"}})') == 1
    rejected = prom.value('sum(antirelou_webhook_rejected_total{reason="bad_signature"})')
    assert rejected >= 2


def test_live_metrics_pass_promtool(stack):
    promtool = tool("promtool")
    for url in stack["replicas"]:
        status, text = http("GET", url + "/metrics")
        assert status == 200
        done = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        assert done.returncode == 0, f"{url}/metrics:\n{done.stdout}{done.stderr}"


def dashboard_cases():
    cases = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for title, expr in dashboard_queries(board):
            cases.append(pytest.param(path.name, title, expr, id=f"{path.stem}: {title}: {expr[:40]}"))
    return cases


@pytest.mark.parametrize("board, title, expr", dashboard_cases())
def test_every_dashboard_query_returns_data(stack, board, title, expr):
    prom = stack["prom"]
    variants = {"all numbers": grafana_to_promql(expr)}
    if "$tenant" in expr or "$number" in expr:
        variants = {
            "tenant budget, all numbers": grafana_to_promql(expr, tenant="budget", number=".*"),
            "tenant shield, one number": grafana_to_promql(
                expr, tenant="shield", number=re.escape(SHIELD_NUMBER).replace("\\", "\\\\")),
        }
    for variant, promql in variants.items():
        result = prom.query(promql)
        assert result, f"{board} / {title} ({variant}) returns no data: {promql}"


def test_dashboard_variables_list_the_tenants_and_numbers(stack):
    prom = stack["prom"]
    tenants = prom.api("label/tenant/values", **{"match[]": "antirelou_inbound_total"})
    assert {"budget", "shield"} <= set(tenants)
    numbers = prom.api("label/number/values", **{"match[]": 'antirelou_inbound_total{tenant="shield"}'})
    assert set(numbers) == {SHIELD_NUMBER, PAUSED_NUMBER, QUIET_NUMBER}


SELECTOR = re.compile(r"(antirelou_[a-z_]+)(\{[^}]*\})?")


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_expression_parses_and_reads_live_series(stack, rule):
    prom = stack["prom"]
    prom.query(rule["expr"])  # raises on a parse error
    # The threshold may well be false now; every series it reads must exist.
    for name, matchers in SELECTOR.findall(rule["expr"]):
        selector = name + matchers
        assert prom.query(f"count({selector})"), f"{rule['alert']}: {selector} has no series"


def test_test_rules_differ_from_shipped_ones_only_in_for(tmp_path):
    rules_for_test(tmp_path / "alerts.yml")
    test_rules = load_yaml(tmp_path / "alerts.yml")
    shipped = copy.deepcopy(load_yaml(ALERTS))
    for group in shipped["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["for"] = "0s"
    assert test_rules == shipped


def firing(prom: Prometheus) -> list[dict]:
    return [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]


@pytest.mark.parametrize("alert, labels", [
    ("AntirelouBudgetCapReached", {"tenant": "budget", "number": BUDGET_NUMBER, "scope": "number_daily"}),
    ("AntirelouBudgetNearCap", {"tenant": "budget", "number": BUDGET_NUMBER, "scope": "tenant_monthly"}),
    ("AntirelouShieldActive", {"tenant": "shield", "number": SHIELD_NUMBER}),
])
def test_budget_and_shield_alerts_fire(stack, alert, labels):
    prom = stack["prom"]

    def fired():
        for a in firing(prom):
            if a["labels"]["alertname"] == alert and labels.items() <= a["labels"].items():
                return a
        return None

    a = wait_until(f"{alert} {labels} to fire", fired, ALERT_SECONDS, 1)
    assert a["labels"]["severity"] in {"warning", "critical"}
    assert a["annotations"]["runbook_url"] == f"docs/operations.md#{alert.lower()}"
    assert labels["tenant"] in a["annotations"]["summary"]


def test_quiet_alerts_stay_quiet(stack):
    """Nothing failed: no ledger, latency, restart or mailbox alert."""
    quiet = {"AntirelouLedgerErrors", "AntirelouLedgerDown", "AntirelouActorRestarts",
             "AntirelouMailboxFull", "AntirelouDecisionLatencyHigh"}
    names = {a["labels"]["alertname"] for a in firing(stack["prom"])}
    assert not names & quiet, names


def test_a_lost_ledger_is_alerted(stack):
    """Stop Redis: the replicas fail closed (no reply is paid without the
    ledger) and the ledger alerts fire. Runs last: it breaks the stack."""
    procs, prom = stack["procs"], stack["prom"]
    redis = next(p for name, p in procs.running if name == "redis")
    redis.send_signal(signal.SIGTERM)
    redis.wait(timeout=15)
    flood = Flood(stack["replicas"])
    for i in range(4):
        # New senders on a number with money left: only the ledger can decide.
        text = flood.sms("shield", f"+336300003{i:02d}", QUIET_NUMBER)
        assert "<Message>" not in text, "no reply without a ledger (fail closed)"

    seen = {}

    def down():
        # Polled as the kubelet's readiness probe would: no replica is ready.
        seen["readyz"] = [http("GET", url + "/readyz", timeout=5)[0] for url in stack["replicas"]]
        seen["firing"] = sorted({a["labels"]["alertname"] for a in firing(prom)})
        seen["ledger_up"] = prom.query("antirelou_ledger_up")
        seen["ledger_errors"] = prom.query("antirelou_ledger_errors_total")
        return (all(code != 200 for code in seen["readyz"])
                and {"AntirelouLedgerDown", "AntirelouLedgerErrors"} <= set(seen["firing"])) or None
    try:
        wait_until("every /readyz to fail and AntirelouLedgerDown, AntirelouLedgerErrors to fire",
                   down, ALERT_SECONDS, 1)
    except pytest.fail.Exception as e:
        raise AssertionError(f"{e}\nlast seen: {json.dumps(seen, indent=1)}") from None
    # The replicas themselves counted every decision (read from their own /metrics) ...
    series = f'antirelou_inbound_total{{number="{QUIET_NUMBER}",outcome="ledger_unavailable",'
    direct = 0.0
    for url in stack["replicas"]:
        text = http("GET", url + "/metrics", timeout=5)[1]
        direct += sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series))
    assert direct == 4, f"ledger_unavailable counted by the replicas: {direct}"

    # ... and Prometheus sees them once its next scrapes have landed.
    def all_seen():
        value = prom.value(f'sum(antirelou_inbound_total{{number="{QUIET_NUMBER}", outcome="ledger_unavailable"}})')
        seen["quiet"] = {r["metric"]["outcome"]: float(r["value"][1]) for r in prom.query(
            f'sum by (outcome) (antirelou_inbound_total{{number="{QUIET_NUMBER}"}}) > 0')}
        return value == 4 or None
    try:
        wait_until("Prometheus to see the 4 ledger_unavailable decisions", all_seen, SETTLE_SECONDS, 0.5)
    except pytest.fail.Exception as e:
        raise AssertionError(f"{e}\noutcomes of {QUIET_NUMBER}: {seen.get('quiet')}") from None
    spent = prom.value(f'sum(antirelou_spend_total{{number="{QUIET_NUMBER}"}})')
    assert spent == pytest.approx(2 * REPLY_COST), "nothing more was paid without the ledger"
