"""Smoke-test a built wheel the way a user installs it: a fresh venv, no Node.js, `jupyter lab`.

    python .ci/wheel_smoke.py dist/jupyter_codeagent-X-py3-none-any.whl [--venv DIR]

Checks, failing loudly on the first miss:
- the installed package imports from the venv and reports package.json's version;
- `jupyter labextension list` and `jupyter server extension list` show both extensions
  enabled and OK, from the venv, with that version; `jupyter codeagent check` reports it;
- a real `jupyter lab` on loopback with a token answers `GET codeagent/health` with that
  version and serves the extension's `remoteEntry` script.

Without --venv the venv is created in a temporary folder and removed afterwards; with
--venv an existing venv is reused (the wheel is installed into it if it is not already).
Only the standard library and `packaging` are needed in the Python that runs this script.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from packaging.utils import parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DIST_NAME = "jupyter-codeagent"
MODULE = "jupyter_codeagent"
SERVER_START_TIMEOUT = 90  # seconds; a cold first start of JupyterLab on a busy CI machine
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SmokeFailure(Exception):
    pass


def check(condition: bool, what: str, details: str = "") -> None:
    if not condition:
        raise SmokeFailure(what + (f"\n{details}" if details else ""))
    print(f"ok: {what}")


def expected_version(wheel: Path) -> Version:
    """package.json is the version's one source; the wheel's name must agree with it."""
    declared = Version(json.loads((ROOT / "package.json").read_text())["version"])
    name, wheel_version, _build, _tags = parse_wheel_filename(wheel.name)
    check(name == DIST_NAME, f"the wheel is {DIST_NAME}'s", wheel.name)
    check(
        wheel_version == declared,
        f"the wheel's version {wheel_version} is package.json's {declared}",
    )
    return declared


def isolated_environment(venv: Path, scratch: Path) -> dict[str, str]:
    """The environment of a user who only has the venv: no Node, no source tree, no dev config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "JUPYTER", "CODEAGENT_", "OPENAI_", "ANTHROPIC_"))
        and key not in {"VIRTUAL_ENV", "PATH", "CONDA_PREFIX"}
    }
    env["PATH"] = str(venv / "bin")  # node lives in /usr/bin on Debian: keep /usr/bin out
    env["VIRTUAL_ENV"] = str(venv)
    # The user's own Jupyter folders could hold a developer's labextension link or config;
    # point them at empty folders so only the venv's installation is seen.
    for variable in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        folder = scratch / variable.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[variable] = str(folder)
    return env


