"""The Helm chart, rendered by Helm's own engine (helm-python-sdk) for every
ci/*-values.yaml, checked by `helm lint`, validated against the Kubernetes
schemas (kubernetes-validate) and by `antirelou check-config` on the
ConfigMap it renders."""

from __future__ import annotations

import copy
import json
import re
import tomllib

import helm_python
import kubernetes_validate
import pytest
import yaml

from conftest import (
    ALERTS, CHART, CI_VALUES, DEPLOY, FIXTURES, NAMESPACE, RELEASE, ROOT, by_kind, check_config,
    load_yaml, manifests, one, render, settings_toml,
)

# The oldest Kubernetes version still commonly run, and the newest the
# validator knows.
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Custom resources of the Prometheus Operator: no schema in
# kubernetes-validate; test_prometheus_operator_resources checks them.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

ids = [p.name.removesuffix("-values.yaml") for p in CI_VALUES]
ci_values = pytest.mark.parametrize("values_file", CI_VALUES, ids=ids)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    """ci values name -> manifests (rendered once per module)."""
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


# ------------------------------------------------------------------ render

def test_ci_values_cover_every_shape():
    assert {p.name for p in CI_VALUES} >= {
        "embedded-values.yaml", "redis-external-values.yaml",
        "redis-bundled-values.yaml", "all-enabled-values.yaml",
    }
    # Values that must fail never sit in ci/ (CI renders every file there).
    for p in CI_VALUES:
        assert "replicas" not in p.name or "embedded" not in p.name


