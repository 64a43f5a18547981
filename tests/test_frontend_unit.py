"""The frontend's unit tests (the sidebar's event reducer and line diff), run by `jlpm test`.

They compile `labextension/src/state` with tsc and run under Node's built-in test runner.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (ROOT / "node_modules").is_dir(), reason="frontend not installed")
def test_frontend_unit_tests_pass() -> None:
    jlpm = shutil.which("jlpm")
    assert jlpm, "jlpm (from jupyterlab) is needed to run the frontend unit tests"
    result = subprocess.run([jlpm, "test"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^\S* ?fail 0$", output, re.MULTILINE), (
        output
    )  # the spec reporter's summary line
