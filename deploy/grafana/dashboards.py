#!/usr/bin/env python3
"""Writes the Grafana dashboards of antirelou, antirelou-overview.json and
antirelou-tenant.json, twice:

- next to this file, for the compose stack (and any Grafana): the
  `namespace` and `job` variables default to All, money is in EUR;
- in helm/antirelou/dashboards/, with placeholders (@NAMESPACE@, @JOB@,
  @MONEY_UNIT@) that templates/dashboards.yaml replaces with the release's
  namespace, job and ledger currency.

The JSON files are what Grafana loads; this script is how they are edited.
After a change run

    python3 deploy/grafana/dashboards.py

Every query selects `namespace=~"$namespace", job=~"$job"` (added by
`scoped`), so two releases in one Prometheus never mix. tests/deploy checks
that the JSON is this script's output and (end to end) that every query
returns data from a live Prometheus. The panel building blocks are in
panels.py. Standard library only.
"""

from __future__ import annotations

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # panels.py, also when imported by path (tests/deploy)

from panels import (  # noqa: E402
    CAP_THRESHOLDS, DEPLOYMENT_MATCHERS, MONEY, MONEY_UNIT, RATE, Layout, bargauge, dashboard, datasource_variable,
    deployment_variables, money_unit, query_variable, scoped, spent_share, stat, timeseries,
)

CHART_DASHBOARDS = HERE.parents[1] / "helm" / "antirelou" / "dashboards"
__all__ = ["DASHBOARDS", "money_unit", "render", "scoped"]


