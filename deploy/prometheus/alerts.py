#!/usr/bin/env python3
"""Writes the Prometheus rules of antirelou, from one definition, twice:

- deploy/prometheus/alerts.yml: for the compose stack and for any Prometheus
  that scrapes antirelou under `job="antirelou"` with `namespace="antirelou"`
  (deploy/prometheus/prometheus.yml sets both);
- helm/antirelou/files/alerts.yml: the same rules with placeholders
  (@JOB@, @NAMESPACE@, @REDIS_JOB@, @POD_REGEX@, @SILENT_WINDOW@,
  @RUNBOOK_URL@) that templates/prometheusrule.yaml replaces with the
  release's own values, so two releases in one Prometheus never mix.

After a change run

    python3 deploy/prometheus/alerts.py

and, for another scrape job or namespace,

    python3 deploy/prometheus/alerts.py --job JOB --namespace NS --out my-alerts.yml

tests/deploy checks that both files are this script's output, runs
promtool's unit tests on every alert, and fires them against a live
Prometheus. Each alert's runbook is the section of docs/operations.md named
after it. Standard library only.

Severity says what to do: `critical` pages someone (a number or the whole
deployment is silent now, or the money records are at risk), `warning` is
for the working day, `info` is news for a collective (a cap doing its job).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The project's repository: runbook links point at docs/operations.md there,
# at the tag of the release (Chart.yaml `home` says the same).
REPOSITORY = "https://github.com/antirelou/antirelou"
# How long a number may go without an accepted webhook while its webhooks
# are refused before it counts as silent. On a quiet number one refusal is
# enough; on a busy one an hour of nothing but refusals.
SILENT_WINDOW = "1h"

# Labels that identify one deployment: alerts always keep them.
DEPLOYMENT = "namespace, job"


class Params:
    """What distinguishes one deployment's rules from another's."""

    def __init__(self, *, job: str, namespace: str, redis_job: str, pod_regex: str, silent_window: str,
                 runbook_url: str):
        self.job = job
        self.namespace = namespace
        self.redis_job = redis_job
        self.pod_regex = pod_regex
        self.silent_window = silent_window
        self.runbook_url = runbook_url


def default_params() -> Params:
    return Params(
        job="antirelou",
        namespace="antirelou",
        redis_job="antirelou-redis",
        pod_regex="antirelou-[a-z0-9]+-[a-z0-9]+|antirelou-redis-[0-9]+",
        silent_window=SILENT_WINDOW,
        runbook_url=f"{REPOSITORY}/blob/v{workspace_version()}/docs/operations.md",
    )


def chart_params() -> Params:
    """Placeholders that templates/prometheusrule.yaml replaces."""
    return Params(job="@JOB@", namespace="@NAMESPACE@", redis_job="@REDIS_JOB@", pod_regex="@POD_REGEX@",
                  silent_window="@SILENT_WINDOW@", runbook_url="@RUNBOOK_URL@")


def workspace_version() -> str:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    return cargo["workspace"]["package"]["version"]


class Selectors:
    """PromQL selectors scoped to one deployment."""

    def __init__(self, p: Params):
        self.p = p

    def m(self, name: str, *matchers: str) -> str:
        """antirelou's own series (and `up`, `process_*`) of this deployment."""
        return name + "{" + ", ".join([f'job="{self.p.job}"', f'namespace="{self.p.namespace}"', *matchers]) + "}"

    def redis(self, name: str, *matchers: str) -> str:
        """redis_exporter's series (the chart's optional sidecar)."""
        return name + "{" + ", ".join([f'job="{self.p.redis_job}"', f'namespace="{self.p.namespace}"',
                                        *matchers]) + "}"

    def kube(self, name: str, *matchers: str) -> str:
        """kube-state-metrics' series about this deployment's pods."""
        return name + "{" + ", ".join([f'namespace="{self.p.namespace}"', f'pod=~"{self.p.pod_regex}"',
                                        *matchers]) + "}"

    def as_deployment(self, expr: str) -> str:
        """Labels a per-namespace expression with antirelou's job, so that it
        merges (`or`) with antirelou's own series into one alert."""
        return f'label_replace({expr}, "job", "{self.p.job}", "", "")'


