"""Dashboards and alert rules, checked without a running service: the JSON is
the generator's output, every panel uses $datasource and known metrics only,
promtool parses every alert and every panel query, each alert has its runbook
in docs/operations.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from conftest import (
    ALERTS, DASHBOARDS, DEPLOY, DOCS, SERIES_NAMES, alert_rules, dashboard_queries,
    grafana_to_promql, load_yaml, metric_names, tool,
)

ROWS = ["Traffic and outcomes", "Money", "Shield", "Ledger and actors", "Webhook rejections"]


def boards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DASHBOARDS}


def all_panels(board):
    for p in board["panels"]:
        yield p
        yield from p.get("panels", [])


def test_both_dashboards_exist():
    assert set(boards()) == {"antirelou-overview.json", "antirelou-tenant.json"}


def test_dashboards_are_the_generators_output(tmp_path):
    script = DEPLOY / "grafana" / "dashboards.py"
    sys.path.insert(0, str(script.parent))
    try:
        import dashboards as generator  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    for name, build in generator.DASHBOARDS.items():
        committed = (DEPLOY / "grafana" / name).read_text(encoding="utf-8")
        assert generator.render(build()) == committed, f"run python3 {script.relative_to(DEPLOY.parent)}"


@pytest.mark.parametrize("name", [p.name for p in DASHBOARDS])
def test_dashboard_identity_and_variables(name):
    board = boards()[name]
    assert board["uid"] == name.removesuffix(".json"), "stable uid = file name"
    assert "antirelou" in board["tags"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    if name == "antirelou-tenant.json":
        assert {"tenant", "number"} <= set(variables)
        for v in ("tenant", "number"):
            assert variables[v]["datasource"]["uid"] == "${datasource}"
            selector = re.fullmatch(r"label_values\((.*), *\w+\)", variables[v]["definition"]).group(1)
            assert metric_names(selector) <= SERIES_NAMES
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


def test_tenant_dashboard_filters_by_tenant_and_number():
    for title, expr in dashboard_queries(boards()["antirelou-tenant.json"]):
        per_tenant = not any(m in expr for m in (
            "antirelou_webhook_rejected_total", "antirelou_ledger_errors_total",
            "antirelou_decision_duration_seconds"))
        if per_tenant:
            assert 'tenant="$tenant"' in expr and 'number=~"$number"' in expr, title


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
    assert f"SUCCESS: {len(alert_rules())} rules found" in done.stdout


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
    "AntirelouBudgetNearCap", "AntirelouBudgetCapReached", "AntirelouShieldActive",
    "AntirelouLedgerErrors", "AntirelouLedgerDown", "AntirelouWebhookRejectionSpike",
    "AntirelouDecisionLatencyHigh", "AntirelouActorRestarts",
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
    assert ann["runbook_url"] == f"docs/operations.md#{rule['alert'].lower()}"
    assert re.fullmatch(r"\d+[smh]", rule["for"])


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
        assert "What it means" in section and "What to do" in section, rule["alert"]


def test_operations_guide_covers_deployments_and_durability():
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for needle in ("helm install", "ledger.backend=redis", "docker compose", "appendfsync",
                   "antirelou ledger entries --format csv", "Upgrading"):
        assert needle in text, needle


def test_alert_for_durations_are_deliberate():
    durations = {r["alert"]: r["for"] for r in alert_rules()}
    # Money alerts fire fast: the cap itself is the protection; people need to
    # know soon. Noisy signals wait.
    assert durations["AntirelouBudgetCapReached"] == "0m"
    assert durations["AntirelouDecisionLatencyHigh"] in {"5m", "10m", "15m"}
