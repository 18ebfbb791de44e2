"""End to end: `antirelou serve` replicas on a real `redis-server`, a real
Prometheus (Debian's package) scraping their metrics listeners every second
with the shipped rules (deploy/prometheus/alerts.yml, every `for:` at 0s,
evaluated every second), correctly signed Twilio webhooks.

One stack takes a small flood; the tests that only read it (decisions,
every dashboard query, every alert expression, the alerts the flood must
fire) share it and never change it. Each silent failure gets a stack of its
own, breaks it, and must see exactly one alert: a wrong public_url (every
webhook a 403), a killed replica, a full Redis, a lost Redis. A healthy
quiet stack must fire nothing. So no test depends on another or on their
order.

Everything listens on 127.0.0.1 ports the servers chose themselves (or a
unix socket), and every process started here is stopped here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

import pytest

from conftest import (
    ALERTS, DASHBOARDS, SERIES_NAMES, alert_rules, antirelou_bin, dashboard_queries, grafana_to_promql, load_yaml, tool,
)
from live import (
    Processes, Prometheus, Redis, RedisError, Replica, SendApiStandIn, http, inbound_form, message_sid, metric_sum,
    rules_for_test,
    twilio_signature, wait_until,
)

# What deploy/prometheus/alerts.yml selects: the scrape job and namespace.
JOB, NAMESPACE = "antirelou", "antirelou"
PUBLIC_URL = "https://sms.e2e.example.org"
WEBHOOK_URL = PUBLIC_URL + "/webhooks/twilio"
ACCOUNT = {"budget": "AC" + "b" * 32, "shield": "AC" + "5" * 32, "quiet": "AC" + "9" * 32}
TOKEN = {"budget": "budget-token-0123456789abcdef", "shield": "shield-token-0123456789abcdef",
         "quiet": "quiet-token-0123456789abcdef0"}
BUDGET_NUMBER = "+33612345601"   # daily cap = 5 replies; tenant cap a little more
SHIELD_NUMBER = "+33612345602"   # shield trips at 10 messages / 5 new senders a minute
PAUSED_NUMBER = "+33612345603"
CROSS_NUMBER = "+33612345604"    # cross-replica checks
QUIET_NUMBER = "+33612345605"    # receives nothing, ever: no alert may name it
SILENT_NUMBER = "+33612345606"   # its tenant's only number
BLOCKED_SENDER = "+33699999999"
REPLY_COST = 0.08
SETTLE_SECONDS = 60
ALERT_SECONDS = 90

SERVER = """
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
metrics_listen = "127.0.0.1:0"
public_url = "@PUBLIC_URL@"
decision_timeout_ms = 2000
shutdown_timeout_seconds = 5

[ledger]
backend = "redis"
redis_url = "@REDIS_URL@"
key_prefix = "e2e"
currency = "EUR"
timezone = "Europe/Paris"
monthly_cap = "100.00"

[privacy]
sender_key = { env = "E2E_SENDER_KEY" }
sealing_key = { env = "E2E_SEALING_KEY" }

[log]
format = "json"
level = "info"
"""


def tenant(tid: str, monthly_cap: str, numbers: str, extra: str = "") -> str:
    return f"""
[[tenants]]
id = "{tid}"
monthly_cap = "{monthly_cap}"
{extra}
provider = {{ kind = "twilio", account_sid = "{ACCOUNT[tid]}", auth_token = {{ env = "E2E_TOKEN_{tid.upper()}" }}, api_base = "@API_BASE@" }}
{numbers}"""


# The shield's baseline and money rules read the time of day (a few senders
# just after midnight are a fast pace): off here, where the surge rule is tested.
TIMELESS = "baseline_factor = 0, money_margin_percent = 100000"


def number(n: str, daily_cap: str = "1.00", extra: str = "") -> str:
    if "shield = {" in extra:
        extra = extra.replace("shield = {", f"shield = {{ {TIMELESS}, ", 1)
    else:
        extra += f"\nshield = {{ {TIMELESS} }}"
    return f"""
