"""The collectives' console in a shared Kubernetes deployment:
`consoleIngress.enabled` renders an Ingress of its own for /console and /v1
on its own host, with its TLS secret and rate limits, routed to the pods'
console port (server.console_listen), where the operator token opens
nothing; the operator's admin port stays behind no ingress."""

from __future__ import annotations

import tomllib

import pytest

from conftest import RELEASE, by_kind, container, manifests, one, render, settings_toml

CONSOLE = {
    "consoleIngress": {
        "enabled": True,
        "className": "nginx",
        "host": "console.sms.example.org",
        "tls": {"secretName": "console-sms-example-org-tls"},
    },
    "networkPolicy": {
        "enabled": True,
        "consoleFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
    },
    "ingress": {"enabled": True, "hosts": [{"host": "sms.example.org", "paths": [{"path": "/webhooks", "pathType": "Prefix"}]}]},
}


@pytest.fixture(scope="module")
def docs():
    return manifests(render(CONSOLE))


def test_the_console_ingress_serves_console_and_v1_on_its_own_host_with_tls(docs):
    ingress = one(docs, "Ingress", "-console")
    assert ingress["metadata"]["name"] == f"{RELEASE}-antirelou-console"
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["console.sms.example.org"], "secretName": "console-sms-example-org-tls"}]
    (rule,) = spec["rules"]
    assert rule["host"] == "console.sms.example.org"
    routes = {(p["path"], p["pathType"]): p["backend"]["service"] for p in rule["http"]["paths"]}
    service = {"name": f"{RELEASE}-antirelou", "port": {"name": "console"}}
    assert routes == {("/console", "Prefix"): service, ("/v1", "Prefix"): service}


def test_the_console_ingress_has_its_own_rate_limits(docs):
    annotations = one(docs, "Ingress", "-console")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/limit-rps"] == "5"
    assert annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"] == "5"
    assert annotations["nginx.ingress.kubernetes.io/limit-connections"] == "20"
    webhooks = one(docs, "Ingress", f"{RELEASE}-antirelou")
    assert "nginx.ingress.kubernetes.io/limit-rps" not in (webhooks["metadata"].get("annotations") or {}), \
        "the webhooks' ingress keeps its own settings"


def test_the_console_port_is_the_console_listener_and_no_ingress_reaches_the_admin_port(docs):
    ports = {p["name"]: p["containerPort"] for p in container(docs)["ports"]}
    assert ports == {"http": 8080, "admin": 8081, "metrics": 9090, "console": 8082}
    server = tomllib.loads(settings_toml(docs))["server"]
    assert server["console_listen"] == "0.0.0.0:8082" and server["admin_listen"] == "0.0.0.0:8081"
    service = one(docs, "Service", f"{RELEASE}-antirelou")
    assert {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}["console"] == (8082, "console")
    for ingress in by_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                port = path["backend"]["service"]["port"]
                assert port.get("name") != "admin" and port.get("number") != 8081, ingress["metadata"]["name"]


def test_the_network_policy_opens_the_console_port_to_the_console_peers_only(docs):
    policy = one(docs, "NetworkPolicy", f"{RELEASE}-antirelou")
    rules = [(tuple(p["port"] for p in r["ports"]), r["from"]) for r in policy["spec"]["ingress"]]
    assert rules == [(("console",), CONSOLE["networkPolicy"]["consoleFrom"])]


def test_without_the_console_ingress_nothing_of_it_renders():
    docs = manifests(render({}))
    assert not [i for i in by_kind(docs, "Ingress") if i["metadata"]["name"].endswith("-console")]
    assert "console" not in {p["name"] for p in container(docs)["ports"]}
    assert "console_listen" not in tomllib.loads(settings_toml(docs))["server"]


def test_the_console_ingress_needs_a_host():
    import helm_python

    with pytest.raises(helm_python.HelmError) as refused:
        render({"consoleIngress": {"enabled": True}})
    assert "host" in str(refused.value)
