"""The Dockerfile and the compose stack. No Docker engine runs here, so they
are checked by construction: the YAML parses, every file they mount exists,
the services are wired to each other, the image is built and run the way the
chart expects, and the compose settings pass `antirelou check-config`."""

from __future__ import annotations

import fnmatch
import pathlib
import re
import tomllib

import pytest

from conftest import DEPLOY, ROOT, check_config, load_yaml

COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


def test_compose_has_the_whole_stack(compose):
    services = compose["services"]
    assert set(services) == {"redis", "antirelou-1", "antirelou-2", "nginx", "prometheus", "grafana"}
    for image in (s.get("image") for s in services.values()):
        assert image and ":" in image and not image.endswith(":latest"), f"pin image {image}"


def test_compose_paths_exist(compose):
    """Every bind mount and the build context point at files of the repo."""
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in compose["volumes"], f"{name}: named volume {source} is not declared"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"]["dockerfile"]).resolve() == DOCKERFILE


def test_compose_replicas_share_the_redis_ledger(compose):
    one, two = compose["services"]["antirelou-1"], compose["services"]["antirelou-2"]
    assert one == two, "both replicas come from the same anchor"
    assert one["read_only"] is True and one["user"] == "10001:10001" and one["cap_drop"] == ["ALL"]
    assert one["depends_on"]["redis"]["condition"] == "service_healthy"
    mount = "./compose/antirelou.toml:/etc/antirelou/antirelou.toml:ro"
    assert mount in one["volumes"]
    settings = tomllib.loads((DEPLOY / "compose" / "antirelou.toml").read_text())
    assert settings["ledger"]["backend"] == "redis"
    assert settings["ledger"]["redis_url"].startswith("redis://redis:6379")
    assert settings["server"]["listen"].endswith(":8080")
    # secrets come from the environment, never from the file
    assert settings["privacy"]["sender_key"] == {"env": "ANTIRELOU_SENDER_KEY"}
    for name in ("ANTIRELOU_SENDER_KEY", "TWILIO_AUTH_TOKEN_DEMO"):
        assert name in one["environment"] and ":?" in one["environment"][name]
        assert re.search(rf"^{name}=", (DEPLOY / "compose" / "env.example").read_text(), re.M)


def test_compose_redis_is_durable(compose):
    command = " ".join(compose["services"]["redis"]["command"])
    for flag in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"):
        assert flag in command
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]


def test_compose_load_balancer_spreads_webhooks(compose):
    conf = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream antirelou \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server (antirelou-\d):8080", upstream) == ["antirelou-1", "antirelou-2"]
    assert "location /webhooks/" in conf and "proxy_pass http://antirelou;" in conf
    assert "/metrics" not in conf.split("location / {")[0].replace("# /metrics", ""), "metrics stay private"
    assert conf.count("{") == conf.count("}")
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in compose["services"]["nginx"]["volumes"]


def test_compose_prometheus_scrapes_both_replicas(compose):
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "antirelou")
    targets = job["static_configs"][0]["targets"]
    assert targets == ["antirelou-1:8080", "antirelou-2:8080"]
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_compose_grafana_is_provisioned(compose):
    datasources = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    ds = datasources["datasources"][0]
    assert ds["type"] == "prometheus" and ds["url"] == "http://prometheus:9090" and ds["isDefault"]
    providers = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "antirelou.yml")
    path = providers["providers"][0]["options"]["path"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]}
    for board in (DEPLOY / "grafana").glob("*.json"):
        assert mounted.get(f"{path}/{board.name}") == f"./grafana/{board.name}", board.name
    assert "/etc/grafana/provisioning/datasources" in mounted
    assert "/etc/grafana/provisioning/dashboards" in mounted


def test_compose_settings_pass_check_config(binary, tmp_path):
    text = (DEPLOY / "compose" / "antirelou.toml").read_text()
    done = check_config(binary, text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "+33612345678" in done.stdout


# ------------------------------------------------------------------ image

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_builds_in_stages_and_runs_unprivileged():
    ins = dockerfile_instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms[0].startswith("rust:${RUST_VERSION}-bookworm AS builder")
    assert froms[-1] in ("debian:bookworm-slim AS runtime", "gcr.io/distroless/cc-debian12 AS runtime")
    assert ("ARG", "RUST_VERSION=1") in ins
    runs = " ".join(rest for word, rest in ins if word == "RUN")
    assert "cargo build --release --locked -p antirelou" in runs
    final = ins[[i for i, (w, _) in enumerate(ins) if w == "FROM"][-1]:]
    assert ("USER", "10001:10001") in final
    assert ("ENTRYPOINT", '["antirelou"]') in final
    assert ("CMD", '["serve", "--config", "/etc/antirelou/antirelou.toml"]') in final
    assert ("VOLUME", '["/var/lib/antirelou"]') in final
    assert ("EXPOSE", "8080") in final


def dockerignore_patterns(path: pathlib.Path) -> list[str]:
    return [l.strip() for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]


def ignored(rel: str, patterns: list[str]) -> bool:
    result = False
    for p in patterns:
        negate = p.startswith("!")
        p = p.lstrip("!").strip("/")
        parts = rel.split("/")
        hit = any(
            fnmatch.fnmatch("/".join(parts[:i]), p) or fnmatch.fnmatch("/".join(parts[:i]), p.replace("**/", ""))
            or (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:]))
            for i in range(1, len(parts) + 1)
        )
        if hit:
            result = not negate
    return result


def test_docker_context_keeps_the_workspace_and_drops_the_rest():
    per_dockerfile = DEPLOY / "Dockerfile.dockerignore"
    assert per_dockerfile.read_text() == (ROOT / ".dockerignore").read_text()
    patterns = dockerignore_patterns(per_dockerfile)
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]
    needed = ["Cargo.toml", "Cargo.lock"] + [f"{m}/Cargo.toml" for m in workspace["members"]]
    for member in workspace["members"]:
        # sources, and whatever they include_str! (Lua scripts, test data)
        for src in (ROOT / member).rglob("*"):
            rel = str(src.relative_to(ROOT))
            if src.is_file() and not rel.startswith(("tests/deploy/", "tests/python/")) and "/target/" not in rel:
                needed.append(rel)
    for rel in needed:
        assert not ignored(rel, patterns), f"{rel} is needed by cargo but .dockerignore drops it"
    for rel in ("target/debug/antirelou", ".git/HEAD", "helm/antirelou/Chart.yaml",
                "tests/deploy/.venv/bin/python", "data/ledger.sqlite3", "crates/x/target/y"):
        assert ignored(rel, patterns), f"{rel} should stay out of the build context"
