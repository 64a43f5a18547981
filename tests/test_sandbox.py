"""Sandboxed kernels under real bubblewrap, started through a real Jupyter server.

Kernels are started as JupyterLab starts them (``POST /api/sessions``), so these tests
also prove that the server's own kernels — not only the agents' — are sandboxed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.sandbox import kernel_isolation, sandbox_status
from jupyter_codeagent.sandbox.command import LAUNCHER, SandboxSpec, bwrap_argv
from jupyter_codeagent.sandbox.probe import probe_bwrap

SECRET = "sk-test-sandbox-DO-NOT-LEAK-0123456789"
HOST_TOKEN = "ghp_host-token-DO-NOT-LEAK-987654"

_PROBE = probe_bwrap()
needs_bwrap = pytest.mark.skipif(not _PROBE.works, reason=_PROBE.reason or "no bubblewrap")


# --- helpers ----------------------------------------------------------------------


@dataclass
class Run:
    status: str = ""
    stdout: str = ""
    ename: str = ""
    evalue: str = ""
    results: list[str] = field(default_factory=list)


class KernelSession:
    """One client on one kernel of the test server, through the manager's own client."""

    def __init__(self, serverapp: Any, kernel_id: str) -> None:
        self.serverapp, self.kernel_id = serverapp, kernel_id
        self.client: Any = None

    @property
    def manager(self) -> Any:
        return self.serverapp.kernel_manager.get_kernel(self.kernel_id)

    async def connect(self) -> None:
        self.close()
        self.client = self.manager.client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=120)

    async def run(
        self, code: str, timeout: float = 120, printed: asyncio.Event | None = None
    ) -> Run:
        """Execute; ``printed`` is set at the first output (the code is running)."""
        if self.client is None:
            await self.connect()
        run = Run()

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                run.stdout += content["text"]
                if printed is not None:
                    printed.set()
            elif kind == "execute_result":
                run.results.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                run.ename, run.evalue = content["ename"], content["evalue"]

        reply = await self.client.execute_interactive(code, output_hook=hook, timeout=timeout)
        run.status = reply["content"]["status"]
        return run

    async def value(self, code: str) -> Any:
        """Run ``code`` that assigns ``result``; return it (JSON round trip)."""
        run = await self.run(code + "\nimport json as _json\nprint(_json.dumps(result))")
        assert run.status == "ok", (run.ename, run.evalue)
        return json.loads(run.stdout.strip().splitlines()[-1])

    def close(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
            self.client = None


async def notebook_kernel(jp_fetch: Any, jp_serverapp: Any, path: str = "nb.ipynb") -> Any:
    """Start a kernel the way JupyterLab does when it opens a notebook."""
    body = {"path": path, "name": path, "type": "notebook", "kernel": {"name": "python3"}}
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    return KernelSession(jp_serverapp, json.loads(response.body)["kernel"]["id"])


async def wait_until(predicate: Any, timeout: float = 30) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
def server_environment(
    clean_model_environment: None, jp_environ: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The server has a provider key, a foreign token and an ssh key; the kernel must not.

    The home folder is outside /tmp (pytest's is inside, and the sandbox replaces /tmp
    as a whole): the credential rules themselves must do the hiding.
    """
    home = Path(tempfile.mkdtemp(prefix="codeagent-home-", dir="/var/tmp"))
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (home / "notes.txt").write_text("visible")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("SOME_SERVICE_TOKEN", HOST_TOKEN)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def sandbox_config(base: dict[str, Any], **extension: Any) -> dict[str, Any]:
    base["CodeAgentExtension"] = {"sandbox": "on", **extension}
    return base


@pytest.fixture
def outside_dir() -> Iterator[Path]:
    """A folder outside the root and outside /tmp (which the sandbox replaces)."""
    folder = Path(tempfile.mkdtemp(prefix="codeagent-outside-", dir="/var/tmp"))
    (folder / "precious.txt").write_text("keep me")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- a sandboxed notebook kernel ----------------------------------------------------


@needs_bwrap
class TestSandboxedKernel:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        return sandbox_config(jp_server_config)

    async def test_runs_code_imports_pandas_and_is_reported_sandboxed(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        result = await kernel.value("import pandas as pd\nresult = int(pd.Series([1, 2]).sum())")
        assert result == 3
        assert kernel.manager.transport == "ipc"
        assert kernel_isolation(jp_serverapp.kernel_manager, kernel.kernel_id).to_json() == {
            "sandboxed": True,
            "network": "none",
            "secrets_stripped": True,
        }
        assert sandbox_status().to_json() == {"available": True, "active": True}
        kernel.close()

    async def test_cannot_reach_the_control_plane_nor_the_secrets(
        self, jp_fetch: Any, jp_serverapp: Any, jp_runtime_dir: Path, server_environment: Path
    ) -> None:
        home = server_environment
        info_files = list(jp_runtime_dir.glob("jpserver-*.json"))
        assert info_files, "the server wrote no jpserver-*.json"
        db = jp_serverapp.web_app.settings["codeagent"].settings.agents.db_path
        assert Path(db).exists(), "the extension made no database"
        other = await notebook_kernel(jp_fetch, jp_serverapp, "other.ipynb")
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        probe = f"""
import os, socket
def attempt(action):
    try:
        action()
        return "ok"
    except Exception as exc:
        return type(exc).__name__
def connect():
    with socket.create_connection(("127.0.0.1", {jp_serverapp.port}), timeout=3):
        pass
runtime = {str(jp_runtime_dir)!r}
result = {{
    "info": attempt(lambda: open({str(info_files[0])!r}).read()),
    "runtime": os.listdir(runtime) if os.path.isdir(runtime) else [],
    "other_kernel": attempt(lambda: open({other.manager.connection_file!r}).read()),
    "db": attempt(lambda: open({db!r}, "rb").read(16)),
    "connect": attempt(connect),
    "ssh": os.listdir({str(home / ".ssh")!r}),
    "home": open({str(home / "notes.txt")!r}).read(),
    "env": dict(os.environ),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}}
"""
        seen = await kernel.value(probe)
        assert seen["info"] != "ok" and seen["other_kernel"] != "ok"
        assert seen["db"] != "ok"
        own = os.path.basename(kernel.manager.connection_file)
        assert set(seen["runtime"]) <= {own}  # only its own connection file
        assert seen["connect"] != "ok"
        assert seen["ssh"] == [] and seen["home"] == "visible"  # hidden, the rest readable
        env = seen["env"]
        assert "OPENAI_API_KEY" not in env and "SOME_SERVICE_TOKEN" not in env
        assert not any(SECRET in v or HOST_TOKEN in v for v in env.values())
        assert os.getpid() not in seen["pids"] and max(seen["pids"]) < 100  # own pid namespace
        kernel.close()

    async def test_writes_land_in_the_root_only(
        self, jp_fetch: Any, jp_serverapp: Any, outside_dir: Path
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        root = Path(jp_serverapp.root_dir)
        code = f"""
import os
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return exc.strerror
outside = {str(outside_dir)!r}
result = {{
    "write": attempt(lambda: open(os.path.join(outside, "new.txt"), "w").write("x")),
    "delete": attempt(lambda: os.remove(os.path.join(outside, "precious.txt"))),
    "tmp": attempt(lambda: open("/tmp/scratch.txt", "w").write("x")),
    "inside": attempt(lambda: open("made_in_sandbox.txt", "w").write("hello")),
}}
"""
        seen = await kernel.value(code)
        assert seen["write"] == "Read-only file system"
        assert seen["delete"] == "Read-only file system"
        assert seen["tmp"] == "ok" and not Path("/tmp/scratch.txt").exists()  # private /tmp
        assert seen["inside"] == "ok"
        assert sorted(p.name for p in outside_dir.iterdir()) == ["precious.txt"]
        assert (outside_dir / "precious.txt").read_text() == "keep me"
        assert (root / "made_in_sandbox.txt").read_text() == "hello"
        kernel.close()


@needs_bwrap
class TestFullNetwork:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        return sandbox_config(jp_server_config, sandbox_network="full")

    async def test_full_network_shares_the_hosts(self, jp_fetch: Any, jp_serverapp: Any) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        code = f"""
import socket
with socket.create_connection(("127.0.0.1", {jp_serverapp.port}), timeout=5):
    result = "connected"
"""
        assert await kernel.value(code) == "connected"
        isolation = kernel_isolation(jp_serverapp.kernel_manager, kernel.kernel_id)
        assert isolation.sandboxed and isolation.network == "full"
        kernel.close()


# --- a normal user (the server usually runs as one; CI runs as root) ----------------------

_AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
_SYSTEM_PYTHON = "/usr/bin/python3"


def _nobody_can_run_the_launcher() -> str | None:
    if os.getuid() != 0 or not shutil.which("setpriv") or not os.path.exists(_SYSTEM_PYTHON):
        return "needs root, setpriv and /usr/bin/python3 to act as user nobody"
    check = [*_AS_NOBODY, _SYSTEM_PYTHON, "-I", "-S", "-c", f"open({LAUNCHER!r}).close()"]
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:
        return "user nobody cannot read this checkout"
    return None


@needs_bwrap
def test_a_normal_user_gets_the_same_sandbox_and_a_process_limit() -> None:
    reason = _nobody_can_run_the_launcher()
    if reason:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="codeagent-nobody-", dir="/var/tmp"))
    try:
        for folder in ("root", "ipc", "home/.ssh"):
            (base / folder).mkdir(parents=True)
        (base / "home/.ssh/id_ed25519").write_text("PRIVATE KEY")
        (base / "conn.json").write_text("{}")
        subprocess.run(["chown", "-R", "65534:65534", str(base)], check=True)
        spec = SandboxSpec(
            bwrap=str(_PROBE.path),
            root=str(base / "root"),
            cwd=str(base / "root"),
            private_dir=str(base / "ipc"),
            connection_file=str(base / "conn.json"),
            hidden=(str(base / "home/.ssh"),),
            needed=(os.path.dirname(LAUNCHER),),  # as the provisioner does (a checkout in /tmp)
        )
        code = f"""
import os
open("made.txt", "w").write("x")
try:
    open({str(base / "outside.txt")!r}, "w")
except OSError as exc:
    print(exc.strerror)
print(os.getuid(), os.listdir({str(base / "home/.ssh")!r}))
forked = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            import time
            time.sleep(5)
            os._exit(0)
        forked += 1
except OSError as exc:
    print(type(exc).__name__, forked)
"""
        limits = json.dumps({"RLIMIT_NPROC": 32})
        launcher = [_SYSTEM_PYTHON, "-I", "-S", LAUNCHER, limits, "--", _SYSTEM_PYTHON, "-c", code]
        argv = [*_AS_NOBODY, str(_PROBE.path), *bwrap_argv(spec), "--", *launcher]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        lines = done.stdout.splitlines()
        assert lines[:2] == ["Read-only file system", "65534 []"], done.stderr
        error, forked = lines[2].split()
        assert error == "BlockingIOError" and int(forked) < 32
        assert (base / "root/made.txt").stat().st_uid == 65534
        assert not (base / "outside.txt").exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)