@pytest.mark.parametrize("values_file", [None, *CI_VALUES], ids=["default", *ids])
def test_helm_lint_finds_nothing(values_file):
    values = load_yaml(values_file) if values_file else None
    report = helm_python.lint(str(CHART), values, strict=True, namespace=NAMESPACE, kube_version="v1.30.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not problems and not report["errors"], json.dumps(report, indent=2)


@ci_values
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_manifest_is_valid_kubernetes(values_file, kube_version, rendered):
    docs = rendered[values_file.name]
    assert docs
    checked = 0
    for doc in docs:
        if doc["kind"] in CRD_KINDS:
            continue
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{values_file.name}: {name} is not valid for Kubernetes {kube_version}: {e}")
        checked += 1
    assert checked >= 5


@ci_values
def test_every_object_is_named_for_the_release_in_its_namespace(values_file, rendered):
    for doc in rendered[values_file.name]:
        meta = doc["metadata"]
        assert meta["name"].startswith(f"{RELEASE}-antirelou"), meta["name"]
        if doc["kind"] not in CLUSTER_SCOPED:
            assert meta.get("namespace") == NAMESPACE, f"{doc['kind']}/{meta['name']}"
        assert len(meta["name"]) <= 63
        assert meta["labels"]["app.kubernetes.io/instance"] == RELEASE


def test_default_values_render():
    docs = manifests(render(None))
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ConfigMap", "PersistentVolumeClaim"}


# ------------------------------------------------------- values that fail

@pytest.mark.parametrize(
    "fixture, message",
    [
        ("embedded-replicas-values.yaml", "replicaCount=3"),
        ("embedded-autoscaling-values.yaml", "autoscaling.enabled must be false"),
    ],
)
def test_embedded_ledger_refuses_several_replicas(fixture, message):
    with pytest.raises(helm_python.HelmError) as failure:
        render(load_yaml(FIXTURES / fixture))
    text = str(failure.value)
    assert "ledger.backend=embedded" in text and message in text, text
    assert "ledger.backend=redis" in text, "the message says what to do instead"


@pytest.mark.parametrize(
    "values, message",
    [
        ({"persistence": {"enabled": False}}, "needs persistence.enabled=true"),
        ({"ledger": {"backend": "redis"}}, "ledger.backend=redis needs a Redis"),
        ({"ledger": {"backend": "redis", "redisUrl": "redis://r:6379/0"}, "redis": {"enabled": True}},
         "not both"),
        ({"redis": {"enabled": True}}, "ledger.backend=embedded would not use"),
        ({"terminationGracePeriodSeconds": 20}, "terminationGracePeriodSeconds=20 is too short"),
        # 10 s preStop + 25 s in-flight + 10 s ledger flush: 45 is not enough.
        ({"terminationGracePeriodSeconds": 45}, "flushes the ledger for up to 10 s; set it above 45"),
        ({"ports": {"http": 8080, "admin": 8080, "metrics": 9090}}, "must differ"),
        ({"redis": {"resources": {"limits": {"memory": "32Mi"}}}, "ledger": {"backend": "redis"},
          "persistence": {"enabled": False}} | {"redis": {"enabled": True, "auth": {"password": "p4ss"},
                                                          "resources": {"limits": {"memory": "32Mi"}}}},
         "below 64Mi"),
        ({"secrets": {"ANTIRELOU_SENDER_KEY": "0123456789abcdef0123456789abcde"}},
         "secrets.ANTIRELOU_SENDER_KEY (config.privacy.sender_key) is 31 bytes: it must be at least 32"),
        ({"secrets": {"ANTIRELOU_SEALING_KEY": "abababababababababababababababab"}},
         "secrets.ANTIRELOU_SEALING_KEY (config.privacy.sealing_key) has fewer than 8 distinct characters"),
        ({"config": {"privacy": {"sealing_key": None}}}, "config.privacy.sealing_key is required"),
    ],
    ids=["embedded-without-volume", "redis-without-redis", "two-redises", "unused-redis", "short-grace",
         "grace-equal-to-the-shutdown", "one-port-twice", "redis-too-small", "short-sender-key",
         "monotonous-sealing-key", "no-sealing-key"],
)
def test_contradictory_values_fail_with_a_clear_message(values, message):
    with pytest.raises(helm_python.HelmError) as failure:
        render(values)
    assert message in str(failure.value)


@pytest.mark.parametrize(
    "values",
    [
        {"replicas": 3},
        {"ledger": {"backend": "sqlite"}},
        {"config": {"tenants": [{"id": "x", "provider": {"kind": "twilio", "account_sid": "AC1", "auth_token": "t"},
                                 "numbers": []}]}},
        {"config": {"tenants": [{"id": "x", "provider": {
            "kind": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": {"env": "T"}},
            "numbers": [{"number": "+33612345678", "reply": "r", "price_per_segment": "0.08",
                         "daly_cap": "1.00"}]}]}},
        {"config": {"ledger": {"monthly_cap": 500}}},
        {"redis": {"auth": {"password": "has/slash@"}}},
        {"redis": {"image": {"tag": "7.2"}}},
        {"redis": {"maxmemoryPercent": 80}},
        {"redis": {"maxmemory": "200mb"}},
        {"networkPolicy": {"ingressFrom": []}},
        {"containerPort": 8080},
        {"config": {"privacy": {"sender_key": "too-short-to-be-a-key"}}},
    ],
    ids=["typo-top-level", "unknown-backend", "bad-account-sid", "typo-in-number", "money-not-a-string",
         "password-not-url-safe", "floating-redis-tag", "no-headroom-for-the-fork", "old-maxmemory-key",
         "old-ingressFrom-key", "old-containerPort-key", "literal-short-key"],
)
def test_schema_refuses_mistakes(values):
    with pytest.raises(helm_python.HelmValuesError):
        render(values)


# ------------------------------------------------------------ ConfigMap

def expected_settings(values_file) -> dict:
    """What the ConfigMap's TOML must say: values.yaml's config merged with
    the ci file's, plus the keys the chart owns."""
    defaults = load_yaml(CHART / "values.yaml")
    values = merge_helm(defaults, load_yaml(values_file) if values_file else {})
    cfg = drop_nulls(values["config"])
    ports = values["ports"]
    cfg.setdefault("server", {}).update(listen=f"0.0.0.0:{ports['http']}", admin_listen=f"0.0.0.0:{ports['admin']}",
                                        metrics_listen=f"0.0.0.0:{ports['metrics']}")
    if values["ingress"]["enabled"] and not cfg["server"].get("public_url"):
        cfg["server"]["public_url"] = "https://" + values["ingress"]["hosts"][0]["host"]
    ledger = cfg.setdefault("ledger", {})
    ledger["backend"] = values["ledger"]["backend"]
    if values["ledger"]["backend"] == "embedded":
        ledger["path"] = f"{values['dataDir']}/ledger.sqlite3"
    elif values["redis"]["enabled"]:
        ledger["redis_url"] = f"redis://{RELEASE}-antirelou-redis:{values['redis']['port']}/0"
    else:
        ledger["redis_url"] = values["ledger"]["redisUrl"]
    return cfg


@pytest.mark.parametrize("values_file", [None, *CI_VALUES], ids=["default", *ids])
def test_configmap_is_the_config_values_as_toml(values_file):
    docs = manifests(render(load_yaml(values_file) if values_file else None))
    text = settings_toml(docs)
    parsed = tomllib.loads(text)
    assert parsed == expected_settings(values_file)
    # integers stay integers (Helm's own toToml would write 30.0)
    assert not re.search(r"= \d+\.0\b", text), text


def test_toml_rendering_keeps_types_and_escapes():
    tricky = {
        "server": {"public_url": "https://x.example.org", "decision_timeout_ms": 1500, "mailbox_capacity": 1000000},
        "ledger": {"monthly_cap": "1000000.25"},
        # Helm merges maps: replacing values.yaml's { env } by { file } needs env: null.
        "privacy": {"sender_key": {"env": None, "file": "/run/secrets/key"}},
        "tenants": [{
            "id": "t-1",
            "blocklist": [],
            "provider": {"kind": "twilio", "account_sid": "AC" + "f" * 32, "auth_token": "lit\"eral\\tok"},
            "numbers": [
                {"number": "+33612345678", "paused": False, "price_per_segment": "0.08",
                 "reply": "Ligne 1\nNon, c'est non. « ê » <b> & 🚫 \t fin",
                 "allowed_countries": ["*"], "reply_once_per": 86400,
                 "shield": {"trigger_per_minute": 60, "hold": "1h30m"}},
                {"number": "+32470123456", "paused": True, "price_per_segment": "0.09", "reply": "x"},
            ],
        }],
    }
    docs = manifests(render({"config": tricky}))
    parsed = tomllib.loads(settings_toml(docs))
    want = copy.deepcopy(tricky)
    base = load_yaml(CHART / "values.yaml")["config"]
    want = drop_nulls(merge_helm(base, want))
    want["server"].update(listen="0.0.0.0:8080", admin_listen="0.0.0.0:8081", metrics_listen="0.0.0.0:9090")
    want["ledger"].update(backend="embedded", path="/var/lib/antirelou/ledger.sqlite3")
    assert parsed == want


@pytest.mark.parametrize("values_file", [None, *CI_VALUES], ids=["default", *ids])
def test_configmap_passes_check_config(values_file, binary, tmp_path):
    docs = manifests(render(load_yaml(values_file) if values_file else None))
    text = settings_toml(docs)
    # The embedded ledger's directory exists in the pod (a volume), not here.
    extra = {"ANTIRELOU__LEDGER__PATH": str(tmp_path / "ledger.sqlite3")} if "embedded" in text else {}
    done = check_config(binary, text, tmp_path, extra)
    assert done.returncode == 0, f"check-config refused the ConfigMap:\n{text}\n{done.stdout}\n{done.stderr}"
    for number in re.findall(r'number = "(\+\d+)"', text):
        assert number in done.stdout, f"check-config does not list {number}:\n{done.stdout}"


def test_check_config_refuses_a_broken_configmap(binary, tmp_path):
    """The check above would be worthless if check-config accepted anything."""
    docs = manifests(render(None))
    text = settings_toml(docs).replace('price_per_segment = "0.08"', 'price_per_segment = "eight cents"')
    done = check_config(binary, text, tmp_path, {"ANTIRELOU__LEDGER__PATH": str(tmp_path / "l.sqlite3")})
    assert done.returncode == 2, done
    assert "price_per_segment" in done.stdout + done.stderr


# ------------------------------------------------------------- workload

@ci_values
def test_pods_run_locked_down(values_file, rendered):
    docs = rendered[values_file.name]
    pod = workload(docs)["spec"]["template"]["spec"]
    c = container(docs)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert {"/etc/antirelou", "/var/lib/antirelou", "/tmp"} <= mounts
    assert c["args"] == ["serve", "--config", "/etc/antirelou/antirelou.toml"]
    assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
    for sts in by_kind(docs, "StatefulSet"):
        spec = sts["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


@ci_values
def test_probes_and_draining_never_drop_webhooks(values_file, rendered):
    docs = rendered[values_file.name]
    c = container(docs)
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["port"] == "http"
    sleep = c["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep" and int(sleep[1]) > 0
    pod = workload(docs)["spec"]["template"]["spec"]
    shutdown = tomllib.loads(settings_toml(docs))["server"].get("shutdown_timeout_seconds", 30)
    assert pod["terminationGracePeriodSeconds"] > int(sleep[1]) + shutdown + ledger_flush_timeout_seconds()
    strategy = workload(docs)["spec"]["strategy"]
    if tomllib.loads(settings_toml(docs))["ledger"]["backend"] == "embedded":
        assert strategy == {"type": "Recreate"}
    else:
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0


@ci_values
def test_pods_roll_when_the_config_changes(values_file, rendered):
    annotations = workload(rendered[values_file.name])["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/config"])
    if load_yaml(values_file).get("secrets") and not load_yaml(values_file).get("existingSecret"):
        assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/secret"])
    values = load_yaml(values_file)
    changed = copy.deepcopy(values)
    changed["config"]["tenants"][0]["numbers"][0]["paused"] = True
    again = workload(manifests(render(changed)))["spec"]["template"]["metadata"]["annotations"]
    assert again["checksum/config"] != annotations["checksum/config"]


def ledger_flush_timeout_seconds() -> int:
    """How long `antirelou serve` waits for the ledger flush after the server
    stopped, read from the binary's source (crates/web/src/startup.rs), so
    that the chart's grace period follows the binary."""
    source = (ROOT / "crates" / "web" / "src" / "startup.rs").read_text()
    found = re.findall(r"timeout\(Duration::from_secs\((\d+)\), flush\)", source) or re.findall(
        r"LEDGER_FLUSH_TIMEOUT\w*: \w+ = (?:Duration::from_secs\()?(\d+)", source)
    assert len(found) == 1, "the ledger flush timeout of crates/web/src/startup.rs moved: update this test"
    return int(found[0])


def test_chart_grace_check_uses_the_binarys_flush_timeout():
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert f"{{{{- $flush := {ledger_flush_timeout_seconds()} }}}}" in helpers


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


def redis_values(**auth) -> dict:
    return {"ledger": {"backend": "redis"}, "persistence": {"enabled": False},
            "redis": {"enabled": True, "auth": auth}}


def test_generated_redis_password_is_refused_without_a_cluster():
    """helm template / Argo CD cannot find the Secret of an earlier render: a
    new password each time would lock antirelou out, so the render fails and
    says what to do."""
    for _ in range(2):
        with pytest.raises(helm_python.HelmError) as failure:
            render(redis_values())
        text = str(failure.value)
        assert "redis.auth.existingSecret" in text and "each render would make a new one" in text


def test_redis_password_is_the_same_at_every_render():
    first, second = (one(manifests(render(redis_values(password="p4ssw0rd"))), "Secret", "-redis") for _ in range(2))
    assert first["data"]["redis-password"] == second["data"]["redis-password"]
    assert first["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_existing_redis_secret_is_used_as_it_is(rendered):
    docs = rendered["redis-bundled-values.yaml"]
    assert not [s for s in by_kind(docs, "Secret") if s["metadata"]["name"].endswith("-redis")]
    env = {e["name"]: e for e in container(docs)["env"]}
    assert env["ANTIRELOU_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "antirelou-redis-auth", "key": "redis-password"}
    redis = one(docs, "StatefulSet", "-redis")["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"]: e for e in redis["env"]}["REDISCLI_AUTH"]["valueFrom"]["secretKeyRef"]["name"] == (
        "antirelou-redis-auth")


def pod_annotations(docs, kind, suffix=""):
    return one(docs, kind, suffix)["spec"]["template"]["metadata"]["annotations"]


def test_redis_credentials_roll_app_and_redis_together():
    docs = manifests(render(redis_values(password="p4ssw0rd")))
    app, redis = pod_annotations(docs, "Deployment"), pod_annotations(docs, "StatefulSet", "-redis")
    assert re.fullmatch(r"[0-9a-f]{64}", app["checksum/redis"])
    assert app["checksum/redis"] == redis["checksum/redis"]
    other = manifests(render(redis_values(password="an0ther")))
    assert pod_annotations(other, "Deployment")["checksum/redis"] != app["checksum/redis"]
    assert pod_annotations(other, "StatefulSet", "-redis")["checksum/redis"] != redis["checksum/redis"]
    assert pod_annotations(other, "Deployment")["checksum/config"] == app["checksum/config"]
    moved = manifests(render(redis_values(existingSecret="elsewhere")))
    assert pod_annotations(moved, "Deployment")["checksum/redis"] != app["checksum/redis"]


def test_redis_memory_leaves_room_for_the_aof_rewrite(rendered):
    for name in ("redis-bundled-values.yaml", "all-enabled-values.yaml"):
        sts = one(rendered[name], "StatefulSet", "-redis")
        redis = sts["spec"]["template"]["spec"]["containers"][0]
        args = " ".join(redis["args"])
        maxmemory = int(re.search(r"--maxmemory (\d+)\b", args).group(1))
        assert redis["resources"]["limits"]["memory"] == "512Mi"
        assert maxmemory == 512 * 1024 * 1024 // 2, "maxmemory is half the container limit"
        assert "--maxmemory-policy noeviction" in args
    docs = manifests(render(redis_values(password="p4ssw0rd") | {"redis": {
        "enabled": True, "auth": {"password": "p4ssw0rd"}, "maxmemoryPercent": 40,
        "resources": {"limits": {"memory": "1Gi"}}}}))
    args = " ".join(one(docs, "StatefulSet", "-redis")["spec"]["template"]["spec"]["containers"][0]["args"])
    assert f"--maxmemory {1024 ** 3 * 40 // 100} " in args + " "


def test_redis_image_is_pinned_and_has_a_disruption_budget(rendered):
    docs = rendered["redis-bundled-values.yaml"]
    image = one(docs, "StatefulSet", "-redis")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+", image), image
    pdb = one(docs, "PodDisruptionBudget", "-redis")
    assert pdb["spec"]["maxUnavailable"] == 0
    sts = one(docs, "StatefulSet", "-redis")
    assert pdb["spec"]["selector"]["matchLabels"] == sts["spec"]["selector"]["matchLabels"]


def test_redis_exporter_sidecar(rendered):
    docs = rendered["all-enabled-values.yaml"]
    pod = one(docs, "StatefulSet", "-redis")["spec"]["template"]["spec"]
    exporter = next(c for c in pod["containers"] if c["name"] == "exporter")
    assert re.fullmatch(r"oliver006/redis_exporter:v\d+\.\d+\.\d+", exporter["image"])
    env = {e["name"]: e for e in exporter["env"]}
    assert env["REDIS_ADDR"]["value"] == "redis://localhost:6379"
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "redis-password"
    assert exporter["ports"] == [{"name": "metrics", "containerPort": 9121, "protocol": "TCP"}]
    assert exporter["securityContext"]["readOnlyRootFilesystem"] is True
    service = one(docs, "Service", "-redis")
    assert {p["name"] for p in service["spec"]["ports"]} == {"redis", "metrics"}
    monitor = one(docs, "ServiceMonitor", "-redis")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    bundled = rendered["redis-bundled-values.yaml"]
    assert [c["name"] for c in one(bundled, "StatefulSet", "-redis")["spec"]["template"]["spec"]["containers"]] == [
        "redis"], "the exporter is optional and off by default"


def test_every_config_carries_strong_privacy_keys(rendered):
    for name, docs in rendered.items():
        privacy = tomllib.loads(settings_toml(docs))["privacy"]
        assert set(privacy) == {"sender_key", "sealing_key"}, name
        secret = next((s for s in by_kind(docs, "Secret") if not s["metadata"]["name"].endswith("-redis")), None)
        if secret is None:
            continue
        import base64
        for key in privacy.values():
            value = base64.b64decode(secret["data"][key["env"]]).decode()
            assert len(value) >= 32 and len(set(value)) >= 8, (name, key)


def test_embedded_ledger_runs_one_pod_on_a_volume(rendered):
    docs = rendered["embedded-values.yaml"]
    deploy = workload(docs)
    assert deploy["spec"]["replicas"] == 1
    pvc = one(docs, "PersistentVolumeClaim")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert pvc["spec"]["storageClassName"] == "standard"
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    volumes = {v["name"]: v for v in deploy["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert not by_kind(docs, "StatefulSet") and not by_kind(docs, "HorizontalPodAutoscaler")


def test_external_redis_runs_replicas_without_a_volume(rendered):
    docs = rendered["redis-external-values.yaml"]
    assert workload(docs)["spec"]["replicas"] == 2
    assert not by_kind(docs, "PersistentVolumeClaim") and not by_kind(docs, "StatefulSet")
    assert not by_kind(docs, "Secret"), "existingSecret: the chart creates no Secret"
    env_from = container(docs)["envFrom"]
    assert env_from == [{"secretRef": {"name": "antirelou-secrets"}}]
    ledger = tomllib.loads(settings_toml(docs))["ledger"]
    assert ledger["redis_url"] == "redis://ledger-redis.databases.svc:6379/0"
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_bundled_redis_is_durable_and_private(rendered):
    docs = rendered["redis-bundled-values.yaml"]
    assert workload(docs)["spec"]["replicas"] == 3
    sts = one(docs, "StatefulSet", "-redis")
    assert sts["spec"]["replicas"] == 1
    redis = sts["spec"]["template"]["spec"]["containers"][0]
    command = " ".join(redis["command"] + redis["args"])
    for flag in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction",
                 "--dir /data", '--requirepass "$REDISCLI_AUTH"'):
        assert flag in command, command
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert {m["mountPath"] for m in redis["volumeMounts"]} >= {"/data"}
    env = {e["name"]: e for e in container(docs)["env"]}
    assert env["ANTIRELOU_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "redis-password"
    assert env["ANTIRELOU__LEDGER__REDIS_URL"]["value"] == (
        f"redis://:$(ANTIRELOU_REDIS_PASSWORD)@{RELEASE}-antirelou-redis:6379/0")
    names = [e["name"] for e in container(docs)["env"]]
    assert names.index("ANTIRELOU_REDIS_PASSWORD") < names.index("ANTIRELOU__LEDGER__REDIS_URL")
    service = one(docs, "Service", "-redis")
    assert service["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]
    assert "password" not in settings_toml(docs)


def test_secrets_reach_the_pod_as_environment(rendered):
    docs = rendered["embedded-values.yaml"]
    secret = one(docs, "Secret")
    assert set(secret["data"]) == {"ANTIRELOU_SENDER_KEY", "ANTIRELOU_SEALING_KEY", "TWILIO_AUTH_TOKEN_PARIS"}
    assert container(docs)["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
    text = settings_toml(docs)
    assert 'sender_key = { env = "ANTIRELOU_SENDER_KEY" }' in text
    assert 'sealing_key = { env = "ANTIRELOU_SEALING_KEY" }' in text
    assert 'auth_token = { env = "TWILIO_AUTH_TOKEN_PARIS" }' in text
    for value in load_yaml(CI_VALUES[0].parent / "embedded-values.yaml")["secrets"].values():
        assert value not in text


def test_selectors_match_the_pods(rendered):
    for name, docs in rendered.items():
        pod_labels = workload(docs)["spec"]["template"]["metadata"]["labels"]
        service = one(docs, "Service", f"{RELEASE}-antirelou")
        assert service["spec"]["selector"].items() <= pod_labels.items(), name
        for pdb in by_kind(docs, "PodDisruptionBudget"):
            if pdb["metadata"]["name"] == f"{RELEASE}-antirelou":
                assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        for sts in by_kind(docs, "StatefulSet"):
            redis_labels = sts["spec"]["template"]["metadata"]["labels"]
            for pdb in by_kind(docs, "PodDisruptionBudget"):
                if pdb["metadata"]["name"] == f"{RELEASE}-antirelou-redis":
                    assert pdb["spec"]["selector"]["matchLabels"].items() <= redis_labels.items()
        for np in by_kind(docs, "NetworkPolicy"):
            if np["metadata"]["name"] == f"{RELEASE}-antirelou":
                assert np["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


# ------------------------------------------------------ everything enabled

def test_all_enabled_renders_every_optional_object(rendered):
    docs = rendered["all-enabled-values.yaml"]
    kinds = {d["kind"] for d in docs}
    assert kinds >= {"Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount", "Ingress",
                     "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "StatefulSet",
                     "ServiceMonitor", "PrometheusRule"}
    assert "replicas" not in workload(docs)["spec"], "the HPA owns the replica count"
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == workload(docs)["metadata"]["name"]
    ingress = one(docs, "Ingress")
    paths = [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert paths == ["/webhooks"], "/metrics and health checks stay private"
    assert tomllib.loads(settings_toml(docs))["server"]["public_url"] == "https://sms.nantes.example.org"
    policies = {p["metadata"]["name"]: p for p in by_kind(docs, "NetworkPolicy")}
    redis_policy = policies[f"{RELEASE}-antirelou-redis"]
    allowed = redis_policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert redis_policy["spec"]["ingress"][0]["ports"] == [{"port": "redis", "protocol": "TCP"}]
    assert allowed.items() <= workload(docs)["spec"]["template"]["metadata"]["labels"].items()


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


RAW_TABLES = {
    # struct in crates/settings/src/raw.rs -> its place in values.schema.json
    "RawSettings": ("config",),
    "RawServer": ("config", "server"),
    "RawLedger": ("config", "ledger"),
    "RawPrivacy": ("config", "privacy"),
    "RawLog": ("config", "log"),
    "RawTenant": ("config", "tenants", "[]"),
    "RawProvider": ("config", "tenants", "[]", "provider", "oneOf[0]"),
    "RawNumber": ("config", "tenants", "[]", "numbers", "[]"),
    "RawShield": ("config", "tenants", "[]", "numbers", "[]", "shield"),
}


def schema_node(schema: dict, path: tuple[str, ...]) -> dict:
    node = schema
    for step in path:
        if step == "[]":
            node = node["items"]
        elif step == "oneOf[0]":
            node = node["oneOf"][0]
        else:
            node = node["properties"][step]
    return node


def test_values_schema_knows_every_settings_key():
    """The schema refuses unknown keys (a misspelled cap must not pass), so it
    must know exactly the keys the settings accept: the KEYS lists of
    crates/settings/src/raw.rs."""
    raw = CHART.parents[1] / "crates" / "settings" / "src" / "raw.rs"
    source = raw.read_text()
    schema = json.loads((CHART / "values.schema.json").read_text())
    for struct, path in RAW_TABLES.items():
        found = re.search(rf"impl {struct} \{{\s*pub\(crate\) const KEYS[^=]*=\s*&\[(.*?)\];", source, re.S)
        assert found, f"{struct}::KEYS not found in {raw}: update RAW_TABLES"
        keys = set(re.findall(r'"(\w+)"', found.group(1)))
        node = schema_node(schema, path)
        assert node.get("additionalProperties") is False, f"{path} should refuse unknown keys"
        props = set(node["properties"])
        assert keys == props, (f"{'.'.join(path)}: settings keys {sorted(keys - props)} are missing from "
                               f"values.schema.json; {sorted(props - keys)} are unknown to the settings")


def test_values_schema_is_valid_json_schema():
    import jsonschema

    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(load_yaml(CHART / "values.yaml"), schema)
    for p in CI_VALUES:
        jsonschema.validate(merge_helm(load_yaml(CHART / "values.yaml"), load_yaml(p)), schema)


def test_chart_metadata():
    chart = load_yaml(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2" and chart["name"] == "antirelou" and chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    cargo = (CHART.parents[1] / "Cargo.toml").read_text()
    workspace_version = tomllib.loads(cargo)["workspace"]["package"]["version"]
    assert chart["appVersion"] == workspace_version, "appVersion follows the workspace version"
    for name in ("_helpers.tpl", "NOTES.txt"):
        assert (CHART / "templates" / name).is_file()
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    for define in ("antirelou.name", "antirelou.fullname", "antirelou.labels", "antirelou.selectorLabels"):
        assert f'define "{define}"' in helpers
    assert "namespace: default" not in "".join(p.read_text() for p in (CHART / "templates").glob("*.yaml"))
    values = (CHART / "values.yaml").read_text()
    keys = yaml.safe_load(values)
    for key in keys:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", key), f"values key {key} is not camelCase"
