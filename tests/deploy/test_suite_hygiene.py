"""The deployment suite itself: it cannot pass without running everything.
A skipped test fails the run, and the binary comes from cargo's own target
directory, never from a hard-coded path."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT, antirelou_bin, cargo_target_dir

HERE = ROOT / "tests" / "deploy"


def run_pytest(tmp_path, body: str, **env) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(body)
    environment = {k: v for k, v in os.environ.items() if k != "ANTIRELOU_DEPLOY_ALLOW_SKIPS"}
    environment.update(env, PYTHONPATH=str(HERE))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


def test_a_skipped_test_fails_the_run(tmp_path):
    body = "import pytest\n\ndef test_passes():\n    pass\n\ndef test_skips():\n    pytest.skip('no binary')\n"
    done = run_pytest(tmp_path, body)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SKIPPED (fails the run)" in done.stdout and "no binary" in done.stdout
    allowed = run_pytest(tmp_path, body, ANTIRELOU_DEPLOY_ALLOW_SKIPS="1")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_a_run_without_skips_passes(tmp_path):
    done = run_pytest(tmp_path, "def test_passes():\n    pass\n")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_binary_comes_from_cargos_target_directory():
    target = cargo_target_dir()
    expected = os.environ.get("CARGO_TARGET_DIR")
    if expected:
        assert target == type(target)(expected).resolve()
    assert antirelou_bin() in (os.environ.get("ANTIRELOU_BIN"), str(target / "debug" / "antirelou"))


def test_scripts_never_hard_code_the_target_directory():
    for script in (ROOT / "tests" / "run-all.sh", HERE / "run.sh"):
        text = script.read_text()
        assert not re.search(r"(?<![\w$])target/(debug|release)", text), f"{script}: hard-coded target/"
        assert "cargo metadata --format-version 1" in text, script