[[tenants.numbers]]
number = "{n}"
reply = "No means no."
price_per_segment = "0.08"
daily_cap = "{daily_cap}"
allowed_countries = ["FR"]
{extra}"""


# Numbers that answer calls: their antirelou_calls_total series exist from startup.
VOICE = 'voice = { say = "No means no.", language = "en-GB", price_per_minute = "0.02", max_seconds = 30 }\n'

FLOOD_TENANTS = (
    tenant("budget", "0.45", number(BUDGET_NUMBER, "0.40", VOICE + 'reply_once_per = "30d"\n'
                                    'max_replies_per_minute = 1000\n'
                                    "shield = { trigger_per_minute = 1000, new_senders_per_minute = 1000, "
                                    'hold = "10m", trickle_per_hour = 10 }'))
    + tenant("shield", "50.00",
             number(SHIELD_NUMBER, "10.00", VOICE + 'reply_once_per = "30d"\nmax_replies_per_minute = 1000\n'
                    'shield = { trigger_per_minute = 10, new_senders_per_minute = 5, hold = "10m", '
                    "trickle_per_hour = 1 }")
             + number(CROSS_NUMBER) + number(PAUSED_NUMBER, extra="paused = true"),
             extra=f'blocklist = ["{BLOCKED_SENDER}"]')
    + tenant("quiet", "50.00", number(QUIET_NUMBER))
)
QUIET_TENANTS = tenant("quiet", "50.00", number(QUIET_NUMBER)) + tenant("budget", "50.00", number(SILENT_NUMBER))

SECRETS = {
    "E2E_SENDER_KEY": "5e2f0c1a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
    "E2E_SEALING_KEY": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718",
    **{f"E2E_TOKEN_{t.upper()}": token for t, token in TOKEN.items()},
}


# ----------------------------------------------------------------- stacks

class Stack:
    """Redis, replicas, Prometheus: one deployment, started for a test."""

    def __init__(self, tmp, tenants: str, *, replicas: int = 2, public_url: str = PUBLIC_URL):
        self.tmp = tmp
        self.binary = antirelou_bin()
        self.procs = Processes(tmp)
        self.send_api = SendApiStandIn()
        try:
            self.redis = Redis(self.procs, tool("redis-server"), tmp / "redis")
            self.config = tmp / "antirelou.toml"
            self.config.write_text((SERVER + tenants).replace("@REDIS_URL@", self.redis.url)
                                   .replace("@PUBLIC_URL@", public_url).replace("@API_BASE@", self.send_api.url))
            self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIRELOU__")}
            self.env.update(SECRETS)
            check = subprocess.run([self.binary, "check-config", "--config", str(self.config)], env=self.env,
                                   capture_output=True, text=True, timeout=60)
            assert check.returncode == 0, check.stdout + check.stderr
            self.replicas = {f"replica-{i}": self.start_replica(f"replica-{i}") for i in range(1, replicas + 1)}
            self.prom = Prometheus(self.procs, tool("prometheus"), tmp / "prometheus",
                                   rules_for_test(load_yaml(ALERTS)), job=JOB, namespace=NAMESPACE)
            self.prom.scrape({name: r.metrics_url for name, r in self.replicas.items()})
        except BaseException:
            self.close()
            raise

    def start_replica(self, name: str) -> Replica:
        return Replica(self.procs, self.binary, name, self.config, self.env, self.tmp / name)

    def urls(self) -> list[str]:
        return [r.url for r in self.replicas.values()]

    def close(self):
        self.procs.stop_all()
        self.send_api.stop()

    def exactly(self, *expected: dict, seconds: float = ALERT_SECONDS):
        """Waits until the firing alerts are exactly `expected` (alertname
        plus a subset of labels each), then checks that they stay so for
        three more rule evaluations."""
        seen = {}

        def matches():
            firing = self.prom.firing()
            seen["firing"] = [a["labels"] for a in firing]
            unmatched = list(firing)
            for want in expected:
                hits = [a for a in unmatched if want.items() <= a["labels"].items()]
                if len(hits) != 1:
                    return None
                unmatched.remove(hits[0])
            return not unmatched and firing
        try:
            firing = wait_until(f"exactly {expected} to fire", matches, seconds, 0.5)
        except pytest.fail.Exception as e:
            raise AssertionError(f"{e}\nfiring: {json.dumps(seen.get('firing'), indent=1)}") from None
        self.prom.evaluations_after(3)
        assert matches(), f"the alerts changed after firing: {json.dumps(seen['firing'], indent=1)}"
        return firing


@pytest.fixture
def stack_factory(tmp_path):
    """Makes stacks of the test's own; stops them after the test."""
    made: list[Stack] = []

    def make(tenants: str, **kwargs) -> Stack:
        directory = tmp_path / f"stack-{len(made)}"
        directory.mkdir()
        stack = Stack(directory, tenants, **kwargs)
        made.append(stack)
        return stack
    yield make
    for stack in made:
        stack.close()


