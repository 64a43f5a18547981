# ruff: noqa: F811  (pytest fixtures imported from tests/test_sandbox.py are parameters)
"""Sandboxed kernels through a real Jupyter server: lifecycle, limits, secrets without it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.sandbox import kernel_isolation, sandbox_status
from jupyter_codeagent.sandbox.probe import BwrapProbe
from tests.test_sandbox import (
    HOST_TOKEN,
    SECRET,
    needs_bwrap,
    notebook_kernel,
    sandbox_config,
    server_environment,  # noqa: F401  (fixture)
    wait_until,
)

# --- lifecycle: what JupyterLab's buttons and the restarter do -----------------------


@needs_bwrap
class TestLifecycle:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        return sandbox_config(jp_server_config)

    async def test_interrupt_then_restart_like_jupyterlab(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        assert (await kernel.run("kept = 41")).status == "ok"
        first_pid = kernel.manager.provisioner.pid
        printed = asyncio.Event()
        code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)"
        sleeper = asyncio.ensure_future(kernel.run(code, printed=printed))
        await asyncio.wait_for(printed.wait(), 60)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await jp_fetch("api", "kernels", kernel.kernel_id, "interrupt", method="POST", body="")
        run = await asyncio.wait_for(sleeper, 30)
        assert run.ename == "KeyboardInterrupt" and loop.time() - started < 20
        assert await kernel.value("result = kept + 1") == 42  # same process, state kept
        assert kernel.manager.provisioner.pid == first_pid

        await jp_fetch("api", "kernels", kernel.kernel_id, "restart", method="POST", body="")
        await kernel.connect()
        assert kernel.manager.provisioner.pid != first_pid
        assert await kernel.value("result = 'kept' in globals()") is False
        assert kernel_isolation(jp_serverapp.kernel_manager, kernel.kernel_id).sandboxed
        kernel.close()

    async def test_a_dead_kernel_is_detected_and_restarted(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        await kernel.connect()
        process = kernel.manager.provisioner.process
        # The kernel process itself dies (inside the sandbox, not bwrap): bwrap follows.
        kernel.client.execute("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")

        async def gone() -> bool:
            return process.poll() is not None

        assert await wait_until(gone, 15), "bwrap outlived its kernel"

        async def restarted() -> bool:
            provisioner = kernel.manager.provisioner
            return provisioner.process not in (None, process) and bool(
                await kernel.manager.is_alive()
            )

        assert await wait_until(restarted, 60), "the restarter did not bring the kernel back"
        await kernel.connect()
        assert await kernel.value("result = 1 + 1") == 2

        # Killed from outside (what KernelEnv.kill does): noticed as dead too.
        pid = kernel.manager.provisioner.pid
        os.kill(pid, signal.SIGKILL)

        async def dead_or_new() -> bool:
            return kernel.manager.provisioner.pid != pid or not await kernel.manager.is_alive()

        assert await wait_until(dead_or_new, 15)
        kernel.close()

    async def test_shutdown_leaves_nothing_behind(self, jp_fetch: Any, jp_serverapp: Any) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        await kernel.connect()
        provisioner = kernel.manager.provisioner
        process, private_dir = provisioner.process, provisioner._private_dir
        cgroup = provisioner._cgroup
        assert private_dir and any(Path(private_dir).iterdir())  # the IPC sockets
        kernel.close()
        await jp_fetch("api", "kernels", kernel.kernel_id, method="DELETE")
        assert process.poll() is not None
        assert not Path(private_dir).exists()
        assert cgroup is None or not any(Path(d).exists() for d in cgroup.dirs)


# --- limits ---------------------------------------------------------------------------


def _process_limit_reason() -> str | None:
    """RLIMIT_NPROC does not bind uid 0: as root the cgroup must do it."""
    from jupyter_codeagent.sandbox.cgroups import create_kernel_cgroup

    if os.getuid() != 0:
        return None
    cgroup = create_kernel_cgroup("codeagent-test-probe", max_processes=8, memory_bytes=0)
    if cgroup is None:
        return "root without a writable pids cgroup: no process limit can bind uid 0"
    cgroup.remove()
    return None


@needs_bwrap
class TestLimits:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        config = sandbox_config(jp_server_config)
        config["SandboxProvisioner"] = {
            "memory_limit": "768M",
            "max_processes": 64,
            "cpu_time_limit": 3600,
        }
        return config

    async def test_memory_hog_gets_memory_error_and_the_kernel_lives(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        run = await kernel.run("hog = bytearray(2 * 1024**3)")
        assert run.ename == "MemoryError"
        limits = await kernel.value(
            "import resource\n"
            "result = [resource.getrlimit(resource.RLIMIT_DATA)[0],"
            " resource.getrlimit(resource.RLIMIT_CPU)[0]]"
        )
        assert limits == [768 * 1024**2, 3600]
        kernel.close()

    async def test_fork_bomb_is_contained(self, jp_fetch: Any, jp_serverapp: Any) -> None:
        reason = _process_limit_reason()
        if reason:
            pytest.skip(reason)
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        # Bounded even if the limit failed: at most 300 children, each gone in 30 s.
        bomb = """
import os, time
children, error = [], None
for _ in range(300):
    try:
        pid = os.fork()
    except OSError as exc:
        error = type(exc).__name__
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
result = [len(children), error]
"""
        forked, error = await kernel.value(bomb)
        assert error == "BlockingIOError" and forked < 64
        assert await kernel.value("result = 'alive'") == "alive"
        kernel.close()


# --- secrets without the sandbox, and a sandbox that cannot be had -------------------


class TestUnsandboxedKernels:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        return sandbox_config(jp_server_config, sandbox="off")

    async def test_off_still_strips_the_provider_key(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        env = await kernel.value("import os\nresult = dict(os.environ)")
        assert "OPENAI_API_KEY" not in env
        assert not any(SECRET in value for value in env.values())
        assert env["SOME_SERVICE_TOKEN"] == HOST_TOKEN  # not configured: an ordinary kernel
        assert kernel.manager.transport == "tcp"
        isolation = kernel_isolation(jp_serverapp.kernel_manager, kernel.kernel_id)
        assert not isolation.sandboxed and isolation.secrets_stripped
        assert sandbox_status().active is False
        kernel.close()


class TestKernelKeepsSecrets:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], server_environment: Path) -> Any:
        return sandbox_config(jp_server_config, sandbox="off", kernel_keeps_secrets=True)

    async def test_users_may_keep_their_keys(self, jp_fetch: Any, jp_serverapp: Any) -> None:
        kernel = await notebook_kernel(jp_fetch, jp_serverapp)
        env = await kernel.value("import os\nresult = dict(os.environ)")
        assert env.get("OPENAI_API_KEY") == SECRET
        kernel.close()


class TestSandboxOnWithoutBubblewrap:
    @pytest.fixture
    def jp_server_config(
        self,
        jp_server_config: dict[str, Any],
        server_environment: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Any:
        broken = BwrapProbe(path=None, works=False, reason="bubblewrap is not installed")
        monkeypatch.setattr("jupyter_codeagent.sandbox.install.probe_bwrap", lambda: broken)
        return sandbox_config(jp_server_config)

    async def test_server_starts_reports_and_refuses_unsandboxed_kernels(
        self, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        status = sandbox_status()
        assert not status.available and not status.active
        assert status.reason and "bubblewrap is not installed" in status.reason
        with pytest.raises(HTTPClientError) as failure:
            await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
        assert failure.value.code == 500
        assert jp_serverapp.kernel_manager.list_kernel_ids() == []
