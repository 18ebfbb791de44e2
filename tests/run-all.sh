#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Rust (as root, or
# with sudo): installs what it needs (redis-server for the Redis ledger
# tests, python3-venv + the official twilio SDK for the signature
# cross-check, age for the evidence test, prometheus/promtool and Helm's SDK for the deployment tests,
# chromium, node and npm for the console's browser test),
# then runs fmt, clippy, every Rust test and the deployment tests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The evidence test opens an encrypted senders file with Debian's age.
command -v age >/dev/null 2>&1 || missing+=(age)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# The console's browser test (tests/deploy/test_console.py, tests/console).
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$ROOT/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt
export ANTIRELOU_PYTHON="$venv/bin/python"

rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
cargo test --locked --workspace --all-features

# The binary `cargo test` just built, in cargo's own target directory
# (CARGO_TARGET_DIR or .cargo/config may move it).
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
ANTIRELOU_BIN="$target_dir/debug/antirelou" bash tests/deploy/run.sh