def execute(
    args: list[str], env: dict[str, str], cwd: Path, ok_codes: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode not in ok_codes:
        output = ANSI.sub("", result.stdout + result.stderr)
        raise SmokeFailure(f"`{' '.join(args)}` exited with {result.returncode}\n{output}")
    return result


def run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """stdout and stderr of a command that must succeed, without colours."""
    result = execute(args, env, cwd)
    return ANSI.sub("", result.stdout + result.stderr)


def run_json(
    args: list[str], env: dict[str, str], cwd: Path, ok_codes: tuple[int, ...] = (0,)
) -> Any:
    """The JSON a command prints on stdout (warnings on stderr do not get in the way)."""
    result = execute(args, env, cwd, ok_codes)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise SmokeFailure(f"`{' '.join(args)}` did not print JSON\n{result.stdout}") from None


def install(wheel: Path, venv: Path, env: dict[str, str], cwd: Path) -> None:
    if not (venv / "bin" / "python").exists():
        print(f"--- creating a fresh venv at {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"--- installing {wheel.name} (without Node.js on the PATH)")
    check(shutil.which("node", path=env["PATH"]) is None, "node is not on the venv's PATH")
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env, cwd)


def check_installation(version: Version, venv: Path, env: dict[str, str], cwd: Path) -> None:
    python, jupyter = str(venv / "bin" / "python"), str(venv / "bin" / "jupyter")
    probe = f"import json, {MODULE} as m; print(json.dumps([m.__version__, m.__file__]))"
    reported, location = run_json([python, "-c", probe], env, cwd)
    check(Version(reported) == version, f"{MODULE}.__version__ is {version}", f"got {reported}")
    check(Path(location).is_relative_to(venv), f"{MODULE} is imported from the venv", location)

    labextensions = run([jupyter, "labextension", "list"], env, cwd)
    section, line = "", ""
    for text in labextensions.splitlines():
        if text.strip().endswith("labextensions"):
            section = text.strip()
        elif DIST_NAME in text:
            line = text
            break
    check(
        f"v{version}" in line and "enabled" in line and "OK" in line,
        f"`jupyter labextension list`: {DIST_NAME} v{version} enabled OK",
        labextensions,
    )
    check(
        section.startswith(str(venv)),
        "the labextension is the venv's prebuilt one",
        labextensions,
    )

    server_extensions = run([jupyter, "server", "extension", "list"], env, cwd)
    check(
        re.search(rf"{MODULE}\s+enabled", server_extensions) is not None
        and re.search(rf"{MODULE} {re.escape(str(version))} OK", server_extensions) is not None,
        f"`jupyter server extension list`: {MODULE} enabled, {version} OK",
        server_extensions,
    )

    # `check` exits 1 while no model is configured; the version is what matters here.
    status = run_json([jupyter, "codeagent", "check", "--json"], env, cwd, (0, 1))
    check(
        Version(status["version"]) == version,
        f"`jupyter codeagent check` reports {version}",
        json.dumps(status),
    )


@contextmanager
def jupyter_lab(venv: Path, env: dict[str, str], scratch: Path) -> Iterator[tuple[str, str]]:
    """A real `jupyter lab` from the venv on loopback; yields (base URL, token)."""
    token = os.urandom(24).hex()
    root = scratch / "root"
    root.mkdir(exist_ok=True)
    log_path = scratch / "jupyter-lab.log"
    runtime = Path(env["JUPYTER_RUNTIME_DIR"])
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                str(venv / "bin" / "jupyter-lab"),
                "--no-browser",
                "--ip=127.0.0.1",
                "--ServerApp.port=0",  # the OS picks a free port; the server writes it down
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--allow-root",  # CI containers run as root; a user's machine does not need it
            ],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        info_files: list[Path] = []
        while not info_files:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SmokeFailure("jupyter lab did not start\n" + log_path.read_text()[-5000:])
            time.sleep(0.5)
            info_files = list(runtime.glob(f"jpserver-{server.pid}.json"))
        url = json.loads(info_files[0].read_text())["url"].rstrip("/")
        print(f"--- jupyter lab from the venv is up at {url}")
        try:
            yield url, token
        except SmokeFailure as failure:
            raise SmokeFailure(
                f"{failure}\n--- server log\n{log_path.read_text()[-5000:]}"
            ) from None
    finally:
        server.send_signal(signal.SIGTERM)  # jupyter shuts down at once on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get(url: str, token: str) -> tuple[int, str, str]:
    """(status, content type, body) of an authenticated GET."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def check_server(version: Version, url: str, token: str) -> None:
    status, _type, body = get(f"{url}/codeagent/health", token)
    check(status == 200, "GET codeagent/health answers 200", f"{status} {body}")
    health = json.loads(body)
    check(Version(health["version"]) == version, f"GET codeagent/health reports {version}", body)

    # JupyterLab's page lists the federated extensions it will load; take our entry from it.
    status, _type, page = get(f"{url}/lab", token)
    check(status == 200, "GET /lab answers 200", f"{status} {page[:2000]}")
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    check(found is not None, "the lab page carries its jupyter-config-data", page[:2000])
    assert found is not None
    config = json.loads(found.group(1))
    entries = [e for e in config.get("federated_extensions", []) if e.get("name") == DIST_NAME]
    check(
        len(entries) == 1, f"JupyterLab lists {DIST_NAME} as a federated extension", found.group(1)
    )
    load = entries[0]["load"]
    check("remoteEntry" in load, f"its entry point is a remoteEntry script ({load})")
    script_url = f"{config['fullLabextensionsUrl'].rstrip('/')}/{DIST_NAME}/{load}"
    status, content_type, script = get(urljoin(f"{url}/", script_url), token)
    check(
        status == 200 and "javascript" in content_type and DIST_NAME in script,
        f"JupyterLab serves {script_url}",
        f"{status} {content_type} {script[:500]}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="the built wheel")
    parser.add_argument(
        "--venv", type=Path, help="reuse (or create) this venv instead of a temporary one"
    )
    args = parser.parse_args()
    wheel: Path = args.wheel.resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codeagent-wheel-smoke-") as scratch_name:
        scratch = Path(scratch_name)
        venv = args.venv.resolve() if args.venv else scratch / "venv"
        try:
            version = expected_version(wheel)
            env = isolated_environment(venv, scratch)
            install(wheel, venv, env, scratch)
            check_installation(version, venv, env, scratch)
            with jupyter_lab(venv, env, scratch) as (url, token):
                check_server(version, url, token)
        except SmokeFailure as failure:
            print(f"\nWHEEL SMOKE TEST FAILED: {failure}", file=sys.stderr)
            return 1
    print(f"--- wheel smoke test passed: {wheel.name} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