def overview() -> dict:
    f = ""
    lay = Layout()

    lay.row("Traffic and outcomes")
    lay.add(timeseries(
        "Inbound SMS by outcome",
        "Every inbound SMS gets exactly one outcome; only `replied` costs a reply.",
        (f"sum by (outcome) (rate(antirelou_inbound_total[{RATE}]))", "{{outcome}}"),
        unit="reqps", stack=True), w=12)
    lay.add(timeseries(
        "Inbound SMS by tenant",
        "Messages per second received by each collective's numbers.",
        (f"sum by (tenant) (rate(antirelou_inbound_total[{RATE}]))", "{{tenant}}"),
        unit="reqps", stack=True), w=8)
    lay.add(stat(
        "Share replied",
        "Replied messages out of all messages (a flood drives it down, as it should).",
        (f'sum(rate(antirelou_inbound_total{{outcome="replied"}}[{RATE}]))'
         f" / sum(rate(antirelou_inbound_total[{RATE}]))", "replied"),
        unit="percentunit", decimals=1), w=4, h=4)
    lay.x -= 4
    lay.y += 4
    lay.add(stat(
        "Replies, last 24h",
        "Replies paid for by all tenants in the last 24 hours.",
        ('sum(increase(antirelou_inbound_total{outcome="replied"}[24h]))', "replies"),
        decimals=0), w=4, h=4)
    lay.y -= 4
    lay.add(timeseries(
        "Calls by outcome",
        "Every call gets one outcome: `replied` was answered (its cost reserved, kind `call`), every other "
        "was rejected as busy, unanswered and unbilled; `no_voice`: the number answers no call.",
        (f"sum by (outcome) (rate(antirelou_calls_total[{RATE}]))", "{{outcome}}"),
        unit="reqps", stack=True), w=24)

    lay.row("Money")
    lay.add(timeseries(
        "Burn rate per hour, by tenant",
        "Spend per hour (replies, answered calls and inbound charges), in the ledger currency.",
        (f"sum by (tenant) (rate(antirelou_spend_total[{RATE}])) * 3600", "{{tenant}}"),
        **MONEY, stack=True), w=8)
    lay.add(bargauge(
        "Budget spent, share of each cap",
        "1 - remaining / cap, per tenant, number and cap (number_daily, tenant_monthly, "
        "deployment_monthly, balance). At 100% that cap stops all replies.",
        (spent_share(f), "{{tenant}} {{number}} {{scope}}"),
        unit="percentunit", decimals=0, max_value=1, thresholds=CAP_THRESHOLDS), w=10)
    lay.add(stat(
        "Deployment budget left this month",
        "What remains of the deployment's monthly cap (ledger.monthly_cap).",
        ('min(antirelou_budget_remaining{scope="deployment_monthly"})', "remaining"),
        **MONEY), w=6, h=4)
    lay.x -= 6
    lay.y += 4
    lay.add(stat(
        "Spend, last 24h",
        "Spend of all tenants in the last 24 hours, in the ledger currency.",
        ("sum(increase(antirelou_spend_total[24h]))", "spend"),
        **MONEY), w=6, h=4)
    lay.y -= 4
    lay.add(bargauge(
        "Spend, last 24h, by tenant and kind",
        "Replies and inbound charges per tenant over the last 24 hours.",
        ("sum by (tenant, kind) (increase(antirelou_spend_total[24h]))", "{{tenant}} {{kind}}"),
        **MONEY), w=12)
    lay.add(timeseries(
        "Replies refused for budget",
        "Messages that got no reply because a cap or the prepaid balance was reached.",
        (f'sum by (tenant, number) (rate(antirelou_inbound_total{{outcome="budget_exhausted"}}[{RATE}]))',
         "{{tenant}} {{number}}"),
        unit="reqps"), w=12)

    lay.row("Shield and deferred replies")
    lay.add(stat(
        "Numbers in shield mode",
        "Numbers currently under a flood (shield mode), over all tenants.",
        ("sum(max by (tenant, number) (antirelou_shield_active))", "shielded"),
        decimals=0, thresholds=[(None, "green"), (1, "orange")]), w=4)
    lay.add(timeseries(
        "Shield mode by number",
        "1 while the number is in shield mode.",
        ("max by (tenant, number) (antirelou_shield_active)", "{{tenant}} {{number}}"),
        decimals=0), w=10)
    lay.add(timeseries(
        "Messages held back by the shield",
        "Messages from new senders left unanswered because the shield's trickle was spent.",
        (f'sum by (tenant, number) (rate(antirelou_inbound_total{{outcome="shielded"}}[{RATE}]))',
         "{{tenant}} {{number}}"),
        unit="reqps", stack=True), w=10)
    lay.add(timeseries(
        "Deferred replies by result",
        "Replies held back during a flood and judged later: sent, dropped (flooding, budget), expired, "
        "or send_failed (the provider's send API refused: see AntirelouDeferredSendFailing).",
        (f"sum by (result) (rate(antirelou_deferred_total[{RATE}]))", "{{result}}"),
        unit="reqps", stack=True), w=12)
    lay.add(timeseries(
        "Deferred replies pending",
        "Senders waiting for their judgement, per number.",
        ("max by (tenant, number) (antirelou_deferred_pending)", "{{tenant}} {{number}}"),
        decimals=0), w=12)

    lay.row("Ledger and actors")
    lay.add(timeseries(
        "Decision latency",
        "Time to decide on one inbound SMS, all numbers.",
        *[(f"histogram_quantile({q}, sum by (le) (rate(antirelou_decision_duration_seconds_bucket[{RATE}])))",
           f"p{label}") for q, label in (("0.5", "50"), ("0.99", "99"), ("0.999", "99.9"))],
        unit="s"), w=8)
    lay.add(timeseries(
        "Ledger errors",
        "Failed ledger operations. The service fails closed: no reply is paid without the ledger.",
        (f"sum by (backend, op) (rate(antirelou_ledger_errors_total[{RATE}]))", "{{backend}} {{op}}"),
        unit="ops"), w=8)
    lay.add(timeseries(
        "Ledger reachable, by replica",
        "1 when the replica's ledger answers (this is also its /readyz).",
        ("min by (instance) (antirelou_ledger_up)", "{{instance}}"),
        decimals=0), w=8)
    lay.add(timeseries(
        "Mailbox full (messages shed)",
        "Messages answered at once without a decision because the number's actor was saturated.",
        (f"sum by (tenant, number) (rate(antirelou_actor_mailbox_full_total[{RATE}]))",
         "{{tenant}} {{number}}"),
        unit="reqps"), w=12)
    lay.add(timeseries(
        "Actor restarts, last hour",
        "Number actors restarted after a crash (a bug: see the runbook).",
        ("sum by (tenant, number) (increase(antirelou_actor_restarts_total[1h]))", "{{tenant}} {{number}}"),
        decimals=0), w=12)

    redis_and_replicas(lay)
    alerts_and_polling(lay, "")

    lay.row("Webhook rejections")
    lay.add(timeseries(
        "Rejected webhooks by tenant and number",
        "Refused webhooks whose number is configured here. A number whose webhooks are all refused is "
        "silent (AntirelouNumberSilent, AntirelouTenantSilent).",
        (f'sum by (tenant, number, reason) (rate(antirelou_webhook_rejected_total{{number!=""}}[{RATE}]))',
         "{{tenant}} {{number}} {{reason}}"),
        unit="reqps", stack=True), w=24)
    lay.add(timeseries(
        "Rejected webhooks by provider and reason",
        "Requests refused before any decision. bad_signature / account_mismatch: forgery, "
        "or a wrong public_url or auth token.",
        (f"sum by (provider, reason) (rate(antirelou_webhook_rejected_total[{RATE}]))",
         "{{provider}} {{reason}}"),
        unit="reqps", stack=True), w=16)
    lay.add(bargauge(
        "Rejected webhooks, last 24h",
        "Rejected requests by reason over the last 24 hours.",
        ("sum by (reason) (increase(antirelou_webhook_rejected_total[24h]))", "{{reason}}"),
        decimals=0), w=8)

    return dashboard(
        "antirelou-overview",
        "antirelou / Overview",
        "All tenants of one antirelou deployment: traffic, money, shields, ledger, rejected webhooks.",
        lay,
        [datasource_variable(), *deployment_variables()],
        [{"title": "Tenant", "type": "dashboards", "tags": ["antirelou"], "asDropdown": True,
          "includeVars": False, "keepTime": True}],
    )


