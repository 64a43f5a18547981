"""The `jupyter codeagent` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jupyter_codeagent import __version__


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CODEAGENT_", "OPENAI_", "ANTHROPIC_"))
    }
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jupyter_codeagent.cli", *args],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=60,
    )


def test_help_lists_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "jupyter codeagent" in result.stdout
    assert "check" in result.stdout


def test_check_reports_missing_configuration() -> None:
    result = _run("check", "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["ready"] is False
    assert "CODEAGENT_PROVIDER" in body["reason"]
    assert body["version"] == __version__


def test_check_reads_the_environment_and_hides_the_key() -> None:
    secret = "sk-ant-secret-value-42"
    result = _run(
        "check",
        env={
            "CODEAGENT_PROVIDER": "anthropic",
            "CODEAGENT_MODEL": "claude-haiku-4-5",
            "ANTHROPIC_API_KEY": secret,
            "CODEAGENT_APPROVAL": "risky",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "anthropic / claude-haiku-4-5 (approval: risky)" in result.stdout
    assert secret not in result.stdout + result.stderr
