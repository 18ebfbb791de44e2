"""The Helm chart, rendered by Helm's own engine (helm-python-sdk) for every
ci/*-values.yaml, checked by `helm lint`, validated against the Kubernetes
schemas (kubernetes-validate) and by `antirelou check-config` on the
ConfigMap it renders."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tomllib

import helm_python
import kubernetes_validate
import pytest
import yaml

from conftest import (
    CHART, CI_IDS, CI_VALUES, FIXTURES, NAMESPACE, RELEASE, ROOT, by_kind, check_config, ci_values, container,
    drop_nulls, load_yaml, manifests, merge_helm, one, render, settings_toml, workload,
)

# The oldest Kubernetes version still commonly run, and the newest the
# validator knows.
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Custom resources of the Prometheus Operator: no schema in
# kubernetes-validate; test_prometheus_operator_resources checks them.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

ids = CI_IDS


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


# The tables `antirelou check-config --list-keys` names -> their place in
# values.schema.json (a provider kind's keys: its branch of `oneOf`).
SETTINGS_TABLES = {
    "": ("config",),
    "[server]": ("config", "server"),
    "[ledger]": ("config", "ledger"),
    "[privacy]": ("config", "privacy"),
    "[log]": ("config", "log"),
    "[[tenants]]": ("config", "tenants", "[]"),
    'kind = "twilio"': ("config", "tenants", "[]", "provider", "oneOf[0]"),
    'kind = "vonage"': ("config", "tenants", "[]", "provider", "oneOf[1]"),
    'kind = "plivo"': ("config", "tenants", "[]", "provider", "oneOf[2]"),
    'kind = "ovh"': ("config", "tenants", "[]", "provider", "oneOf[3]"),
    'kind = "helloasso"': ("config", "tenants", "[]", "donations", "[]", "oneOf[0]"),
    'kind = "opencollective"': ("config", "tenants", "[]", "donations", "[]", "oneOf[1]"),
    "[[tenants.numbers]]": ("config", "tenants", "[]", "numbers", "[]"),
    "shield": ("config", "tenants", "[]", "numbers", "[]", "shield"),
    "voice": ("config", "tenants", "[]", "numbers", "[]", "voice"),
    "evidence": ("config", "tenants", "[]", "evidence"),
}


def schema_node(schema: dict, path: tuple[str, ...]) -> dict:
    node = schema
    for step in path:
        if step == "[]":
            node = node["items"]
        elif step.startswith("oneOf["):
            node = node["oneOf"][int(step[len("oneOf["):-1])]
        else:
            node = node["properties"][step]
    return node


def test_values_schema_knows_every_settings_key(binary):
    """The schema refuses unknown keys (a misspelled cap must not pass), so it
    must know exactly the keys the settings accept, as the binary lists them
    (`check-config --list-keys`, read from the settings' own declarations)."""
    listed = subprocess.run([binary, "check-config", "--list-keys"], capture_output=True, text=True,
                            check=True, timeout=30).stdout
    keys: dict[str, set[str]] = {}
    for line in listed.splitlines():
        table, key = line.split("\t")
        keys.setdefault(table, set()).add(key)
    # `provider` and each `donations` entry are their kind's table; the
    # `kind` key is in every branch.
    for kind in ("twilio", "vonage", "plivo", "ovh", "helloasso", "opencollective"):
        keys[f'kind = "{kind}"'] |= {"kind"}
    unmapped = set(keys) - set(SETTINGS_TABLES) - {"provider", "donations"}
    assert not unmapped, f"tables the settings declare and the test does not map: {sorted(unmapped)}"
    schema = json.loads((CHART / "values.schema.json").read_text())
    for table, path in SETTINGS_TABLES.items():
        node = schema_node(schema, path)
        assert node.get("additionalProperties") is False, f"{path} should refuse unknown keys"
        props = set(node["properties"])
        assert keys[table] == props, (f"{'.'.join(path)}: settings keys {sorted(keys[table] - props)} are missing "
                                      f"from values.schema.json; {sorted(props - keys[table])} are unknown to the settings")


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
