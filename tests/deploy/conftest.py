"""Shared helpers of the deployment tests (tests/deploy).

Run them with tests/deploy/run.sh, which installs what they need: Python
packages from requirements.txt, Debian's `prometheus` (prometheus and
promtool) and `redis-server`, and builds the binary.

No test here may be skipped: a missing binary or tool is a failure, and a
session with any skipped test fails (pytest_sessionfinish below), so CI can
never be green without having run everything.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "antirelou"
DEPLOY = ROOT / "deploy"
DOCS = ROOT / "docs"
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))
ALERTS = DEPLOY / "prometheus" / "alerts.yml"

RELEASE = "rel"
NAMESPACE = "antirelou-test"

# The metric names the service exports (docs/metrics.md); dashboards and
# alerts may only use these. Histograms add _bucket, _sum and _count.
METRICS = {
    "antirelou_inbound_total",
    "antirelou_calls_total",
    "antirelou_spend_total",
    "antirelou_budget_remaining",
    "antirelou_budget_cap",
    "antirelou_shield_active",
    "antirelou_webhook_rejected_total",
    "antirelou_ledger_errors_total",
    "antirelou_actor_restarts_total",
    "antirelou_actor_mailbox_full_total",
    "antirelou_ledger_up",
    "antirelou_alert_webhooks_total",
    "antirelou_deferred_total",
    "antirelou_deferred_pending",
    "antirelou_poller_up",
    "antirelou_poller_polls_total",
    "antirelou_poller_lease_held",
    "antirelou_ledger_redis_used_memory_bytes",
    "antirelou_ledger_redis_maxmemory_bytes",
    "antirelou_ledger_redis_evicted_keys",
    "antirelou_numbers_configured",
    "antirelou_build_info",
    "antirelou_console_signins_total",
}
HISTOGRAMS = {"antirelou_decision_duration_seconds"}
# Prometheus's own, and the standard process collector of the binary.
STANDARD = {"up", "process_start_time_seconds", "process_resident_memory_bytes"}
# Series the rules record (deploy/prometheus/alerts.py).
RECORDED = {"antirelou:inbound_window:sum", "antirelou:webhook_rejected_window:sum",
            "antirelou:silent_numbers", "antirelou:silent_tenants"}
# Other exporters' series that the rules read when they are there.
KUBE_STATE_METRICS = {"kube_pod_container_status_restarts_total", "kube_pod_container_status_waiting_reason"}
REDIS_EXPORTER = {"redis_memory_used_bytes", "redis_memory_max_bytes", "redis_evicted_keys_total",
                  "redis_errors_total"}
SERIES_NAMES = (METRICS | STANDARD | RECORDED | KUBE_STATE_METRICS | REDIS_EXPORTER
                | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")})


def load_yaml(path: pathlib.Path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def render(values: dict | None, *, name: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, str]:
    """Renders the chart with Helm's own engine (helm-python-sdk binds Helm's
    Go SDK): template path -> text. Raises helm_python.HelmError on failure."""
    import helm_python

    with helm_python.Chart.load(str(CHART)) as chart:
        return chart.render(values, name=name, namespace=namespace, is_install=True)


def manifests(rendered: dict[str, str]) -> list[dict]:
    """Every Kubernetes object of a render (NOTES.txt excluded)."""
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append(doc)
    return docs


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict], kind: str, name_suffix: str = "") -> dict:
    found = [d for d in by_kind(docs, kind) if d["metadata"]["name"].endswith(name_suffix)]
    assert len(found) == 1, f"expected one {kind} named *{name_suffix}, found {[d['metadata']['name'] for d in found]}"
    return found[0]


def settings_toml(docs: list[dict]) -> str:
    """The antirelou.toml of the rendered ConfigMap."""
    found = [d["data"]["antirelou.toml"] for d in by_kind(docs, "ConfigMap") if "antirelou.toml" in (d.get("data") or {})]
    assert len(found) == 1, f"expected one ConfigMap with antirelou.toml, found {len(found)}"
    return found[0]


def env_names(toml_text: str) -> set[str]:
    """Names of the `{ env = "NAME" }` secrets of a settings file."""
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"env"} and isinstance(node["env"], str):
                names.add(node["env"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tomllib.loads(toml_text))
    return names


def dummy_secret_env(names: set[str]) -> dict[str, str]:
    """Plausible values for secrets: 64 hex characters each, different for
    each name (long and varied enough for privacy.sender_key and
    privacy.sealing_key: at least 32 bytes, 8 distinct characters)."""
    out = {n: hashlib.sha256(f"antirelou deploy tests {n}".encode()).hexdigest() for n in sorted(names)}
    assert all(len(set(v)) >= 8 for v in out.values())
    return out


def cargo_target_dir() -> pathlib.Path:
    """Cargo's own target directory (honours CARGO_TARGET_DIR and
    .cargo/config), as `cargo metadata` reports it."""
    done = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"cargo metadata failed:\n{done.stderr}")
    return pathlib.Path(json.loads(done.stdout)["target_directory"])


@functools.cache
def antirelou_bin() -> str:
    """The antirelou binary: $ANTIRELOU_BIN, else debug/antirelou in cargo's
    target directory. Missing or broken: the test fails (never skips)."""
    path = os.environ.get("ANTIRELOU_BIN") or str(cargo_target_dir() / "debug" / "antirelou")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"the antirelou binary {path} is not built: run tests/deploy/run.sh (it builds it) "
                    "or set ANTIRELOU_BIN")
    done = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        pytest.fail(f"{path} --help exited {done.returncode}:\n{done.stderr}")
    return path


@pytest.fixture
def binary() -> str:
    return antirelou_bin()


def pytest_sessionfinish(session, exitstatus):
    """A skipped deployment test is a failure: CI must not pass without
    running every test (ANTIRELOU_DEPLOY_ALLOW_SKIPS=1 lifts this locally)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and not os.environ.get("ANTIRELOU_DEPLOY_ALLOW_SKIPS"):
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            print(f"\nSKIPPED (fails the run): {report.nodeid}: {reason}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def check_config(binary: str, toml_text: str, tmp_path: pathlib.Path, extra_env: dict[str, str] | None = None):
    """Runs `antirelou check-config` on a settings text, with a value for
    every secret it names; returns the CompletedProcess."""
    path = tmp_path / "antirelou.toml"
    path.write_text(toml_text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIRELOU__")}
    env.update(dummy_secret_env(env_names(toml_text)))
    env.update(extra_env or {})
    return subprocess.run(
        [binary, "check-config", "--config", str(path)],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: tests/deploy/run.sh installs it")
    return path


# ---------------------------------------------------------------- PromQL

def dashboard_queries(board: dict) -> list[tuple[str, str]]:
    """(panel title, expr) of every target of every panel, rows included."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((p.get("title", "?"), t["expr"]))
            walk(p.get("panels", []))

    walk(board.get("panels", []))
    return out


def alert_rules() -> list[dict]:
    rules = []
    for group in load_yaml(ALERTS)["groups"]:
        rules.extend(r for r in group["rules"] if "alert" in r)
    return rules


PROMQL_WORDS = {
    # aggregations and keywords
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "and", "or", "unless", "offset", "atan2", "inf", "nan",
    # functions used or plausible
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "abs", "clamp",
    "clamp_min", "clamp_max", "label_replace", "label_join", "vector", "scalar", "time",
    "absent", "absent_over_time", "avg_over_time", "max_over_time", "min_over_time",
    "sum_over_time", "count_over_time", "last_over_time", "changes", "resets", "round",
    "ceil", "floor", "sort", "sort_desc", "predict_linear", "timestamp",
}


def metric_names(expr: str) -> set[str]:
    """Metric names used by a PromQL expression (static: strings, label
    matchers, grouping clauses and ranges are removed first)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", text))
    words -= {w for w in words if re.fullmatch(r"\d+(\.\d+)?(e[+-]?\d+)?", w)}
    return {w for w in words if w.lower() not in PROMQL_WORDS}


def grafana_to_promql(expr: str, *, tenant: str = ".*", number: str = ".*", rate: str = "1m",
                      namespace: str = ".*", job: str = ".*") -> str:
    """A dashboard expression as Grafana would send it to Prometheus."""
    return (
        expr.replace("$__rate_interval", rate)
        .replace("$namespace", namespace)
        .replace("$job", job)
        .replace("$__interval", "15s")
        .replace("$__range", "1h")
        .replace("$tenant", tenant)
        .replace("$number", number)
    )


def json_dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)


# ------------------------------------------------------------- the chart

CI_IDS = [p.name.removesuffix("-values.yaml") for p in CI_VALUES]
ci_values = pytest.mark.parametrize("values_file", CI_VALUES, ids=CI_IDS)


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict]]:
    """ci values name -> manifests (rendered once per session)."""
    return {p.name: manifests(render(load_yaml(p))) for p in CI_VALUES}


def workload(docs):
    return one(docs, "Deployment")


def container(docs):
    return workload(docs)["spec"]["template"]["spec"]["containers"][0]


def merge_helm(base, override):
    """Helm's values merge: maps merge deeply, anything else replaces, null deletes."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    out = copy.deepcopy(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_helm(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def drop_nulls(node):
    if isinstance(node, dict):
        return {k: drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [drop_nulls(v) for v in node]
    return node
