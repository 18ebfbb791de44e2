#!/usr/bin/env bash
# Runs the deployment tests (tests/deploy) from any directory, on a fresh
# Debian machine as root (or with sudo):
#   - Debian packages: prometheus (prometheus + promtool), redis-server,
#     python3-venv, chromium, nodejs, npm, caddy, curl, when missing;
#   - tests/console's npm packages (`npm ci`: playwright-core, axe-core);
#   - a virtualenv (tests/deploy/.venv, or $ANTIRELOU_DEPLOY_VENV) with
#     requirements.txt;
#   - the antirelou binary: $ANTIRELOU_BIN if set, else `cargo build -p
#     antirelou` and debug/antirelou in cargo's own target directory
#     (`cargo metadata`, which honours CARGO_TARGET_DIR);
# then pytest. Extra arguments go to pytest (e.g. -k e2e, -x). A skipped
# test fails the run (tests/deploy/conftest.py).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

missing=()
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# Container tests (test_image_run.py, test_compose_run.py): Debian's engine
# (its client drives BuildKit without buildx; the tests start dockerd when none
# runs), debootstrap for the base image, compose (v1: Debian 12 has no v2
# plugin), objcopy for the debug info.
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
{ command -v docker-compose || docker compose version; } >/dev/null 2>&1 || missing+=(docker-compose)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
# One small server (test_single_server.py): Debian's caddy in front of the
# service, curl to reach the console over HTTPS, dpkg-deb and systemd-analyze
# (dpkg and systemd, always there on Debian).
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The compose stack's proxy (test_compose_proxy.py): Debian's nginx with the shipped nginx.conf.
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || missing+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The console in a real browser (test_console.py): Debian's chromium, node
# and npm for Playwright and axe-core (tests/console, `npm ci` below).
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "tests/deploy: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=${ANTIRELOU_DEPLOY_VENV:-$ROOT/tests/deploy/.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/deploy/requirements.txt

# Playwright (driver only: it uses /usr/bin/chromium, never downloads a browser) and axe-core.
(cd tests/console && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

if [ -z "${ANTIRELOU_BIN:-}" ]; then
    cargo build --quiet --locked -p antirelou
    target_dir=$(cargo metadata --format-version 1 --no-deps \
        | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    export ANTIRELOU_BIN="$target_dir/debug/antirelou"
fi
if [ ! -x "$ANTIRELOU_BIN" ]; then
    echo "tests/deploy: $ANTIRELOU_BIN is not an executable" >&2
    exit 1
fi

echo "tests/deploy: $("$venv/bin/python" -c 'import helm_python as h; print("helm SDK", h.helm_sdk_version())'), $(promtool --version 2>&1 | head -1), antirelou=$ANTIRELOU_BIN"
exec "$venv/bin/python" -m pytest tests/deploy -p no:cacheprovider -rs "$@"