def window_increase(selector: str, by: str, window: str) -> str:
    """What a counter grew by over `window`, summed by `by`. A series born
    inside the window (a replica that started, a label seen for the first
    time) counts with its whole value: increase() alone would miss its first
    event."""
    return f"sum by ({by}) (\n  ({selector} unless {selector} offset {window})\n  or increase({selector}[{window}])\n)"


def indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def rules(p: Params) -> list[dict]:
    """The rule groups, in the order of docs/operations.md's runbooks."""
    s = Selectors(p)
    w = p.silent_window
    number = f"{DEPLOYMENT}, tenant, number"
    tenant = f"{DEPLOYMENT}, tenant"

    known_tenant, known_number = 'tenant!=""', 'number!=""'
    crash_loop, oom = 'reason="CrashLoopBackOff"', 'err="OOM"'
    refused_calls = s.m("antirelou_calls_total", 'outcome!="replied"')
    inbound_window = "antirelou:inbound_window:sum"
    rejected_window = "antirelou:webhook_rejected_window:sum"
    silent_numbers = "antirelou:silent_numbers"
    silent_tenants = "antirelou:silent_tenants"
    refused_or_silent = (
        f"sum by ({DEPLOYMENT}, provider, reason) (\n"
        f"  increase({s.m('antirelou_webhook_rejected_total')}[5m])\n"
        f"  unless on ({tenant}) {s.m(silent_tenants)}\n"
        f"  unless on ({number}) {s.m(silent_numbers)}\n"
        f") > 20"
    )

    all_down = f"(sum by ({DEPLOYMENT}) ({s.m('up')}) == 0)\nor absent({s.m('up')})"

    redis_used = s.m("antirelou_ledger_redis_used_memory_bytes")
    redis_max = s.m("antirelou_ledger_redis_maxmemory_bytes")
    own_ratio = f"max by ({DEPLOYMENT}) ({redis_used})\n/ max by ({DEPLOYMENT}) ({redis_max} > 0)"
    exporter_ratio = s.as_deployment(
        f"max by (namespace) ({s.redis('redis_memory_used_bytes')})"
        f" / max by (namespace) ({s.redis('redis_memory_max_bytes')} > 0)")
    redis_oom = s.as_deployment(
        f"sum by (namespace) (increase({s.redis('redis_errors_total', oom)}[5m])) > 0")
    redis_full = f"(\n{indent(own_ratio, 2)}\n) >= 0.95\nor {exporter_ratio} >= 0.95\nor {redis_oom}"
    evicted = s.redis("redis_evicted_keys_total")
    exporter_evictions = s.as_deployment(f"sum by (namespace) (increase({evicted}[1h])) > 0")
    ledger_down = f"count by ({DEPLOYMENT}) ({s.m('antirelou_ledger_up')} == 0) > 0"

    budget_by = f"{DEPLOYMENT}, tenant, number, scope"

    def remaining(*matchers: str) -> str:
        return f"min by ({budget_by}) ({s.m('antirelou_budget_remaining', *matchers)})"

    return [
        {"name": "antirelou.records", "rules": [
            {"record": inbound_window,
             "expr": window_increase(s.m("antirelou_inbound_total"), number, w)},
            {"record": rejected_window,
             "expr": window_increase(s.m("antirelou_webhook_rejected_total"), number, w)},
            # Numbers with webhooks refused and none accepted over the window.
            {"record": silent_numbers,
             "expr": f"{s.m(rejected_window, known_number)} > 0\n"
                     f"unless on ({number})\n{s.m(inbound_window)} > 0"},
            # Tenants of which no number had a webhook accepted, some refused.
            {"record": silent_tenants,
             "expr": f"sum by ({tenant}) ({s.m(rejected_window, known_tenant)}) > 0\n"
                     f"unless on ({tenant})\nsum by ({tenant}) ({s.m(inbound_window)}) > 0"},
        ]},
        {"name": "antirelou.silence", "rules": [
            alert("AntirelouTenantSilent", s.m(silent_tenants), "5m", "critical",
                  "{{ $labels.tenant }}: every webhook refused, nothing accepted in " + w,
                  "Tenant {{ $labels.tenant }} had webhooks refused (bad signature, account mismatch, "
                  "stale timestamp, ...) and not one accepted in the last " + w + ": its numbers are "
                  "silent. Usually server.public_url, the tenant's provider token or account id is wrong.",
                  p),
            alert("AntirelouNumberSilent",
                  f"{s.m(silent_numbers)}\nunless on ({tenant}) {s.m(silent_tenants)}", "5m", "critical",
                  "{{ $labels.tenant }} {{ $labels.number }}: every webhook refused, nothing accepted in " + w,
                  "Number {{ $labels.number }} of tenant {{ $labels.tenant }} had webhooks refused and not "
                  "one accepted in the last " + w + ", while other numbers of the tenant work: the "
                  "provider calls this number's webhook with a URL or signature antirelou refuses.",
                  p),
            alert("AntirelouWebhookRejectionSpike",
                  refused_or_silent,
                  "5m", "warning",
                  "{{ $value | humanize }} {{ $labels.provider }} webhooks refused ({{ $labels.reason }}) "
                  "in 5 minutes",
                  "Webhooks refused before any decision with reason {{ $labels.reason }}: forgery or "
                  "probing when genuine traffic still flows, a configuration error otherwise.",
                  p),
        ]},
        {"name": "antirelou.availability", "rules": [
            alert("AntirelouDown", all_down, "2m", "critical",
                  "antirelou {{ $labels.namespace }}/{{ $labels.job }}: no replica can be scraped",
                  "Prometheus reaches no replica of this deployment (all targets down, or none "
                  "discovered). Webhooks are most likely failing too: every number is silent.",
                  p),
            alert("AntirelouReplicaDown",
                  f"{s.m('up')} == 0\nunless on ({DEPLOYMENT})\n(\n{indent(all_down, 2)}\n)",
                  "5m", "warning",
                  "{{ $labels.instance }} cannot be scraped",
                  "Replica {{ $labels.instance }} does not answer Prometheus; the other replicas still "
                  "do. The load balancer should have taken it out.",
                  p),
            alert("AntirelouRestarted",
                  f"changes({s.m('process_start_time_seconds')}[30m]) > 0",
                  "0m", "warning",
                  "{{ $labels.instance }} restarted {{ $value | humanize }} times in 30 minutes",
                  "The antirelou process of {{ $labels.instance }} started again (crash, OOM kill, "
                  "liveness probe). Decisions in flight were lost; the ledger kept the money.",
                  p),
            alert("AntirelouCrashLooping",
                  f"max by (namespace, pod, container) "
                  f"({s.kube('kube_pod_container_status_waiting_reason', crash_loop)}) == 1\n"
                  f"or sum by (namespace, pod, container) "
                  f"(increase({s.kube('kube_pod_container_status_restarts_total')}[30m])) > 2",
                  "5m", "warning",
                  "{{ $labels.pod }} ({{ $labels.container }}) is crash looping",
                  "Container {{ $labels.container }} of pod {{ $labels.pod }} keeps exiting "
                  "(kube-state-metrics). antirelou exits 2 on a bad configuration and says which key.",
                  p),
        ]},
        {"name": "antirelou.delivery", "rules": [
            alert("AntirelouAlertWebhookFailing",
                  window_increase(s.m("antirelou_alert_webhooks_total", 'result="failed"'),
                                  f"{DEPLOYMENT}, tenant, kind", "30m") + " > 0",
                  "10m", "warning",
                  "{{ $labels.tenant }}: {{ $labels.kind }} alerts to the collective are failing",
                  "antirelou could not POST {{ $labels.kind }} alerts to the alert_webhook of tenant "
                  "{{ $labels.tenant }} in the last 30 minutes: the collective is not told about "
                  "its floods or its budget.",
                  p),
            alert("AntirelouDeferredSendFailing",
                  window_increase(s.m("antirelou_deferred_total", 'result="send_failed"'), number, "30m")
                  + " > 0\nand\n"
                  + window_increase(s.m("antirelou_deferred_total", 'result="send_failed"'), number, "30m")
                  + "\n/\n"
                  + window_increase(s.m("antirelou_deferred_total", 'result=~"sent|send_failed"'), number, "30m")
                  + " >= 0.2",
                  "10m", "warning",
                  "{{ $labels.tenant }} {{ $labels.number }}: {{ $value | humanizePercentage }} of deferred "
                  "replies failed to send",
                  "Deferred replies (sent later through the provider's send API) fail for number "
                  "{{ $labels.number }} of tenant {{ $labels.tenant }}: genuine senders held back "
                  "during a flood never get their answer.",
                  p),
            alert("AntirelouPollerDown",
                  f"max by ({number}) ({s.m('antirelou_poller_up')}) == 0\n"
                  f"or sum by ({number}) ({s.m('antirelou_poller_lease_held')}) == 0",
                  "10m", "critical",
                  "{{ $labels.tenant }} {{ $labels.number }}: OVHcloud inbound is not polled",
                  "The OVHcloud number {{ $labels.number }} of tenant {{ $labels.tenant }} is not read: "
                  "its polls fail, or no replica holds its poll lease. Its messages wait at OVHcloud "
                  "and nobody is answered.",
                  p),
        ]},
        {"name": "antirelou.ledger", "rules": [
            alert("AntirelouLedgerDown",
                  f"{ledger_down}\nunless on ({DEPLOYMENT})\n(\n{indent(redis_full, 2)}\n)",
                  "2m", "critical",
                  "{{ $value }} replica(s) of {{ $labels.namespace }}/{{ $labels.job }} cannot reach the ledger",
                  "Replicas have no working ledger: they are not ready and reply to nobody (fail "
                  "closed) until it is back.",
                  p),
            alert("AntirelouLedgerErrors",
                  f"sum by ({DEPLOYMENT}, backend) (rate({s.m('antirelou_ledger_errors_total')}[5m])) > 0\n"
                  f"unless on ({DEPLOYMENT})\n(\n{indent(ledger_down, 2)}\n)\n"
                  f"unless on ({DEPLOYMENT})\n(\n{indent(redis_full, 2)}\n)",
                  "5m", "critical",
                  "Ledger errors on the {{ $labels.backend }} backend",
                  "Ledger operations fail on {{ $labels.backend }}. antirelou fails closed: messages that "
                  "would have been replied to get no reply (outcome ledger_unavailable), nothing is paid.",
                  p),
            alert("AntirelouRedisMemoryHigh",
                  f"(\n{indent(own_ratio, 2)}\n) > 0.8 < 0.95\nor {exporter_ratio} > 0.8 < 0.95",
                  "10m", "warning",
                  "Ledger Redis at {{ $value | humanizePercentage }} of its maxmemory",
                  "The ledger's Redis uses more than 80% of maxmemory. With noeviction a full Redis "
                  "refuses writes and every number of every collective stops replying.",
                  p),
            alert("AntirelouRedisFull", redis_full, "1m", "critical",
                  "Ledger Redis is full: writes are refused",
                  "The ledger's Redis is at its maxmemory (or refuses writes with OOM): every decision "
                  "that needs the ledger fails closed, no number of any collective replies.",
                  p),
            alert("AntirelouRedisEvicting",
                  f"max by ({DEPLOYMENT}) (delta({s.m('antirelou_ledger_redis_evicted_keys')}[1h])) > 0\n"
                  f"or {exporter_evictions}",
                  "0m", "critical",
                  "Ledger Redis evicted {{ $value | humanize }} keys",
                  "The ledger's Redis evicts keys: caps, replies already paid and 'already replied' "
                  "memory can vanish, so caps can be crossed and senders answered twice.",
                  p),
        ]},
        {"name": "antirelou.money", "rules": [
            alert("AntirelouBudgetNearCap",
                  f"{remaining()}\n/ max by ({budget_by}) ({s.m('antirelou_budget_cap')} > 0)\n< 0.2 > 0",
                  "15m", "info",
                  "{{ $labels.tenant }} {{ $labels.number }}: {{ $value | humanizePercentage }} of the "
                  "{{ $labels.scope }} budget left",
                  "Less than 20% of the {{ $labels.scope }} cap is left. When it is spent antirelou stops "
                  "replying (outcome budget_exhausted) until the period ends, the cap is raised or the "
                  "balance topped up.",
                  p),
            alert("AntirelouBudgetCapReached",
                  remaining('scope=~"number_daily|tenant_monthly|balance"') + " <= 0",
                  "5m", "info",
                  "{{ $labels.tenant }} {{ $labels.number }}: {{ $labels.scope }} cap reached, no more replies",
                  "The {{ $labels.scope }} cap of tenant {{ $labels.tenant }} is spent: messages get no "
                  "reply and cost nothing more until the period ends. The cap is doing its job; tell "
                  "the collective.",
                  p),
            alert("AntirelouDeploymentBudgetExhausted",
                  remaining('scope="deployment_monthly"') + " <= 0",
                  "5m", "warning",
                  "{{ $labels.namespace }}/{{ $labels.job }}: the deployment's monthly budget is spent",
                  "ledger.monthly_cap is spent: no number of any collective replies until next month "
                  "or until the operator raises it.",
                  p),
        ]},
        {"name": "antirelou.engine", "rules": [
            alert("AntirelouShieldActive",
                  f"max by ({number}) ({s.m('antirelou_shield_active')}) == 1",
                  "1m", "info",
                  "{{ $labels.tenant }} {{ $labels.number }}: shield mode, a flood is under way",
                  "Number {{ $labels.number }} of tenant {{ $labels.tenant }} receives more messages or "
                  "new senders per minute than its shield trigger: new senders are judged before any "
                  "reply until the surge ends and the hold expires.",
                  p),
            alert("AntirelouCallFlood",
                  f"sum by ({number}) (\n  rate({refused_calls}[5m])\n) * 60 > 10",
                  "5m", "info",
                  "{{ $labels.tenant }} {{ $labels.number }}: {{ $value | humanize }} calls a minute refused",
                  "Number {{ $labels.number }} of tenant {{ $labels.tenant }} refuses more than 10 calls a "
                  "minute (repeat callers, shield, caps): someone is calling it again and again. Refused calls "
                  "are rejected as busy, unanswered, and cost nothing; each caller is answered at most once.",
                  p),
            alert("AntirelouDecisionLatencyHigh",
                  f"histogram_quantile(0.99,\n  sum by ({DEPLOYMENT}, le) "
                  f"(rate({s.m('antirelou_decision_duration_seconds_bucket')}[5m]))\n) > 0.25\n"
                  # Decisions wait for a ledger that is gone: that alert says it.
                  f"unless on ({DEPLOYMENT})\n(\n{indent(ledger_down, 2)}\n)",
                  "10m", "warning",
                  "p99 decision latency is {{ $value | humanizeDuration }}",
                  "The 99th percentile of the time to decide on an inbound SMS is above 250ms (not counting "
                  "a lost ledger, which AntirelouLedgerDown reports). Decisions that reach "
                  "server.decision_timeout_ms get no reply (outcome overloaded).",
                  p),
            alert("AntirelouActorRestarts",
                  window_increase(s.m("antirelou_actor_restarts_total"), number, "15m") + " > 0",
                  "0m", "warning",
                  "{{ $labels.tenant }} {{ $labels.number }}: number actor restarted",
                  "The actor of number {{ $labels.number }} crashed and was restarted from its settings "
                  "and the ledger {{ $value | humanize }} times in 15 minutes. This is a bug.",
                  p),
            alert("AntirelouMailboxFull",
                  window_increase(s.m("antirelou_actor_mailbox_full_total"), number, "5m") + " > 0",
                  "5m", "warning",
                  "{{ $labels.tenant }} {{ $labels.number }}: messages shed, actor overloaded",
                  "The mailbox of number {{ $labels.number }} is full: messages are answered at once with "
                  "no reply (outcome overloaded) instead of being decided.",
                  p),
        ]},
    ]


def alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str, p: Params) -> dict:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{p.runbook_url}#{name.lower()}",
        },
    }


def render(groups: list[dict], header: str) -> str:
    """YAML by hand (standard library only): expressions as literal blocks,
    every other string as a JSON string (valid YAML)."""
    out = [header, "groups:"]
    for group in groups:
        out.append(f"  - name: {group['name']}")
        out.append("    rules:")
        for rule in group["rules"]:
            first = True
            for key in ("alert", "record", "expr", "for", "labels", "annotations"):
                if key not in rule:
                    continue
                lead = "      - " if first else "        "
                first = False
                value = rule[key]
                if key == "expr":
                    out.append(f"{lead}expr: |-")
                    out.append(indent(value, 10))
                elif isinstance(value, dict):
                    out.append(f"{lead}{key}:")
                    out.extend(f"          {k}: {json.dumps(v)}" for k, v in value.items())
                else:
                    out.append(f"{lead}{key}: {json.dumps(value) if key != 'alert' and key != 'record' else value}")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


HEADER = """\
# Generated by deploy/prometheus/alerts.py: edit that script, then run it.
# Every expression is scoped to {scope}.
# Each runbook_url is the section of docs/operations.md named after the alert.
# Gauges are combined over replicas with min/max, counters are summed; every
# alert keeps the namespace and job labels."""

