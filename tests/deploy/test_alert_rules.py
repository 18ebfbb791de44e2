"""promtool's unit tests of every alert of deploy/prometheus/alerts.yml.

Each case starts from a healthy deployment (two replicas; a busy tenant; a
quiet tenant whose number receives nothing at all; Redis half empty; every
budget untouched), breaks one thing, and says which alerts must be firing
at which minute: exactly those, every other alert of the file must be
silent at that minute. The healthy case itself checks that nothing fires on
a quiet number. promtool evaluates the rules exactly as Prometheus does.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from conftest import ALERTS, alert_rules, load_yaml, tool

JOB, NS = "antirelou", "antirelou"
DEPLOYMENT = {"job": JOB, "namespace": NS}
MINUTES = 180
A, B = "10.0.0.1:9090", "10.0.0.2:9090"
BUSY, BUSY_1, BUSY_2 = "busy", "+33611111111", "+33622222222"
QUIET, QUIET_1 = "quiet", "+33633333333"
SEVERITY = {r["alert"]: r["labels"]["severity"] for r in alert_rules()}


def series(name: str, values: str, **labels) -> dict:
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{body}}}", "values": values}


def ours(name: str, values: str, **labels) -> dict:
    """A series of this deployment, scraped from replica A unless told."""
    labels = {**DEPLOYMENT, "instance": A, **labels}
    return series(name, values, **labels)


def flat(v: float = 0) -> str:
    return f"{v}+0x{MINUTES}"


def rising(per_minute: float, start: float = 0) -> str:
    return f"{start}+{per_minute}x{MINUTES}"


def step(before: str, at_minute: int, after: str) -> str:
    """`before` until at_minute, then `after` (promtool expanding notation)."""
    return f"{before}x{at_minute} {after}x{MINUTES - at_minute}"


def healthy() -> dict[str, dict]:
    """Series key -> series of a healthy deployment; cases replace some."""
    out: list[dict] = []
    for inst in (A, B):
        out += [
            ours("up", flat(1), instance=inst),
            ours("process_start_time_seconds", flat(1_700_000_000), instance=inst),
            ours("antirelou_ledger_up", flat(1), instance=inst),
            ours("antirelou_ledger_redis_used_memory_bytes", flat(50e6), instance=inst),
            ours("antirelou_ledger_redis_maxmemory_bytes", flat(100e6), instance=inst),
            ours("antirelou_ledger_redis_evicted_keys", flat(0), instance=inst),
            ours("antirelou_ledger_errors_total", flat(0), instance=inst, backend="redis", op="decide_reply"),
            ours("antirelou_budget_remaining", flat(100), instance=inst, scope="deployment_monthly"),
            ours("antirelou_budget_cap", flat(500), instance=inst, scope="deployment_monthly"),
        ]
        for tenant, numbers in ((BUSY, (BUSY_1, BUSY_2)), (QUIET, (QUIET_1,))):
            out += [
                ours("antirelou_budget_remaining", flat(60), instance=inst, tenant=tenant, scope="tenant_monthly"),
                ours("antirelou_budget_cap", flat(100), instance=inst, tenant=tenant, scope="tenant_monthly"),
            ]
            for kind in ("shield", "budget"):
                for result in ("ok", "failed"):
                    out.append(ours("antirelou_alert_webhooks_total", flat(0), instance=inst, tenant=tenant,
                                    kind=kind, result=result))
            for number in numbers:
                busy = number == BUSY_1
                n = {"instance": inst, "tenant": tenant, "number": number}
                out += [
                    ours("antirelou_inbound_total", rising(2 if busy else 0), outcome="replied", **n),
                    ours("antirelou_inbound_total", rising(5 if busy else 0), outcome="repeat_sender", **n),
                    ours("antirelou_webhook_rejected_total", flat(0), provider="twilio", reason="bad_signature", **n),
                    ours("antirelou_webhook_rejected_total", flat(0), provider="twilio", reason="stale_timestamp",
                         **n),
                    ours("antirelou_budget_remaining", flat(20), scope="number_daily", **n),
                    ours("antirelou_budget_cap", flat(20), scope="number_daily", **n),
                    ours("antirelou_shield_active", flat(0), **n),
                    ours("antirelou_calls_total", rising(0.1 if busy else 0), outcome="replied", **n),
                    ours("antirelou_calls_total", rising(1 if busy else 0), outcome="repeat_sender", **n),
                    ours("antirelou_deferred_total", rising(1 if busy else 0), result="sent", **n),
                    ours("antirelou_deferred_total", flat(0), result="send_failed", **n),
                    ours("antirelou_actor_restarts_total", flat(0), **n),
                    ours("antirelou_actor_mailbox_full_total", flat(0), **n),
                ]
        # Webhooks for numbers nobody configured: no tenant, no number.
        out.append(ours("antirelou_webhook_rejected_total", flat(0), instance=inst, provider="twilio",
                        reason="unknown_number", tenant="", number=""))
        for le, per_minute in (("0.005", 9), ("0.05", 10), ("0.25", 10), ("1", 10), ("+Inf", 10)):
            out.append(ours("antirelou_decision_duration_seconds_bucket", rising(per_minute), instance=inst, le=le))
    # The OVHcloud number of the quiet tenant is polled by replica A only.
    ovh = {"tenant": QUIET, "number": "+33644444444"}
    out += [
        ours("antirelou_poller_up", flat(1), **ovh),
        ours("antirelou_poller_lease_held", flat(1), **ovh),
        ours("antirelou_poller_lease_held", flat(0), instance=B, **ovh),
    ]
    # kube-state-metrics about the pods (job kube-state-metrics).
    for pod, container in (("antirelou-5d9c7b8f6d-x2x7q", "antirelou"), ("antirelou-redis-0", "redis")):
        k = {"job": "kube-state-metrics", "namespace": NS, "pod": pod, "container": container}
        out += [
            series("kube_pod_container_status_restarts_total", flat(1), **k),
            series("kube_pod_container_status_waiting_reason", flat(0), reason="CrashLoopBackOff", **k),
        ]
    # Another release in another namespace, broken in every way: never ours.
    other = {"job": JOB, "namespace": "staging", "instance": "10.9.9.9:9090"}
    out += [
        series("up", flat(0), **other),
        series("antirelou_ledger_up", flat(0), **other),
        series("antirelou_ledger_redis_used_memory_bytes", flat(100e6), **other),
        series("antirelou_ledger_redis_maxmemory_bytes", flat(100e6), **other),
        series("antirelou_budget_remaining", flat(0), scope="number_daily", tenant=BUSY, number=BUSY_1, **other),
        series("antirelou_webhook_rejected_total", rising(10), provider="twilio", reason="bad_signature",
               tenant=QUIET, number=QUIET_1, **other),
        series("antirelou_inbound_total", flat(0), outcome="replied", tenant=QUIET, number=QUIET_1, **other),
        series("kube_pod_container_status_waiting_reason", flat(1), job="kube-state-metrics", namespace="staging",
               pod="antirelou-5d9c7b8f6d-aaaaa", container="antirelou", reason="CrashLoopBackOff"),
    ]
    return {s["series"]: s for s in out}


def with_series(*changed: dict, drop: tuple[str, ...] = ()) -> list[dict]:
    base = healthy()
    for key in drop:
        matches = [k for k in base if key in k]
        assert matches, f"nothing to drop for {key}"
        for k in matches:
            del base[k]
    for s in changed:
        base[s["series"]] = s
    return list(base.values())


def labels(alert: str, **extra) -> dict:
    return {"alertname": alert, "severity": SEVERITY[alert], **DEPLOYMENT, **extra}


def number_labels(tenant: str, number: str) -> dict:
    return {"tenant": tenant, "number": number}


# (case id, series, {minute: [expected firing alert labels]})
CASES = [
    ("healthy deployment with a quiet number: nothing fires", with_series(),
     {10: [], 65: [], 130: [], 179: []}),

    ("one refused webhook on a quiet tenant's number: the tenant is silent", with_series(
        ours("antirelou_webhook_rejected_total", step("0+0", 60, "1+0"), provider="twilio", reason="bad_signature",
             tenant=QUIET, number=QUIET_1)),
     {64: [], 70: [labels("AntirelouTenantSilent", tenant=QUIET)], 126: []}),

    ("a refusal counted in a series born with it still counts", with_series(
        ours("antirelou_webhook_rejected_total", step("_", 60, "1+0"), provider="twilio", reason="account_mismatch",
             tenant=QUIET, number=QUIET_1)),
     {70: [labels("AntirelouTenantSilent", tenant=QUIET)]}),

    ("a refused webhook on a quiet number of a tenant whose other number works: that number is silent",
     with_series(ours("antirelou_webhook_rejected_total", step("0+0", 60, "1+0"), provider="twilio",
                      reason="bad_signature", tenant=BUSY, number=BUSY_2)),
     {70: [labels("AntirelouNumberSilent", tenant=BUSY, number=BUSY_2)]}),

    ("forged webhooks on a number that keeps accepting genuine ones: no silence alert", with_series(
        ours("antirelou_webhook_rejected_total", rising(1), provider="twilio", reason="bad_signature",
             tenant=BUSY, number=BUSY_1)),
     {90: []}),

    ("a wrong public_url on a busy tenant: one silence alert once an hour passed, no spike alert", with_series(
        *[ours("antirelou_inbound_total", step("0+2", 60, "120+0"), instance=i, tenant=BUSY, number=BUSY_1,
               outcome="replied") for i in (A, B)],
        *[ours("antirelou_inbound_total", step("0+5", 60, "300+0"), instance=i, tenant=BUSY, number=BUSY_1,
               outcome="repeat_sender") for i in (A, B)],
        *[ours("antirelou_deferred_total", step("0+1", 60, "60+0"), instance=i, tenant=BUSY, number=BUSY_1,
               result="sent") for i in (A, B)],
        *[ours("antirelou_webhook_rejected_total", step("0+0", 60, "0+7"), instance=i, provider="twilio",
               reason="bad_signature", tenant=BUSY, number=BUSY_1) for i in (A, B)]),
     {90: [labels("AntirelouWebhookRejectionSpike", provider="twilio", reason="bad_signature")],
      130: [labels("AntirelouTenantSilent", tenant=BUSY)]}),

    ("every replica down: one alert, not one per replica", with_series(
        *[ours("up", step("1+0", 60, "0+0"), instance=i) for i in (A, B)]),
     {61: [], 63: [labels("AntirelouDown")]}),

    ("no target at all: the deployment is absent", with_series(drop=('up{job="antirelou", namespace="antirelou"',)),
     {3: [labels("AntirelouDown")]}),

    ("one replica down of two", with_series(ours("up", step("1+0", 60, "0+0"), instance=B)),
     {63: [], 66: [labels("AntirelouReplicaDown", instance=B)]}),

    ("a replica restarted", with_series(
        ours("process_start_time_seconds", step("1700000000+0", 60, "1700003600+0"), instance=A)),
     {61: [labels("AntirelouRestarted", instance=A)], 95: []}),

    ("a pod in CrashLoopBackOff", with_series(series(
        "kube_pod_container_status_waiting_reason", step("0+0", 60, "1+0"), job="kube-state-metrics",
        namespace=NS, pod="antirelou-5d9c7b8f6d-x2x7q", container="antirelou", reason="CrashLoopBackOff")),
     {62: [], 66: [{"alertname": "AntirelouCrashLooping", "severity": SEVERITY["AntirelouCrashLooping"],
                    "namespace": NS, "pod": "antirelou-5d9c7b8f6d-x2x7q", "container": "antirelou"}]}),

    ("the bundled Redis restarting again and again", with_series(series(
        "kube_pod_container_status_restarts_total", step("1+0", 60, "1+1"), job="kube-state-metrics",
        namespace=NS, pod="antirelou-redis-0", container="redis")),
     {70: [{"alertname": "AntirelouCrashLooping", "severity": SEVERITY["AntirelouCrashLooping"],
            "namespace": NS, "pod": "antirelou-redis-0", "container": "redis"}]}),

    ("a shield alert that could not be delivered to the collective", with_series(
        ours("antirelou_alert_webhooks_total", step("0+0", 60, "1+0"), tenant=QUIET, kind="shield",
             result="failed")),
     {65: [], 71: [labels("AntirelouAlertWebhookFailing", tenant=QUIET, kind="shield")], 100: []}),

    ("deferred replies failing to send", with_series(
        ours("antirelou_deferred_total", step("0+0", 60, "0+3"), tenant=BUSY, number=BUSY_1, result="send_failed")),
     {80: [labels("AntirelouDeferredSendFailing", tenant=BUSY, number=BUSY_1)]}),

    ("one deferred reply failing among many sent: no alert", with_series(
        *[ours("antirelou_deferred_total", rising(5), instance=i, tenant=BUSY, number=BUSY_1, result="sent")
          for i in (A, B)],
        ours("antirelou_deferred_total", step("0+0", 60, "1+0"), tenant=BUSY, number=BUSY_1, result="send_failed")),
     {75: []}),

    ("OVHcloud polls failing", with_series(
        ours("antirelou_poller_up", step("1+0", 60, "0+0"), tenant=QUIET, number="+33644444444")),
     {65: [], 71: [labels("AntirelouPollerDown", tenant=QUIET, number="+33644444444")]}),

    ("no replica holds the OVHcloud poll lease", with_series(
        ours("antirelou_poller_lease_held", step("1+0", 60, "0+0"), tenant=QUIET, number="+33644444444"),
        drop=("antirelou_poller_up",)),
     {71: [labels("AntirelouPollerDown", tenant=QUIET, number="+33644444444")]}),

    ("the ledger unreachable from both replicas: one alert, not slow decisions too", with_series(
        *[ours("antirelou_ledger_up", step("1+0", 60, "0+0"), instance=i) for i in (A, B)],
        *[ours("antirelou_decision_duration_seconds_bucket", step("0+10", 60, f"600+{slow}"), instance=i, le=le)
          for i in (A, B) for le, slow in (("0.005", 0), ("0.05", 0), ("0.25", 0), ("1", 1), ("+Inf", 10))],
        *[ours("antirelou_ledger_errors_total", step("0+0", 60, "0+3"), instance=i, backend="redis",
               op="decide_reply") for i in (A, B)]),
     {63: [labels("AntirelouLedgerDown")], 70: [labels("AntirelouLedgerDown")], 80: [labels("AntirelouLedgerDown")]}),

    ("ledger operations failing while the ledger answers pings", with_series(
        ours("antirelou_ledger_errors_total", step("0+0", 60, "0+2"), backend="redis", op="decide_reply")),
     {62: [], 67: [labels("AntirelouLedgerErrors", backend="redis")]}),

    ("the ledger's Redis above 80% of maxmemory", with_series(
        *[ours("antirelou_ledger_redis_used_memory_bytes", step("50e6+0", 60, "85e6+0"), instance=i)
          for i in (A, B)]),
     {65: [], 71: [labels("AntirelouRedisMemoryHigh")]}),

    ("a full Redis refusing writes: one alert, not the ledger ones", with_series(
        *[ours("antirelou_ledger_redis_used_memory_bytes", step("50e6+0", 60, "100e6+0"), instance=i)
          for i in (A, B)],
        ours("antirelou_ledger_up", step("1+0", 60, "0+0"), instance=A),
        *[ours("antirelou_ledger_errors_total", step("0+0", 60, "0+3"), instance=i, backend="redis",
               op="decide_reply") for i in (A, B)]),
     {62: [labels("AntirelouRedisFull")], 75: [labels("AntirelouRedisFull")]}),

    ("a full Redis seen by redis_exporter and by antirelou: still one alert", with_series(
        *[ours("antirelou_ledger_redis_used_memory_bytes", step("50e6+0", 60, "99e6+0"), instance=i)
          for i in (A, B)],
        series("redis_memory_used_bytes", step("50e6+0", 60, "99e6+0"), job="antirelou-redis", namespace=NS,
               instance="10.0.0.3:9121"),
        series("redis_memory_max_bytes", flat(100e6), job="antirelou-redis", namespace=NS, instance="10.0.0.3:9121"),
        series("redis_errors_total", step("0+0", 60, "0+4"), job="antirelou-redis", namespace=NS,
               instance="10.0.0.3:9121", err="OOM")),
     {62: [labels("AntirelouRedisFull")]}),

    ("redis_exporter alone sees Redis filling up", with_series(
        series("redis_memory_used_bytes", step("50e6+0", 60, "90e6+0"), job="antirelou-redis", namespace=NS,
               instance="10.0.0.3:9121"),
        series("redis_memory_max_bytes", flat(100e6), job="antirelou-redis", namespace=NS, instance="10.0.0.3:9121")),
     {71: [labels("AntirelouRedisMemoryHigh")]}),

    ("Redis evicting ledger keys", with_series(
        *[ours("antirelou_ledger_redis_evicted_keys", step("0+0", 60, "5+0"), instance=i) for i in (A, B)]),
     {61: [labels("AntirelouRedisEvicting")]}),

    ("a tenant's monthly budget 85% spent: one alert for the tenant, whatever its numbers",
     with_series(*[ours("antirelou_budget_remaining", step("60+0", 60, "15+0"), instance=i, tenant=BUSY,
                        scope="tenant_monthly") for i in (A, B)]),
     {70: [], 76: [labels("AntirelouBudgetNearCap", tenant=BUSY, scope="tenant_monthly")]}),

    ("a daily cap reached: information, not a page", with_series(
        *[ours("antirelou_budget_remaining", step("20+0", 60, "0+0"), instance=i, tenant=BUSY, number=BUSY_1,
               scope="number_daily") for i in (A, B)]),
     {66: [labels("AntirelouBudgetCapReached", tenant=BUSY, number=BUSY_1, scope="number_daily")]}),

    ("a prepaid balance spent", with_series(
        *[ours("antirelou_budget_remaining", step("5+0", 60, "0+0"), instance=i, tenant=QUIET, scope="balance")
          for i in (A, B)]),
     {66: [labels("AntirelouBudgetCapReached", tenant=QUIET, scope="balance")]}),

    ("the deployment's monthly budget spent: one alert, not one per number", with_series(
        *[ours("antirelou_budget_remaining", step("100+0", 60, "0+0"), instance=i, scope="deployment_monthly")
          for i in (A, B)]),
     {66: [labels("AntirelouDeploymentBudgetExhausted", scope="deployment_monthly")]}),

    ("a number in shield mode", with_series(
        *[ours("antirelou_shield_active", step("0+0", 60, "1+0"), instance=i, tenant=BUSY, number=BUSY_1)
          for i in (A, B)]),
     {62: [labels("AntirelouShieldActive", tenant=BUSY, number=BUSY_1)]}),

    ("a number called again and again: 30 refused calls a minute, for 5 minutes", with_series(
        ours("antirelou_calls_total", step("0+1", 60, "60+30"), outcome="repeat_sender", tenant=BUSY,
             number=BUSY_1)),
     {64: [], 70: [labels("AntirelouCallFlood", tenant=BUSY, number=BUSY_1)]}),

    ("slow decisions", with_series(
        *[ours("antirelou_decision_duration_seconds_bucket", rising(per_minute), instance=i, le=le)
          for i in (A, B) for le, per_minute in (("0.005", 0), ("0.05", 1), ("0.25", 2), ("1", 3),
                                                    ("+Inf", 10))]),
     {15: [labels("AntirelouDecisionLatencyHigh")]}),

    ("a number actor restarted", with_series(
        ours("antirelou_actor_restarts_total", step("0+0", 60, "1+0"), tenant=BUSY, number=BUSY_1)),
     {61: [labels("AntirelouActorRestarts", tenant=BUSY, number=BUSY_1)], 80: []}),

    ("a number's mailbox overflowing", with_series(
        ours("antirelou_actor_mailbox_full_total", step("0+0", 60, "0+4"), tenant=BUSY, number=BUSY_1)),
     {63: [], 67: [labels("AntirelouMailboxFull", tenant=BUSY, number=BUSY_1)]}),
]


def rules_without_annotations(tmp_path) -> str:
    """The shipped rules minus their annotations: promtool compares
    annotations verbatim, and these tests are about when alerts fire and
    with which labels (test_e2e_prometheus renders the annotations live)."""
    doc = load_yaml(ALERTS)
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    path = tmp_path / "alerts.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    return str(path)


def promtool_tests(rule_file: str) -> dict:
    names = [r["alert"] for r in alert_rules()]
    tests = []
    for case_id, input_series, expected in CASES:
        checks = []
        for minute, alerts in expected.items():
            for name in names:
                want = [a for a in alerts if a["alertname"] == name]
                checks.append({
                    "eval_time": f"{minute}m",
                    "alertname": name,
                    "exp_alerts": [{"exp_labels": {k: v for k, v in a.items() if k != "alertname"}}
                                   for a in want],
                })
            unknown = {a["alertname"] for a in alerts} - set(names)
            assert not unknown, f"{case_id}: no such alert {unknown}"
        tests.append({"name": case_id, "interval": "1m", "input_series": input_series, "alert_rule_test": checks})
    return {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests}


def run_promtool(tmp_path, doc: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "alerts-test.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    return subprocess.run([tool("promtool"), "test", "rules", str(path)], capture_output=True, text=True,
                          timeout=300)


def test_promtool_unit_tests_pass(tmp_path):
    done = run_promtool(tmp_path, promtool_tests(rules_without_annotations(tmp_path)))
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert "SUCCESS" in done.stdout


def test_every_alert_fires_in_some_case_and_every_case_checks_every_alert():
    fired = {a["alertname"] for _, _, expected in CASES for alerts in expected.values() for a in alerts}
    assert fired == set(SEVERITY), f"alerts never shown firing: {set(SEVERITY) - fired}"
    assert CASES[0][2] and all(not alerts for alerts in CASES[0][2].values()), "the healthy case expects silence"


def test_unit_tests_can_fail(tmp_path):
    """A wrong expectation (a daily cap paging someone) makes promtool fail."""
    doc = promtool_tests(rules_without_annotations(tmp_path))
    daily = next(t for t in doc["tests"] if t["name"].startswith("a daily cap reached"))
    for check in daily["alert_rule_test"]:
        for a in check["exp_alerts"]:
            a["exp_labels"]["severity"] = "critical"
    doc["tests"] = [daily]
    done = run_promtool(tmp_path, doc)
    assert done.returncode != 0 and "AntirelouBudgetCapReached" in done.stdout + done.stderr


@pytest.mark.parametrize("severity, alerts", [
    ("info", {"AntirelouBudgetNearCap", "AntirelouBudgetCapReached", "AntirelouShieldActive",
              "AntirelouCallFlood"}),
    ("critical", {"AntirelouTenantSilent", "AntirelouNumberSilent", "AntirelouDown", "AntirelouPollerDown",
                  "AntirelouLedgerDown", "AntirelouLedgerErrors", "AntirelouRedisFull", "AntirelouRedisEvicting"}),
])
def test_severity_matches_the_action(severity, alerts):
    """A cap doing its job is news for the collective; a silent number pages."""
    assert {a for a, s in SEVERITY.items() if s == severity} == alerts