# ------------------------------------------------------------------ flood

class Flood:
    """Sends webhooks round-robin to the replicas and counts what it sent."""

    def __init__(self, replicas: list[str]):
        self.replicas = replicas
        self.sent = 0
        self.decided = 0
        self.replies = 0

    def post(self, form, token: str | None, replica: int | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if token is not None:
            headers["X-Twilio-Signature"] = twilio_signature(token, WEBHOOK_URL, form)
        base = self.replicas[(self.sent if replica is None else replica) % len(self.replicas)]
        self.sent += 1
        return http("POST", base + "/webhooks/twilio", body, headers)

    def sms(self, tid: str, sender: str, to: str, sid: str | None = None, body: str = "salut",
            replica: int | None = None) -> str:
        """One verified inbound SMS, to `replica` or round-robin; the TwiML answer."""
        sid = sid or message_sid(tid, sender, to, self.sent)
        status, text = self.post(inbound_form(ACCOUNT[tid], sid, sender, to, body), TOKEN[tid], replica)
        assert status == 200, f"verified webhook answered {status}: {text}"
        assert text.lstrip().startswith(("<?xml", "<Response")), text
        self.decided += 1
        if "<Message>" in text:
            self.replies += 1
        return text


def run_flood(replicas: list[str]) -> Flood:
    flood = Flood(replicas)
    # Budget number: 5 replies spend the 0.40 daily cap (tenant cap 0.45:
    # 89% spent), the next senders are refused for budget.
    for i in range(7):
        flood.sms("budget", f"+336100001{i:02d}", BUDGET_NUMBER)
    # On the replica that saw them first: a repeat sender, a provider retry
    # (same MessageSid); and a foreign sender.
    flood.sms("budget", "+33610000100", BUDGET_NUMBER, replica=0)
    retry = "SM" + "d" * 32
    first = flood.sms("budget", "+33610000150", BUDGET_NUMBER, sid=retry, replica=1)
    assert flood.sms("budget", "+33610000150", BUDGET_NUMBER, sid=retry, replica=1) == first
    flood.sms("budget", "+12025550123", BUDGET_NUMBER)
    # Across replicas, on a number with money left: the ledger alone knows
    # that this sender got a reply and that this message was answered.
    assert "<Message>" in flood.sms("shield", "+33640000001", CROSS_NUMBER, replica=0)
    assert "<Message>" not in flood.sms("shield", "+33640000001", CROSS_NUMBER, replica=1)
    sid = "SM" + "c" * 32
    answered = flood.sms("shield", "+33640000002", CROSS_NUMBER, sid=sid, replica=0)
    assert "<Message>" in answered
    assert flood.sms("shield", "+33640000002", CROSS_NUMBER, sid=sid, replica=1) == answered, (
        "a provider retry on another replica is answered exactly as the first time")
    # Shield number: 30 new senders in a few seconds trip the shield.
    for i in range(30):
        flood.sms("shield", f"+336200002{i:02d}", SHIELD_NUMBER)
    flood.sms("shield", BLOCKED_SENDER, SHIELD_NUMBER)
    flood.sms("shield", "+33620000999", PAUSED_NUMBER)
    # Refused before any decision: forged signature, unknown number, garbage.
    forged = inbound_form(ACCOUNT["shield"], "SM" + "e" * 32, "+33620000777", SHIELD_NUMBER, "x")
    assert flood.post(forged, "not-the-token")[0] == 403
    assert flood.post(forged, None)[0] == 403
    unknown = inbound_form(ACCOUNT["shield"], "SM" + "f" * 32, "+33620000778", "+33600000000", "x")
    assert flood.post(unknown, TOKEN["shield"])[0] == 404
    assert flood.post([("nonsense", "1")], TOKEN["shield"])[0] in (400, 404)
    assert flood.replies >= 6, f"only {flood.replies} replies"
    return flood


@pytest.fixture(scope="module")
def flooded(tmp_path_factory):
    """The shared stack, flooded once. Tests that use it only read it."""
    stack = Stack(tmp_path_factory.mktemp("flooded"), FLOOD_TENANTS)
    try:
        flood = run_flood(stack.urls())
        prom = stack.prom
        wait_until("prometheus to see every decision",
                   lambda: prom.value(f'sum(antirelou_inbound_total{{job="{JOB}"}})') == flood.decided,
                   SETTLE_SECONDS, 0.5)
        # Two more scrapes of every replica, so that rate() has points after the flood.
        after = time.time()
        wait_until("two scrapes after the flood",
                   lambda: (prom.value(f'min(timestamp(up{{job="{JOB}"}}))') or 0) > after + 2, SETTLE_SECONDS, 0.5)
        stack.procs.check_alive()
        yield stack, flood
    finally:
        stack.close()


# ------------------------------------------------------- the shared stack

def test_flood_was_decided_as_the_policy_says(flooded):
    prom = flooded[0].prom
    by = lambda outcome, n=BUDGET_NUMBER: prom.value(  # noqa: E731
        f'sum(antirelou_inbound_total{{number="{n}", outcome="{outcome}"}})')
    assert by("replied") == 5, "five replies exactly spend the 0.40 daily cap"
    assert by("budget_exhausted") >= 2
    assert by("repeat_sender") == 1
    assert by("duplicate") == 1
    assert by("country_not_allowed") == 1
    # Two replicas never pay twice for one sender or one message.
    assert by("replied", CROSS_NUMBER) == 2
    assert by("repeat_sender", CROSS_NUMBER) == 1
    assert by("duplicate", CROSS_NUMBER) == 1
    assert prom.value(f'sum(antirelou_spend_total{{number="{CROSS_NUMBER}", kind="reply"}})') == pytest.approx(
        2 * REPLY_COST)
    assert by("blocked", SHIELD_NUMBER) == 1
    assert by("paused", PAUSED_NUMBER) == 1
    assert prom.value(f'sum(antirelou_spend_total{{number="{BUDGET_NUMBER}", kind="reply"}})') == pytest.approx(
        5 * REPLY_COST)
    assert prom.value(f'min(antirelou_budget_remaining{{number="{BUDGET_NUMBER}", scope="number_daily"}})') == 0
    assert prom.value(f'max(antirelou_shield_active{{number="{SHIELD_NUMBER}"}})') == 1
    assert prom.value(f'sum(antirelou_webhook_rejected_total{{reason="bad_signature", tenant="shield", '
                      f'number="{SHIELD_NUMBER}"}})') == 2, "a forged webhook is counted against its number"


def test_budget_gauges_are_exported_once_per_scope(flooded):
    prom = flooded[0].prom
    for scope, labels in (("number_daily", {"tenant", "number"}), ("tenant_monthly", {"tenant"}),
                          ("deployment_monthly", set())):
        series = prom.query(f'antirelou_budget_remaining{{scope="{scope}", instance="replica-1"}}')
        assert series, scope
        for s in series:
            assert set(s["metric"]) - {"__name__", "job", "namespace", "instance", "scope"} == labels, s["metric"]
    assert len(prom.query('antirelou_budget_remaining{scope="deployment_monthly", instance="replica-1"}')) == 1


def test_live_metrics_pass_promtool(flooded):
    promtool = tool("promtool")
    for replica in flooded[0].replicas.values():
        status, text = http("GET", replica.metrics_url + "/metrics")
        assert status == 200
        done = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        assert done.returncode == 0, f"{replica.metrics_url}/metrics:\n{done.stdout}{done.stderr}"
        for name in ("antirelou_build_info", "process_start_time_seconds", "antirelou_ledger_redis_used_memory_bytes",
                     "antirelou_ledger_redis_maxmemory_bytes", "antirelou_ledger_redis_evicted_keys",
                     "antirelou_deferred_total", "antirelou_alert_webhooks_total"):
            assert re.search(rf"^{name}\b", text, re.M), f"{replica.name} does not export {name}"


def test_each_listener_serves_only_its_routes(flooded):
    """Webhooks and health on one port, the admin API on another, /metrics
    on a third: what a NetworkPolicy can open to different peers."""
    for r in flooded[0].replicas.values():
        assert http("GET", r.url + "/readyz")[0] == 200
        assert http("GET", r.url + "/healthz")[0] == 200
        assert http("GET", r.url + "/metrics")[0] == 404, "metrics moved to server.metrics_listen"
        assert http("GET", r.url + "/v1/numbers")[0] == 404, "the admin API moved to server.admin_listen"
        assert http("GET", r.metrics_url + "/metrics")[0] == 200
        assert http("POST", r.metrics_url + "/webhooks/twilio", b"")[0] == 404
        assert http("GET", r.metrics_url + "/v1/numbers")[0] == 404
        assert http("GET", r.admin_url + "/v1/numbers")[0] in (401, 403), "the admin API wants a token"
        assert http("GET", r.admin_url + "/metrics")[0] == 404
        assert http("POST", r.admin_url + "/webhooks/twilio", b"")[0] == 404


# Panels whose series only exist with an OVHcloud number, which this stack
# does not have (no OVHcloud stand-in runs here).
NEEDS_OVHCLOUD = ("OVHcloud",)


def dashboard_cases():
    cases = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for title, expr in dashboard_queries(board):
            if not title.startswith(NEEDS_OVHCLOUD):
                cases.append(pytest.param(path.name, title, expr, id=f"{path.stem}: {title}: {expr[:40]}"))
    return cases


@pytest.mark.parametrize("board, title, expr", dashboard_cases())
def test_every_dashboard_query_returns_data(flooded, board, title, expr):
    prom = flooded[0].prom
    scope = {"namespace": NAMESPACE, "job": JOB}
    variants = {"all numbers": grafana_to_promql(expr, **scope)}
    if "$tenant" in expr or "$number" in expr:
        variants = {
            "tenant budget, all numbers": grafana_to_promql(expr, tenant="budget", number=".*", **scope),
            "tenant shield, one number": grafana_to_promql(
                expr, tenant="shield", number=re.escape(SHIELD_NUMBER).replace("\\", "\\\\"), **scope),
        }
    for variant, promql in variants.items():
        assert prom.query(promql), f"{board} / {title} ({variant}) returns no data: {promql}"
        other = grafana_to_promql(expr, tenant="budget", namespace="staging", job=JOB)
        assert not prom.query(other), f"{board} / {title} shows another namespace's data: {other}"


def test_dashboard_variables_list_the_deployment_tenants_and_numbers(flooded):
    prom = flooded[0].prom
    assert prom.api("label/namespace/values", **{"match[]": "antirelou_build_info"}) == [NAMESPACE]
    assert prom.api("label/job/values", **{"match[]": f'antirelou_build_info{{namespace="{NAMESPACE}"}}'}) == [JOB]
    tenants = prom.api("label/tenant/values", **{"match[]": "antirelou_inbound_total"})
    assert set(tenants) == {"budget", "shield", "quiet"}
    numbers = prom.api("label/number/values", **{"match[]": 'antirelou_inbound_total{tenant="shield"}'})
    assert set(numbers) == {SHIELD_NUMBER, PAUSED_NUMBER, CROSS_NUMBER}


SELECTOR = re.compile(r"\b(antirelou_[a-z_]+|up|process_start_time_seconds)(\{[^}]*\})")
# Series that exist only with an OVHcloud number, kube-state-metrics or
# redis_exporter, none of which this stack has.
ABSENT_HERE = {"antirelou_poller_up", "antirelou_poller_lease_held"}


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_expression_parses_and_reads_live_series(flooded, rule):
    prom = flooded[0].prom
    prom.query(rule["expr"])  # raises on a parse error
    for name, matchers in SELECTOR.findall(rule["expr"]):
        if name in ABSENT_HERE:
            continue
        assert name in SERIES_NAMES, name
        assert prom.query(f"count({name}{matchers})"), f"{rule['alert']}: {name}{matchers} has no series"


def test_the_flood_fires_the_money_and_shield_alerts_and_nothing_else(flooded):
    """Exactly: the daily cap reached (information), the tenant's month
    nearly spent (one alert for the tenant, not one per number), the
    shield. Nothing about the quiet number, nothing for a forged webhook on
    a number that works."""
    stack = flooded[0]
    firing = stack.exactly(
        {"alertname": "AntirelouBudgetCapReached", "tenant": "budget", "number": BUDGET_NUMBER,
         "scope": "number_daily", "severity": "info"},
        {"alertname": "AntirelouBudgetNearCap", "tenant": "budget", "scope": "tenant_monthly", "severity": "info"},
        {"alertname": "AntirelouShieldActive", "tenant": "shield", "number": SHIELD_NUMBER, "severity": "info"},
    )
    runbooks = {a["labels"]["alertname"]: a["annotations"]["runbook_url"] for a in firing}
    for name, url in runbooks.items():
        assert url.endswith(f"/docs/operations.md#{name.lower()}") and url.startswith("https://")
    near = next(a for a in firing if a["labels"]["alertname"] == "AntirelouBudgetNearCap")
    assert "number" not in near["labels"], "a tenant's cap is one series, not one per number"
    assert "budget" in near["annotations"]["summary"] and "left" in near["annotations"]["summary"]
    for a in firing:
        assert a["labels"]["namespace"] == NAMESPACE and a["labels"]["job"] == JOB
        assert QUIET_NUMBER not in json.dumps(a)


# ------------------------------------------------- one stack per failure

def test_a_healthy_quiet_deployment_fires_nothing(stack_factory):
    stack = stack_factory(QUIET_TENANTS)
    stack.prom.evaluations_after(5)
    assert stack.prom.firing() == []
    assert stack.prom.value(f'sum(antirelou:inbound_window:sum{{job="{JOB}"}})') == 0


def test_a_wrong_public_url_is_one_silence_alert(stack_factory):
    """Every genuine webhook is refused (403): one refusal on a quiet
    number is enough for its tenant to be silent."""
    stack = stack_factory(QUIET_TENANTS, public_url="https://wrong.e2e.example.org")
    flood = Flood(stack.urls())
    form = inbound_form(ACCOUNT["budget"], message_sid("silent"), "+33611112222", SILENT_NUMBER, "hello")
    assert flood.post(form, TOKEN["budget"])[0] == 403
    firing = stack.exactly({"alertname": "AntirelouTenantSilent", "tenant": "budget", "severity": "critical"})
    assert "budget" in firing[0]["annotations"]["summary"]


def test_a_killed_replica_is_one_alert_and_its_restart_another(stack_factory):
    stack = stack_factory(QUIET_TENANTS)
    victim = stack.replicas["replica-2"]
    stack.procs.stop(victim.proc, signal.SIGKILL)
    stack.exactly({"alertname": "AntirelouReplicaDown", "instance": "replica-2", "severity": "warning"})
    # The same replica comes back (on new ports): one restart alert, and the
    # down alert resolves.
    stack.replicas["replica-2"] = stack.start_replica("replica-2")
    stack.prom.scrape({name: r.metrics_url for name, r in stack.replicas.items()})
    stack.exactly({"alertname": "AntirelouRestarted", "instance": "replica-2", "severity": "warning"})


def test_a_full_redis_is_one_alert_and_replies_fail_closed(stack_factory):
    stack = stack_factory(QUIET_TENANTS)
    used = int(stack.redis.info("memory")["used_memory"])
    stack.redis.command("CONFIG", "SET", "maxmemory", str(used + 2 * 1024 * 1024))
    filler = "x" * 64 * 1024
    with pytest.raises(RedisError, match="OOM"):
        for i in range(1000):
            stack.redis.command("SET", f"filler:{i}", filler)
    # Full to the brim: a write of a few bytes may still fit under the limit
    # the filler hit; far below what Redis now uses, none does (noeviction),
    # even when buffers are freed meanwhile (64 KiB below once let one through).
    full = int(stack.redis.info("memory")["used_memory"])
    stack.redis.command("CONFIG", "SET", "maxmemory", str(full // 2))
    stack.exactly({"alertname": "AntirelouRedisFull", "severity": "critical"})
    # Genuine senders get no reply and nothing is paid, and still one alert.
    flood = Flood(stack.urls())
    for i in range(3):
        assert "<Message>" not in flood.sms("quiet", f"+3361234{i:04d}", QUIET_NUMBER)
    stack.exactly({"alertname": "AntirelouRedisFull", "severity": "critical"})
    assert not stack.prom.value('sum(antirelou_spend_total{kind="reply"})')


def test_a_lost_ledger_is_one_alert(stack_factory):
    """Stop Redis: the replicas fail closed (no reply is paid without the
    ledger), stop being ready, and one alert says so."""
    stack = stack_factory(QUIET_TENANTS)
    stack.redis.stop()
    flood = Flood(stack.urls())
    for i in range(4):
        assert "<Message>" not in flood.sms("quiet", f"+336300003{i:02d}", QUIET_NUMBER), "fail closed"
    wait_until("every /readyz to fail", lambda: all(http("GET", u + "/readyz", timeout=5)[0] != 200
                                                    for u in stack.urls()), ALERT_SECONDS, 0.5)
    stack.exactly({"alertname": "AntirelouLedgerDown", "severity": "critical"})
    # The alert fires as soon as one replica's gauge says so; the other's
    # next scrape adds it to the same alert's value.
    wait_until("both replicas counted in the one alert",
               lambda: [a["value"] for a in stack.prom.firing()
                        if a["labels"].get("alertname") == "AntirelouLedgerDown"] in (["2"], ["2e+00"]),
               ALERT_SECONDS, 0.5)
    direct = sum(metric_sum(http("GET", r.metrics_url + "/metrics", timeout=5)[1], "antirelou_inbound_total",
                            tenant="quiet", number=QUIET_NUMBER, outcome="ledger_unavailable")
                 for r in stack.replicas.values())
    assert direct == 4, f"ledger_unavailable counted by the replicas: {direct}"
    assert not stack.prom.value('sum(antirelou_spend_total{kind="reply"})'), "nothing was paid without the ledger"
