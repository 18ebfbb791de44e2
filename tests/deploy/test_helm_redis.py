"""The chart's own Redis, rendered by Helm's engine: a password that never
changes between renders (or a clear refusal), credentials that roll
antirelou and Redis together, memory headroom for the AOF rewrite, a pinned
image, a disruption budget, the optional redis_exporter; and the privacy
keys every rendered configuration carries."""

from __future__ import annotations

import base64
import re
import tomllib

import helm_python
import pytest

from conftest import CHART, RELEASE, by_kind, container, load_yaml, manifests, one, render, settings_toml, workload


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
        for key in privacy.values():
            value = base64.b64decode(secret["data"][key["env"]]).decode()
            assert len(value) >= 32 and len(set(value)) >= 8, (name, key)


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


def sentinel_values(**ledger) -> dict:
    """The external Redis values with the master found through Sentinel instead of a URL."""
    values = load_yaml(CHART / "ci" / "redis-external-values.yaml")
    values["ledger"] = {"backend": "redis", "redisSentinels": ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"],
                        "redisMasterName": "antirelou", **ledger}
    return values


def test_a_redis_master_found_through_sentinel_reaches_the_settings_with_its_password_from_a_secret():
    docs = manifests(render(sentinel_values(redisPasswordSecret={"name": "ledger-redis-auth", "key": "password"})))
    ledger = tomllib.loads(settings_toml(docs))["ledger"]
    assert ledger["redis_sentinels"] == ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"]
    assert ledger["redis_master_name"] == "antirelou"
    assert "redis_url" not in ledger and "redis_password" not in ledger
    env = {e["name"]: e for e in container(docs)["env"]}
    assert env["ANTIRELOU__LEDGER__REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "ledger-redis-auth", "key": "password"}
    assert workload(docs)["spec"]["replicas"] == 2


def test_sentinels_without_a_master_name_or_beside_a_url_are_refused():
    with pytest.raises(helm_python.HelmError) as failure:
        render(sentinel_values(redisMasterName=""))
    assert "ledger.redisMasterName" in str(failure.value)
    with pytest.raises(helm_python.HelmError) as failure:
        render(sentinel_values(redisUrl="redis://ledger-redis:6379/0"))
    assert "ledger.redisSentinels" in str(failure.value) and "set it alone" in str(failure.value)
