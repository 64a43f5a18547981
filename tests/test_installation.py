"""The installed package: Jupyter sees the server extension and the prebuilt labextension."""

from __future__ import annotations

import re
import subprocess
import sys


def _jupyter(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def test_labextension_is_enabled_and_ok() -> None:
    output = _jupyter("labextension", "list")
    line = next((line for line in output.splitlines() if "jupyter-codeagent" in line), "")
    assert "enabled" in line and "OK" in line, output


def test_server_extension_is_enabled_and_valid() -> None:
    output = _jupyter("server", "extension", "list")
    assert re.search(r"jupyter_codeagent\s+enabled", output), output
    assert re.search(r"jupyter_codeagent \S+ OK", output), output
