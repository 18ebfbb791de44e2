"""How the chart exposes antirelou and watches it: three ports with one
NetworkPolicy rule each, the `helm test` pod, the ServiceMonitors, the
PrometheusRule scoped to the release, the dashboards ConfigMap."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import yaml

from conftest import (
    CHART, DEPLOY, NAMESPACE, RELEASE, by_kind, ci_values, container, load_yaml, manifests, one, render,
    settings_toml, tool,
)


@ci_values
def test_three_listeners_three_ports(values_file, rendered):
    docs = rendered[values_file.name]
    c = container(docs)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8080, "admin": 8081, "metrics": 9090}
    server = tomllib.loads(settings_toml(docs))["server"]
    assert (server["listen"], server["admin_listen"], server["metrics_listen"]) == (
        "0.0.0.0:8080", "0.0.0.0:8081", "0.0.0.0:9090")
    service = one(docs, "Service", f"{RELEASE}-antirelou")
    assert {p["name"]: p["targetPort"] for p in service["spec"]["ports"]} == {
        "http": "http", "admin": "admin", "metrics": "metrics"}
    for ingress in by_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                port = path["backend"]["service"]["port"]["number"]
                assert port == next(p["port"] for p in service["spec"]["ports"] if p["name"] == "http")


def test_network_policy_lets_nobody_in_by_default():
    docs = manifests(render({"networkPolicy": {"enabled": True}}))
    policy = one(docs, "NetworkPolicy", f"{RELEASE}-antirelou")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] in (None, []), "no peer configured: no pod may connect on any port"


def test_network_policy_has_one_rule_per_port(rendered):
    docs = rendered["all-enabled-values.yaml"]
    values = load_yaml(CHART / "ci" / "all-enabled-values.yaml")["networkPolicy"]
    policy = one(docs, "NetworkPolicy", f"{RELEASE}-antirelou")
    rules = {tuple(p["port"] for p in r["ports"]): r["from"] for r in policy["spec"]["ingress"]}
    test_pod = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "antirelou",
                                                "app.kubernetes.io/instance": RELEASE,
                                                "app.kubernetes.io/component": "helm-test"}}}
    assert len(policy["spec"]["ingress"]) == 4
    http_rules = [r["from"] for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == "http"]
    assert http_rules == [values["webhooksFrom"], [test_pod]]
    assert rules[("metrics",)] == values["metricsFrom"]
    assert rules[("admin",)] == values["adminFrom"]
    redis_policy = one(docs, "NetworkPolicy", "-redis")
    redis_rules = {r["ports"][0]["port"]: r["from"] for r in redis_policy["spec"]["ingress"]}
    assert redis_rules["metrics"] == values["metricsFrom"], "Prometheus reaches redis_exporter only"
    assert set(redis_rules) == {"redis", "metrics"}


def test_helm_test_pod_checks_readyz(rendered):
    for name, docs in rendered.items():
        pod = one(docs, "Pod", "-test-readyz")
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        command = pod["spec"]["containers"][0]["command"]
        assert command[0] == "wget" and command[-1] == f"http://{RELEASE}-antirelou:80/readyz", name
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", pod["spec"]["containers"][0]["image"])
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["spec"]["restartPolicy"] == "Never"


def test_dashboards_configmap_carries_the_dashboards(rendered):
    docs = rendered["all-enabled-values.yaml"]
    cm = one(docs, "ConfigMap", "-dashboards")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["annotations"]["grafana_folder"] == "antirelou"
    templates = {p.name: p.read_text(encoding="utf-8") for p in (CHART / "dashboards").glob("*.json")}
    assert set(cm["data"]) == set(templates) == {p.name for p in (DEPLOY / "grafana").glob("*.json")}
    for name, text in templates.items():
        want = (text.replace("@NAMESPACE@", NAMESPACE).replace("@JOB@", "antirelou-nantes")
                .replace("@MONEY_UNIT@", "currencyEUR"))
        assert json.loads(cm["data"][name]) == json.loads(want)
        assert "@" not in re.sub(r"[\w.+-]+@[\w.-]+", "", cm["data"][name]).replace("@sha", ""), name
        board = json.loads(cm["data"][name])
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["namespace"]["current"]["value"] == NAMESPACE
        assert variables["job"]["current"]["value"] == "antirelou-nantes"


def test_dashboards_show_money_in_the_ledger_currency():
    values = {"dashboards": {"enabled": True}, "config": {"ledger": {"currency": "CHF"}}}
    cm = one(manifests(render(values)), "ConfigMap", "-dashboards")
    text = cm["data"]["antirelou-overview.json"]
    assert '"unit": "currencyCHF"' in text and "currencyEUR" not in text
    values["config"]["ledger"]["currency"] = "XOF"
    cm = one(manifests(render(values)), "ConfigMap", "-dashboards")
    assert '"unit": "suffix: XOF"' in cm["data"]["antirelou-overview.json"]
    board = json.loads(cm["data"]["antirelou-tenant.json"])
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["job"]["current"]["value"] == f"{RELEASE}-antirelou", "default job: the Service's name"


def alerts_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("antirelou_alerts_generator", DEPLOY / "prometheus" / "alerts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prometheus_operator_resources(rendered):
    docs = rendered["all-enabled-values.yaml"]
    service = one(docs, "Service", f"{RELEASE}-antirelou")
    monitor = one(docs, "ServiceMonitor", f"{RELEASE}-antirelou")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"], "scraped on the metrics port only"
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["path"] == "/metrics"
        assert re.fullmatch(r"\d+[smh]", endpoint["interval"])

    rule = one(docs, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(rule["spec"]) == {"groups"}
    gen = alerts_module()
    params = gen.Params(
        job="antirelou-nantes", namespace=NAMESPACE, redis_job=f"{RELEASE}-antirelou-redis",
        pod_regex=f"{RELEASE}-antirelou-[a-z0-9]+-[a-z0-9]+|{RELEASE}-antirelou-redis-[0-9]+",
        silent_window="2h", runbook_url="https://git.example.org/antirelou/-/blob/main/docs/operations.md")
    assert rule["spec"]["groups"] == yaml.safe_load(gen.render(gen.rules(params), "#"))["groups"]
    for group in rule["spec"]["groups"]:
        assert set(group) <= {"name", "interval", "rules"}
        for r in group["rules"]:
            assert set(r) <= {"alert", "record", "expr", "for", "labels", "annotations", "keep_firing_for"}
            assert "@" not in r["expr"]


def test_prometheus_rule_defaults_to_the_release_and_absolute_runbooks():
    docs = manifests(render({"prometheusRule": {"enabled": True}}))
    rule = one(docs, "PrometheusRule")
    chart = load_yaml(CHART / "Chart.yaml")
    text = yaml.safe_dump(rule)
    assert f'job="{RELEASE}-antirelou", namespace="{NAMESPACE}"' in text
    assert "[1h]" in text
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            if "alert" in r:
                assert r["annotations"]["runbook_url"] == (
                    f"{chart['home']}/blob/v{chart['appVersion']}/docs/operations.md#{r['alert'].lower()}")
    staging = one(manifests(render({"prometheusRule": {"enabled": True}}, name="staging", namespace="stg")),
                  "PrometheusRule")
    assert 'job="staging-antirelou", namespace="stg"' in yaml.safe_dump(staging)
    assert f'namespace="{NAMESPACE}"' not in yaml.safe_dump(staging), "two releases never share a rule"


def test_rendered_prometheus_rule_passes_promtool(rendered, tmp_path):
    rule = one(rendered["all-enabled-values.yaml"], "PrometheusRule")
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    done = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
