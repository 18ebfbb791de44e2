"""Dashboards and alert rules, checked without a running service: the JSON
and the rules are their generators' output (for compose and for the chart),
every query is scoped to one deployment (namespace, job), uses $datasource
and known metrics only, promtool parses every alert and every panel query,
each alert links to an existing section of docs/operations.md."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess

import pytest
import yaml

from conftest import (
    ALERTS, CHART, DASHBOARDS, DEPLOY, DOCS, KUBE_STATE_METRICS, RECORDED, REDIS_EXPORTER, SERIES_NAMES,
    alert_rules, dashboard_queries, grafana_to_promql, load_yaml, metric_names, tool,
)

ROWS = ["Traffic and outcomes", "Money", "Shield and deferred replies", "Ledger and actors", "Redis and replicas",
        "Alerts and polling", "Webhook rejections"]
# Every selector of a metric name, with its matchers (strings blanked first
# so that label values cannot look like selectors).
SELECTOR = re.compile(r"\b([a-zA-Z_][a-zA-Z0-9_:]*)\{([^}]*)\}")


def generator(name: str):
    """Imports deploy/prometheus/alerts.py or deploy/grafana/dashboards.py."""
    path = {"alerts": DEPLOY / "prometheus" / "alerts.py", "dashboards": DEPLOY / "grafana" / "dashboards.py"}[name]
    spec = importlib.util.spec_from_file_location(f"antirelou_{name}_generator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def selectors(expr: str) -> list[tuple[str, str]]:
    """(metric, matchers) of every selector with braces in an expression."""
    return SELECTOR.findall(expr)


def boards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DASHBOARDS}


def all_panels(board):
    for p in board["panels"]:
        yield p
        yield from p.get("panels", [])


def test_both_dashboards_exist():
    assert set(boards()) == {"antirelou-overview.json", "antirelou-tenant.json"}


def test_dashboards_are_the_generators_output():
    gen = generator("dashboards")
    for name, build in gen.DASHBOARDS.items():
        committed = (DEPLOY / "grafana" / name).read_text(encoding="utf-8")
        assert gen.render(build()) == committed, "run python3 deploy/grafana/dashboards.py"
        chart_copy = (CHART / "dashboards" / name).read_text(encoding="utf-8")
        assert gen.render(build(), for_chart=True) == chart_copy, "run python3 deploy/grafana/dashboards.py"
    assert {p.name for p in (CHART / "dashboards").glob("*.json")} == set(gen.DASHBOARDS)


def test_alert_rules_are_the_generators_output():
    gen = generator("alerts")
    assert ALERTS.read_text(encoding="utf-8") == gen.text_for("deploy"), "run python3 deploy/prometheus/alerts.py"
    chart_copy = (CHART / "files" / "alerts.yml").read_text(encoding="utf-8")
    assert chart_copy == gen.text_for("chart"), "run python3 deploy/prometheus/alerts.py"


def test_chart_rules_differ_from_compose_rules_only_in_the_placeholders():
    gen = generator("alerts")
    p = gen.default_params()
    chart = (CHART / "files" / "alerts.yml").read_text(encoding="utf-8")
    for placeholder, value in (("@JOB@", p.job), ("@NAMESPACE@", p.namespace), ("@REDIS_JOB@", p.redis_job),
                               ("@POD_REGEX@", p.pod_regex), ("@SILENT_WINDOW@", p.silent_window),
                               ("@RUNBOOK_URL@", p.runbook_url)):
        assert placeholder in chart
        chart = chart.replace(placeholder, value)
    assert load_yaml_text(chart) == load_yaml(ALERTS)


def load_yaml_text(text: str):
    return yaml.safe_load(text)


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_dashboard_identity_and_variables(name):
    board = boards()[name]
    assert board["uid"] == name.removesuffix(".json"), "stable uid = file name"
    assert "antirelou" in board["tags"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    names = ["datasource", "namespace", "job"] + (["tenant", "number"] if name == "antirelou-tenant.json" else [])
    assert list(variables) == names
    for v in names[1:]:
        assert variables[v]["datasource"]["uid"] == "${datasource}"
        selector = re.fullmatch(r"label_values\((.*), *\w+\)", variables[v]["definition"]).group(1)
        assert metric_names(selector) <= SERIES_NAMES
        if v != "namespace":
            assert 'namespace=~"$namespace"' in selector, f"{v} lists values of the selected namespace only"
    for v in ("namespace", "job"):
        assert variables[v]["includeAll"] and variables[v]["allValue"] == ".*"
        assert variables[v]["current"] == {"selected": True, "text": "All", "value": "$__all"}
    if name == "antirelou-tenant.json":
        assert variables["number"]["allValue"] == ".*"
    ids = [p["id"] for p in all_panels(board)]
    assert len(ids) == len(set(ids)), "panel ids are unique"


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_dashboard_rows(name):
    rows = [p["title"] for p in boards()[name]["panels"] if p["type"] == "row"]
    assert rows == ROWS


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_every_panel_queries_datasource_variable(name):
    for panel in all_panels(boards()[name]):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_panels_fit_the_grid(name):
    for panel in all_panels(boards()[name]):
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]


# Tenant dashboard panels that show the whole deployment (they say so).
DEPLOYMENT_WIDE = ("all tenants", "Redis", "Replicas up", "Process restarts")
TENANT_ONLY = ("Alerts to collectives", "OVHcloud")


def test_tenant_dashboard_filters_by_tenant_and_number():
    checked = 0
    for title, expr in dashboard_queries(boards()["antirelou-tenant.json"]):
        if any(w in title for w in DEPLOYMENT_WIDE):
            continue
        assert 'tenant="$tenant"' in expr, title
        if not title.startswith(TENANT_ONLY):
            assert 'number=~"$number"' in expr, title
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_every_dashboard_query_is_scoped_to_one_deployment(name):
    for title, expr in dashboard_queries(boards()[name]):
        text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: m.group(0) if "$" in m.group(0) else '""', expr)
        found = selectors(text)
        assert found, f"{title}: no selector in {expr}"
        for metric, matchers in found:
            assert matchers.startswith('namespace=~"$namespace", job=~"$job"'), f"{title}: {metric}{{{matchers}}}"
        assert len(found) == len(re.findall(r"\b(?:antirelou_[a-z_]+|up|process_[a-z_]+)\b", text)), (
            f"{title}: a metric without the deployment's selector in {expr}")


MONEY_METRICS = ("antirelou_spend_total", "antirelou_budget_remaining", "antirelou_budget_cap")


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_money_panels_show_the_currency(name):
    money = 0
    for panel in all_panels(boards()[name]):
        exprs = [t["expr"] for t in panel.get("targets", [])]
        if not any(m in e for e in exprs for m in MONEY_METRICS) or panel["fieldConfig"]["defaults"]["unit"] == (
                "percentunit"):
            continue
        assert panel["fieldConfig"]["defaults"]["unit"] == "currencyEUR", panel["title"]
        money += 1
    assert money >= 3


def test_currency_units_follow_the_ledger_currency():
    gen = generator("dashboards")
    assert gen.money_unit("EUR") == "currencyEUR"
    assert gen.money_unit("CHF") == "currencyCHF"
    assert gen.money_unit("XOF") == "suffix: XOF"
    text = gen.render(gen.overview(), currency="USD")
    assert '"unit": "currencyUSD"' in text and "@MONEY_UNIT@" not in text


def test_dashboards_show_every_silent_failure():
    """The panels the issue asked for exist, on both dashboards."""
    for name, board in boards().items():
        exprs = " ".join(e for _, e in dashboard_queries(board))
        for metric in ("antirelou_deferred_total", "antirelou_deferred_pending", "antirelou_poller_up",
                       "antirelou_poller_polls_total", "antirelou_poller_lease_held",
                       "antirelou_ledger_redis_used_memory_bytes", "antirelou_ledger_redis_evicted_keys",
                       "antirelou_alert_webhooks_total", "up", "process_start_time_seconds"):
            assert re.search(rf"\b{metric}\b", exprs), f"{name} has no panel on {metric}"
        assert re.search(r"sum by \((tenant, number|number), reason\) \(rate\(antirelou_webhook_rejected_total", exprs), (
            f"{name}: rejections by tenant/number")


def rule_selectors_ok(metric: str, matchers: str) -> str | None:
    """None if the selector is scoped to the deployment, else what is wrong."""
    if metric in KUBE_STATE_METRICS:
        ok = matchers.startswith('namespace="antirelou", pod=~"')
    elif metric in REDIS_EXPORTER:
        ok = matchers.startswith('job="antirelou-redis", namespace="antirelou"')
    else:
        ok = matchers.startswith('job="antirelou", namespace="antirelou"')
    return None if ok else f"{metric}{{{matchers}}}"


def every_rule():
    return [r for g in load_yaml(ALERTS)["groups"] for r in g["rules"]]


@pytest.mark.parametrize("rule", every_rule(), ids=lambda r: r.get("alert") or r["record"])
def test_every_rule_selects_one_deployment(rule):
    expr = rule["expr"]
    found = selectors(expr)
    assert found
    problems = [p for p in (rule_selectors_ok(m, s) for m, s in found) if p]
    assert not problems, problems
    used = metric_names(expr)
    assert used <= {m for m, _ in found}, f"metrics read without a selector: {used - {m for m, _ in found}}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_keeps_namespace_and_job(rule):
    """Aggregations group by namespace and job (or namespace and pod for
    kube-state-metrics): an alert says which deployment it is about."""
    for clause in re.findall(r"\b(?:by|on) \(([^)]*)\)", rule["expr"]):
        labels = {x.strip() for x in clause.split(",")}
        assert "namespace" in labels, f"{rule['alert']}: grouping ({clause}) drops the namespace"
        assert "job" in labels or "pod" in labels or labels == {"namespace"}, (
            f"{rule['alert']}: grouping ({clause}) drops the job")


def every_expression():
    out = []
    for name, board in boards().items():
        out += [(f"{name}: {title}", expr) for title, expr in dashboard_queries(board)]
    out += [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()]
    return out


@pytest.mark.parametrize("where, expr", every_expression(), ids=[w for w, _ in every_expression()])
def test_queries_use_only_exported_metrics(where, expr):
    used = metric_names(expr)
    assert used, f"{where}: no metric found in {expr!r}"
    unknown = used - SERIES_NAMES
    assert not unknown, f"{where}: unknown metric(s) {unknown} in {expr!r}"


def test_metric_name_extraction_catches_typos():
    assert metric_names('sum by (tenant) (rate(antirelou_inbound_totl{outcome="replied"}[5m]))') == {
        "antirelou_inbound_totl"}
    assert metric_names("histogram_quantile(0.99, sum by (le) (rate(antirelou_decision_duration_seconds_bucket"
                        "[$__rate_interval])))") == {"antirelou_decision_duration_seconds_bucket"}


def test_promtool_checks_the_alert_rules():
    done = subprocess.run([tool("promtool"), "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_rules()) + len(RECORDED)} rules found" in done.stdout
    assert {r["record"] for r in every_rule() if "record" in r} == RECORDED


def test_promtool_parses_every_dashboard_query(tmp_path):
    """Each panel query, as Grafana sends it, becomes a recording rule that
    promtool must parse."""
    rules = []
    for i, (where, expr) in enumerate(every_expression()):
        if where.startswith("alert"):
            continue
        rules.append({"record": f"antirelou:dashboard_query:{i}",
                      "expr": grafana_to_promql(expr, tenant="paris", number="\\\\+33612345678")})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_checks_the_compose_prometheus_config():
    config = DEPLOY / "prometheus" / "prometheus.yml"
    done = subprocess.run([tool("promtool"), "check", "config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


REQUIRED_ALERTS = {
    # every way to go silent
    "AntirelouTenantSilent", "AntirelouNumberSilent", "AntirelouDown", "AntirelouReplicaDown",
    "AntirelouRestarted", "AntirelouCrashLooping", "AntirelouAlertWebhookFailing", "AntirelouDeferredSendFailing",
    "AntirelouPollerDown", "AntirelouRedisMemoryHigh", "AntirelouRedisFull", "AntirelouRedisEvicting",
    "AntirelouLedgerErrors", "AntirelouLedgerDown",
    # money and floods
    "AntirelouBudgetNearCap", "AntirelouBudgetCapReached", "AntirelouDeploymentBudgetExhausted",
    "AntirelouShieldActive", "AntirelouWebhookRejectionSpike",
    # the engine
    "AntirelouDecisionLatencyHigh", "AntirelouActorRestarts", "AntirelouMailboxFull",
}


def test_alerts_cover_the_issue():
    names = [r["alert"] for r in alert_rules()]
    assert REQUIRED_ALERTS <= set(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_is_well_formed(rule):
    assert re.fullmatch(r"Antirelou[A-Z][A-Za-z0-9]+", rule["alert"])
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    ann = rule["annotations"]
    assert ann["summary"].strip() and ann["description"].strip()
    version = load_yaml(CHART / "Chart.yaml")["appVersion"]
    home = load_yaml(CHART / "Chart.yaml")["home"]
    assert ann["runbook_url"] == f"{home}/blob/v{version}/docs/operations.md#{rule['alert'].lower()}"
    assert re.fullmatch(r"\d+[smh]", rule["for"])


def test_runbook_links_point_at_the_projects_repository():
    assert generator("alerts").REPOSITORY == load_yaml(CHART / "Chart.yaml")["home"]


def markdown_anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces to '-'."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_alert_has_a_runbook_section():
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    anchors = markdown_anchors(text)
    for rule in alert_rules():
        anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
        assert anchor in anchors, f"docs/operations.md has no section '### {rule['alert']}'"
        section = text.split(f"### {rule['alert']}", 1)[1].split("\n### ", 1)[0]
        for part in ("**What it means.**", "**How to check.**", "**What to do.**"):
            assert part in section, f"{rule['alert']}: no {part}"


def test_operations_guide_links_reach_real_sections():
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    anchors = markdown_anchors(text)
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(links) > 20
    missing = sorted({link for link in links if link not in anchors})
    assert not missing, f"docs/operations.md links to missing sections: {missing}"


def test_operations_guide_covers_deployments_and_durability():
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for needle in ("helm install", "ledger.backend=redis", "docker compose", "appendfsync",
                   "antirelou ledger entries --format csv", "Upgrading"):
        assert needle in text, needle


def test_alert_for_durations_are_deliberate():
    durations = {r["alert"]: r["for"] for r in alert_rules()}
    # A restart or evictions are facts: at once. A silent number waits a
    # little (a pending alert resolves if a webhook gets through); noisy
    # signals wait longer; no money alert pages.
    assert durations["AntirelouRestarted"] == durations["AntirelouRedisEvicting"] == "0m"
    assert durations["AntirelouTenantSilent"] == durations["AntirelouNumberSilent"] == "5m"
    assert durations["AntirelouDecisionLatencyHigh"] in {"5m", "10m", "15m"}
    assert durations["AntirelouBudgetNearCap"] == "15m"