OUTPUTS = {
    "deploy": (HERE / "alerts.yml", default_params,
               'job="antirelou", namespace="antirelou" (deploy/prometheus/prometheus.yml sets them)'),
    "chart": (ROOT / "helm" / "antirelou" / "files" / "alerts.yml", chart_params,
              "the release: templates/prometheusrule.yaml replaces each @PLACEHOLDER@"),
}


def text_for(which: str) -> str:
    _, params, scope = OUTPUTS[which]
    return render(rules(params()), HEADER.format(scope=scope))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", help="scrape job of antirelou (writes --out only)")
    parser.add_argument("--namespace", default="antirelou")
    parser.add_argument("--redis-job", default="antirelou-redis")
    parser.add_argument("--pod-regex", default="antirelou-[a-z0-9]+-[a-z0-9]+|antirelou-redis-[0-9]+")
    parser.add_argument("--silent-window", default=SILENT_WINDOW)
    parser.add_argument("--runbook-url", default=default_params().runbook_url)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    if args.job:
        if not args.out:
            parser.error("--job needs --out")
        p = Params(job=args.job, namespace=args.namespace, redis_job=args.redis_job, pod_regex=args.pod_regex,
                   silent_window=args.silent_window, runbook_url=args.runbook_url)
        scope = f'job="{p.job}", namespace="{p.namespace}"'
        args.out.write_text(render(rules(p), HEADER.format(scope=scope)), encoding="utf-8")
        return
    for which, (path, _, _) in OUTPUTS.items():
        path.write_text(text_for(which), encoding="utf-8")


if __name__ == "__main__":
    main()
