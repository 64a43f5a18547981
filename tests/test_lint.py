"""Static checks run as part of the test command: ruff, mypy, import-linter, eslint, tsc,
and the generated event schema the frontend's types are built from."""

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


def test_the_layers_hold() -> None:
    """import-linter: no part imports a part above it (pyproject's contracts)."""
    command = (
        "import sys; from importlinter.cli import lint_imports_command as main; sys.exit(main())"
    )
    result = _run([sys.executable, "-c", command, "--no-cache"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_events_schema_is_generated_from_the_event_classes() -> None:
    """The frontend's event types are generated from this file at build time; it must
    say what ``jupyter_codeagent/events.py`` says (regenerate with
    ``python -m jupyter_codeagent.events_schema labextension/events.schema.json``)."""
    import json

    from jupyter_codeagent.events_schema import json_schema

    committed = json.loads((ROOT / "labextension" / "events.schema.json").read_text())
    assert committed == json_schema()


def test_no_hand_written_event_types_in_the_frontend() -> None:
    """Events are typed by the generated module only."""
    sources = (ROOT / "labextension" / "src").rglob("*.ts*")
    hand_written = [
        str(path.relative_to(ROOT))
        for path in sources
        if "generated" not in path.parts
        and "type: 'cell_proposed'" in path.read_text(encoding="utf-8")
    ]
    assert hand_written == []


@pytest.mark.skipif(not (ROOT / "node_modules").is_dir(), reason="frontend not installed")
def test_eslint_and_tsc_are_clean() -> None:
    jlpm = shutil.which("jlpm")
    assert jlpm, "jlpm (from jupyterlab) is needed to lint the frontend"
    result = _run([jlpm, "lint"])
    assert result.returncode == 0, result.stdout + result.stderr