def tenant() -> dict:
    f = 'tenant="$tenant", number=~"$number"'
    lay = Layout()

    lay.row("Traffic and outcomes")
    lay.add(timeseries(
        "Inbound SMS by outcome",
        "Every inbound SMS gets exactly one outcome; only `replied` costs a reply.",
        (f"sum by (outcome) (rate(antirelou_inbound_total{{{f}}}[{RATE}]))", "{{outcome}}"),
        unit="reqps", stack=True), w=12)
    lay.add(timeseries(
        "Inbound SMS by number",
        "Messages per second received by each number.",
        (f"sum by (number) (rate(antirelou_inbound_total{{{f}}}[{RATE}]))", "{{number}}"),
        unit="reqps", stack=True), w=6)
    lay.add(bargauge(
        "Outcomes, last 24h",
        "Decisions by outcome over the last 24 hours.",
        (f"sum by (outcome) (increase(antirelou_inbound_total{{{f}}}[24h]))", "{{outcome}}"),
        decimals=0), w=6)
    lay.add(timeseries(
        "Calls by outcome",
        "Every call gets one outcome: `replied` was answered (its cost reserved, kind `call`), every other "
        "was rejected as busy, unanswered and unbilled; `no_voice`: the number answers no call.",
        (f"sum by (number, outcome) (rate(antirelou_calls_total{{{f}}}[{RATE}]))", "{{number}} {{outcome}}"),
        unit="reqps", stack=True), w=24)

    lay.row("Money")
    lay.add(timeseries(
        "Budget remaining and cap",
        "What remains of each cap (solid) against the cap itself, in the ledger currency.",
        (f"min by (number, scope) (antirelou_budget_remaining{{{f}}})", "{{number}} {{scope}} remaining"),
        (f"max by (number, scope) (antirelou_budget_cap{{{f}}})", "{{number}} {{scope}} cap"),
        **MONEY), w=12)
    lay.add(bargauge(
        "Budget spent, share of each cap",
        "1 - remaining / cap. At 100% that cap stops all replies.",
        (spent_share(f), "{{number}} {{scope}}"),
        unit="percentunit", decimals=0, max_value=1, thresholds=CAP_THRESHOLDS), w=12)
    lay.add(timeseries(
        "Burn rate per hour",
        "Spend per hour by number and kind (reply, call, inbound), in the ledger currency.",
        (f"sum by (number, kind) (rate(antirelou_spend_total{{{f}}}[{RATE}])) * 3600", "{{number}} {{kind}}"),
        **MONEY, stack=True), w=8)
    lay.add(stat(
        "Spend, last 24h",
        "Spend of the selected numbers in the last 24 hours.",
        (f"sum(increase(antirelou_spend_total{{{f}}}[24h]))", "spend"),
        **MONEY), w=4)
    lay.add(timeseries(
        "Replies refused for budget",
        "Messages that got no reply because a cap or the prepaid balance was reached.",
        (f'sum by (number) (rate(antirelou_inbound_total{{{f}, outcome="budget_exhausted"}}[{RATE}]))',
         "{{number}}"),
        unit="reqps"), w=12)

    lay.row("Shield and deferred replies")
    lay.add(timeseries(
        "Shield mode",
        "1 while the number is in shield mode.",
        (f"max by (number) (antirelou_shield_active{{{f}}})", "{{number}}"),
        decimals=0), w=8)
    lay.add(timeseries(
        "Flood filtering",
        "Messages left unanswered by the flood defences: repeat senders, rate limit, shield.",
        (f'sum by (number, outcome) (rate(antirelou_inbound_total{{{f}, '
         f'outcome=~"repeat_sender|rate_limited|shielded"}}[{RATE}]))', "{{number}} {{outcome}}"),
        unit="reqps", stack=True), w=16)
    lay.add(timeseries(
        "Deferred replies by result",
        "Replies held back during a flood and judged later, by result.",
        (f"sum by (number, result) (rate(antirelou_deferred_total{{{f}}}[{RATE}]))", "{{number}} {{result}}"),
        unit="reqps", stack=True), w=16)
    lay.add(timeseries(
        "Deferred replies pending",
        "Senders waiting for their judgement.",
        (f"max by (number) (antirelou_deferred_pending{{{f}}})", "{{number}}"),
        decimals=0), w=8)

    lay.row("Ledger and actors")
    lay.add(timeseries(
        "Decision latency p99 by outcome (all tenants)",
        "The decision histogram is not per tenant: this is the whole deployment.",
        (f"histogram_quantile(0.99, sum by (le, outcome) (rate(antirelou_decision_duration_seconds_bucket[{RATE}])))",
         "{{outcome}}"),
        unit="s"), w=8)
    lay.add(timeseries(
        "Unanswered for lack of ledger or capacity",
        "Outcomes ledger_unavailable (fail closed) and overloaded (mailbox full or decision timeout).",
        (f'sum by (number, outcome) (rate(antirelou_inbound_total{{{f}, '
         f'outcome=~"ledger_unavailable|overloaded"}}[{RATE}]))', "{{number}} {{outcome}}"),
        unit="reqps"), w=8)
    lay.add(timeseries(
        "Ledger errors (all tenants)",
        "Failed ledger operations of the whole deployment.",
        (f"sum by (backend, op) (rate(antirelou_ledger_errors_total[{RATE}]))", "{{backend}} {{op}}"),
        unit="ops"), w=8)
    lay.add(timeseries(
        "Mailbox full (messages shed)",
        "Messages shed because the number's actor mailbox was full.",
        (f"sum by (number) (rate(antirelou_actor_mailbox_full_total{{{f}}}[{RATE}]))", "{{number}}"),
        unit="reqps"), w=12)
    lay.add(timeseries(
        "Actor restarts, last hour",
        "Number actors restarted after a crash.",
        (f"sum by (number) (increase(antirelou_actor_restarts_total{{{f}}}[1h]))", "{{number}}"),
        decimals=0), w=12)

    redis_and_replicas(lay)
    alerts_and_polling(lay, 'tenant="$tenant"')

    lay.row("Webhook rejections")
    lay.add(timeseries(
        "Rejected webhooks of this tenant",
        "Webhooks for these numbers refused before any decision. Only refusals and no accepted message "
        "means a silent number: check public_url and the tenant's provider credentials.",
        (f"sum by (number, reason) (rate(antirelou_webhook_rejected_total{{{f}}}[{RATE}]))",
         "{{number}} {{reason}}"),
        unit="reqps", stack=True), w=12)
    lay.add(timeseries(
        "Rejected webhooks by provider and reason (all tenants)",
        "Every refused webhook of the deployment, including those for numbers not configured here.",
        (f"sum by (provider, reason) (rate(antirelou_webhook_rejected_total[{RATE}]))",
         "{{provider}} {{reason}}"),
        unit="reqps", stack=True), w=12)

    return dashboard(
        "antirelou-tenant",
        "antirelou / Tenant",
        "One collective's numbers: traffic, caps and spend, shield, actors.",
        lay,
        [
            datasource_variable(),
            *deployment_variables(),
            query_variable("tenant", "Tenant",
                           f"label_values(antirelou_inbound_total{{{DEPLOYMENT_MATCHERS}}}, tenant)", multi=False),
            query_variable("number", "Number",
                           f'label_values(antirelou_inbound_total{{{DEPLOYMENT_MATCHERS}, tenant="$tenant"}}, number)',
                           multi=True),
        ],
        [{"title": "Overview", "type": "dashboards", "tags": ["antirelou"], "asDropdown": True,
          "includeVars": False, "keepTime": True}],
    )


