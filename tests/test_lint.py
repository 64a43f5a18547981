"""Static checks run as part of the test command: ruff, mypy, eslint and tsc."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    result = _run(
        [sys.executable, "-m", "ruff", "check", "jupyter_codeagent", "tests", "benchmarks"]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "jupyter_codeagent",
            "tests",
            "benchmarks",
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not (ROOT / "node_modules").is_dir(), reason="frontend not installed")
def test_eslint_and_tsc_are_clean() -> None:
    jlpm = shutil.which("jlpm")
    assert jlpm, "jlpm (from jupyterlab) is needed to lint the frontend"
    result = _run([jlpm, "lint"])
    assert result.returncode == 0, result.stdout + result.stderr
