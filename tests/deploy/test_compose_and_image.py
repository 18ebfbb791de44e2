"""The Dockerfile and the compose stack, read as files: the YAML parses,
every file they mount exists, the services are wired to each other over
127.0.0.1 of the namespace they share, no secret has a default, and the
compose settings pass `antirelou check-config`. test_image_run.py and
test_compose_run.py build the images and run them."""

from __future__ import annotations

import fnmatch
import pathlib
import re
import tomllib

import pytest

from conftest import DEPLOY, ROOT, check_config, load_yaml
from image_support import compose_command, run

COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
REPLICAS = {"antirelou-1": "127.0.0.1:8081", "antirelou-2": "127.0.0.1:8082"}
# What each service must find in the env file, with no default.
REQUIRED_SECRETS = {
    "antirelou-1": {"ANTIRELOU_SENDER_KEY", "ANTIRELOU_SEALING_KEY", "TWILIO_AUTH_TOKEN_DEMO", "REDIS_PASSWORD",
                    "ANTIRELOU_ADMIN_TOKEN_DEMO", "ANTIRELOU_OPERATOR_TOKEN"},
    "redis": {"REDIS_PASSWORD"},
    "grafana": {"GRAFANA_ADMIN_PASSWORD"},
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


def test_compose_has_the_whole_stack(compose):
    services = compose["services"]
    assert set(services) == {"net", "redis", "antirelou-1", "antirelou-2", "nginx", "prometheus", "grafana"}
    for image in (s.get("image") for s in services.values()):
        assert image and ":" in image and not image.endswith(":latest"), f"pin image {image}"


def test_compose_paths_exist(compose):
    """Every bind mount, build context and Dockerfile is a file of the repo."""
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in compose["volumes"], f"{name}: named volume {source} is not declared"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), name
            assert service["build"]["args"] == {"BASE_IMAGE": "${ANTIRELOU_BASE_IMAGE:-debian:bookworm-slim}"}
    for name in ("net", "antirelou-1", "antirelou-2"):
        build = compose["services"][name]["build"]
        assert (DEPLOY / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
    for name in ("redis", "prometheus", "nginx"):
        # the image deploy/build-images.sh builds offline is the one compose names
        assert compose["services"][name]["build"]["dockerfile"] == f"{name}.Dockerfile"
        assert compose["services"][name]["image"] == f"antirelou-{name}:bookworm"
        assert "antirelou-$service:$SUITE" in (DEPLOY / "build-images.sh").read_text()


def test_compose_services_share_one_namespace_and_publish_on_loopback(compose):
    services = compose["services"]
    for name, service in services.items():
        if name != "net":
            assert service["network_mode"] == "service:net", name
            assert "ports" not in service, f"{name} publishes ports: only net does"
    ports = services["net"]["ports"]
    assert ports == ["${ANTIRELOU_WEBHOOK_PUBLISH:-127.0.0.1:8080}:8080", "${ANTIRELOU_HTTPS_PUBLISH:-127.0.0.1:8443}:8443",
                     "127.0.0.1:9181:9181", "127.0.0.1:9090:9090", "127.0.0.1:3000:3000"]
    assert services["net"]["entrypoint"] == ["sleep", "infinity"] and services["net"]["init"] is True


def test_compose_services_run_confined(compose):
    for name, service in compose["services"].items():
        if name == "grafana":
            continue
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
    for name in ("net", "antirelou-1", "antirelou-2"):
        assert compose["services"][name]["user"] == "10001:10001"


def test_compose_replicas_share_the_redis_ledger(compose):
    one, two = compose["services"]["antirelou-1"], compose["services"]["antirelou-2"]
    env_one, env_two = dict(one["environment"]), dict(two["environment"])
    assert {n: env.pop("ANTIRELOU__SERVER__LISTEN") for n, env in (("antirelou-1", env_one), ("antirelou-2", env_two))} == REPLICAS
    for env in (env_one, env_two):
        env.pop("ANTIRELOU__SERVER__CONSOLE_LISTEN"), env.pop("ANTIRELOU__SERVER__ADMIN_LISTEN")
    assert env_one == env_two and {**one, "environment": None} == {**two, "environment": None}
    assert one["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "./compose/antirelou.toml:/etc/antirelou/antirelou.toml:ro" in one["volumes"]
    assert env_one["ANTIRELOU_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    assert env_one["ANTIRELOU_REDIS_URL"].endswith("}@127.0.0.1:6379/0")
    settings = tomllib.loads((DEPLOY / "compose" / "antirelou.toml").read_text())
    assert settings["ledger"]["backend"] == "redis"
    assert settings["server"]["listen"] == REPLICAS["antirelou-1"]
    # secrets come from the environment, never from the file
    assert settings["ledger"]["redis_url"] == {"env": "ANTIRELOU_REDIS_URL"}
    assert settings["privacy"]["sender_key"] == {"env": "ANTIRELOU_SENDER_KEY"}
    assert settings["privacy"]["sealing_key"] == {"env": "ANTIRELOU_SEALING_KEY"}


def test_compose_secrets_have_no_default_and_are_in_env_example(compose):
    example = (DEPLOY / "compose" / "env.example").read_text()
    for name, secrets in REQUIRED_SECRETS.items():
        environment = " ".join(str(v) for v in compose["services"][name]["environment"].values())
        for secret in secrets:
            assert f"${{{secret}:?" in environment, f"{name}: {secret} must be required (no default)"
            assert re.search(rf"^{secret}=$", example, re.M), f"env.example: {secret}= (empty, to be set)"
    password = compose["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]*\}", password), "Grafana's password has no default"


@pytest.mark.parametrize("missing", ["REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "ANTIRELOU_SEALING_KEY"])
def test_compose_refuses_to_start_without_a_secret(tmp_path, missing):
    values = {name: "0123456789abcdef" * 4 for secrets in REQUIRED_SECRETS.values() for name in secrets}
    env = tmp_path / "env"
    env.write_text("".join(f"{k}={v}\n" for k, v in values.items() if k != missing))
    done = run(compose_command() + ["--file", str(COMPOSE), "--env-file", str(env), "config"], check=False)
    assert done.returncode != 0 and f"set {missing} in deploy/.env" in done.stdout + done.stderr
    (tmp_path / "full").write_text(env.read_text() + f"{missing}={values[missing]}\n")
    run(compose_command() + ["--file", str(COMPOSE), "--env-file", str(tmp_path / "full"), "config", "--quiet"])


def test_compose_redis_is_durable_and_authenticated(compose):
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    for flag in ("--bind 127.0.0.1", "--port 6379", "--appendonly yes", "--appendfsync everysec",
                 "--maxmemory-policy noeviction"):
        assert flag in command
    assert "requirepass" not in command, "the password stays off the command line"
    assert "redis-data:/data" in redis["volumes"]
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    entrypoint = (DEPLOY / "compose" / "redis-entrypoint.sh").read_text()
    assert "requirepass" in entrypoint and 'exec redis-server "$conf" "$@"' in entrypoint


def test_compose_load_balancer_spreads_webhooks(compose):
    conf = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream antirelou \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server (127\.0\.0\.1:\d+)", upstream) == list(REPLICAS.values())
    consoles = re.search(r"upstream antirelou_console \{(.*?)\}", conf, re.S).group(1)
    listeners = [compose["services"][r]["environment"]["ANTIRELOU__SERVER__CONSOLE_LISTEN"] for r in REPLICAS]
    assert re.findall(r"server (127\.0\.0\.1:\d+)", consoles) == listeners
    assert "./compose/tls:/etc/nginx/tls:ro" in compose["services"]["nginx"]["volumes"]
    assert "location /webhooks/" in conf and "proxy_pass http://antirelou;" in conf
    assert "/metrics" not in conf.split("location / {")[0].replace("# /metrics", ""), "metrics stay private"
    assert conf.count("{") == conf.count("}")
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in compose["services"]["nginx"]["volumes"]
    # read-only root: every path nginx writes is under /tmp
    for path in re.findall(r"^\s*(?:pid|\w+_temp_path)\s+(\S+);", conf, re.M):
        assert path.startswith("/tmp/"), path


def test_compose_prometheus_scrapes_both_replicas(compose):
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "antirelou")
    assert job["static_configs"][0]["targets"] == list(REPLICAS.values())
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_compose_grafana_is_provisioned(compose):
    datasources = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    ds = datasources["datasources"][0]
    assert ds["type"] == "prometheus" and ds["url"] == "http://127.0.0.1:9090" and ds["isDefault"]
    providers = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "antirelou.yml")
    path = providers["providers"][0]["options"]["path"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]}
    for board in (DEPLOY / "grafana").glob("*.json"):
        assert mounted.get(f"{path}/{board.name}") == f"./grafana/{board.name}", board.name
    assert "/etc/grafana/provisioning/datasources" in mounted
    assert "/etc/grafana/provisioning/dashboards" in mounted


def test_compose_settings_pass_check_config(binary, tmp_path):
    text = (DEPLOY / "compose" / "antirelou.toml").read_text()
    done = check_config(binary, text, tmp_path,
                        extra_env={"ANTIRELOU_REDIS_URL": "redis://:0123456789abcdef@127.0.0.1:6379/0"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "+33937000001" in done.stdout


def test_compose_collectives_of_every_provider_get_their_secrets_from_the_env_file(compose, binary, tmp_path):
    """The commented collectives of compose/antirelou.toml (Vonage, Plivo,
    OVHcloud), once uncommented, pass check-config; each secret they name is
    in env.example and reaches the replicas."""
    text = (DEPLOY / "compose" / "antirelou.toml").read_text()
    commented = text[text.index("# [[tenants]]"):]
    uncommented = "\n".join(line.removeprefix("#").removeprefix(" ") for line in commented.splitlines())
    full = text + "\n" + uncommented
    kinds = {t["provider"]["kind"] for t in tomllib.loads(full)["tenants"]}
    assert kinds == {"twilio", "vonage", "plivo", "ovh"}
    names = set(re.findall(r'\{ env = "([A-Z0-9_]+)" \}', uncommented))
    assert len(names) == 8, names
    example = (DEPLOY / "compose" / "env.example").read_text()
    environment = compose["services"]["antirelou-1"]["environment"]
    for name in names:
        assert re.search(rf"^#?{name}=$", example, re.M), f"env.example: {name}"
        assert environment[name] == f"${{{name}:-}}", f"docker-compose.yml passes {name} to the replicas"
    done = check_config(binary, full, tmp_path,
                        extra_env={"ANTIRELOU_REDIS_URL": "redis://:0123456789abcdef@127.0.0.1:6379/0"})
    assert done.returncode == 0, done.stdout + done.stderr
    for number in ("+33937000002", "+33937000003", "+33937000004"):
        assert number in done.stdout


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


def test_dockerfile_builds_from_source_or_from_a_binary_and_runs_unprivileged():
    text = DOCKERFILE.read_text()
    assert not re.search(r"^#\s*syntax=", text, re.M | re.I), "a # syntax= frontend must be pulled from a registry"
    ins = dockerfile_instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["${RUST_IMAGE} AS source", "scratch AS debug-info", "scratch AS context",
                     "${BINARY_FROM} AS binary", "${BASE_IMAGE} AS runtime"]
    for arg in ("BASE_IMAGE=debian:bookworm-slim", "RUST_IMAGE=rust:1-bookworm", "BINARY_FROM=source"):
        assert ("ARG", arg) in ins
    runs = " ".join(rest for word, rest in ins if word == "RUN")
    assert "cargo build --release --locked -p antirelou" in runs
    # the debug info leaves the binary, into a stage of its own
    assert "objcopy --only-keep-debug" in runs and "--strip-debug --add-gnu-debuglink=" in runs
    assert ("COPY", "--from=source /out/antirelou.debug /") in ins
    final = ins[[i for i, (w, _) in enumerate(ins) if w == "FROM"][-1]:]
    assert ("COPY", "--from=binary /out/antirelou /usr/local/bin/antirelou") in final
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