def redis_and_replicas(lay: Layout) -> None:
    """The ledger's Redis (antirelou's own INFO figures) and the replicas."""
    lay.row("Redis and replicas")
    lay.add(stat(
        "Redis memory, share of maxmemory",
        "used_memory / maxmemory of the ledger's Redis. With noeviction a full Redis refuses writes and "
        "every number fails closed (AntirelouRedisFull).",
        ("max(antirelou_ledger_redis_used_memory_bytes) / max(antirelou_ledger_redis_maxmemory_bytes > 0)",
         "used"),
        unit="percentunit", decimals=0, thresholds=[(None, "green"), (0.8, "orange"), (0.95, "red")]), w=6)
    lay.add(timeseries(
        "Redis memory",
        "Memory used by the ledger's Redis against its maxmemory (bytes).",
        ("max(antirelou_ledger_redis_used_memory_bytes)", "used"),
        ("max(antirelou_ledger_redis_maxmemory_bytes)", "maxmemory"),
        unit="bytes"), w=10)
    lay.add(stat(
        "Redis evicted keys",
        "Keys Redis evicted since it started. Must stay 0: an evicted ledger key is lost money records.",
        ("max(antirelou_ledger_redis_evicted_keys)", "evicted"),
        decimals=0, thresholds=[(None, "green"), (1, "red")]), w=4)
    lay.add(stat(
        "Replicas up",
        "Replicas Prometheus scrapes successfully.",
        ("sum(up)", "up"),
        decimals=0, thresholds=[(None, "red"), (1, "green")]), w=4)
    lay.add(timeseries(
        "Process restarts, last hour",
        "Times each replica's process started again (crash, OOM kill, failed liveness probe).",
        ("changes(process_start_time_seconds[1h])", "{{instance}}"),
        decimals=0), w=24)


def alerts_and_polling(lay: Layout, selector: str) -> None:
    """Alerts POSTed to the collectives, and the OVHcloud pollers."""
    f = "{" + selector + "}" if selector else ""
    lay.row("Alerts and polling")
    lay.add(timeseries(
        "Alerts to collectives, by result",
        "Shield and budget alerts POSTed to each tenant's alert_webhook; `failed` means the collective "
        "was not told (AntirelouAlertWebhookFailing).",
        (f"sum by (tenant, kind, result) (increase(antirelou_alert_webhooks_total{f}[1h]))",
         "{{tenant}} {{kind}} {{result}}"),
        decimals=0), w=8)
    lay.add(timeseries(
        "OVHcloud poller up",
        "1 when the last poll of an OVHcloud number succeeded (on the replica holding its lease).",
        (f"max by (tenant, number) (antirelou_poller_up{f})", "{{tenant}} {{number}}"),
        decimals=0), w=8)
    lay.add(timeseries(
        "OVHcloud polls by result, and lease holders",
        "Polls per second by result; `lease` is how many replicas hold each number's poll lease "
        "(exactly 1 when healthy).",
        (f"sum by (tenant, number, result) (rate(antirelou_poller_polls_total{f}[{RATE}]))",
         "{{tenant}} {{number}} {{result}}"),
        (f"sum by (tenant, number) (antirelou_poller_lease_held{f})", "{{tenant}} {{number}} lease"),
        ), w=8)


def render(board: dict, *, for_chart: bool = False, currency: str = "EUR") -> str:
    """The board as JSON. For the chart the placeholders stay; otherwise
    the deployment variables default to All and money is in `currency`."""
    text = json.dumps(board, indent=2, ensure_ascii=False) + "\n"
    if for_chart:
        return text
    for placeholder in ("@NAMESPACE@", "@JOB@"):
        text = text.replace(f'"text": "{placeholder}"', '"text": "All"').replace(
            f'"value": "{placeholder}"', '"value": "$__all"')
    return text.replace(MONEY_UNIT, money_unit(currency))


DASHBOARDS = {
    "antirelou-overview.json": overview,
    "antirelou-tenant.json": tenant,
}


def main() -> None:
    for name, build in DASHBOARDS.items():
        (HERE / name).write_text(render(build()), encoding="utf-8")
        (CHART_DASHBOARDS / name).write_text(render(build(), for_chart=True), encoding="utf-8")


if __name__ == "__main__":
    main()
