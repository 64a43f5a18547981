"""A real ipykernel shared by the tests of one module (starting one costs ~1-2 s).

Import the fixture into a test module and run that module's tests on the module's
event loop, since the kernel's ZMQ sockets and restarter live on the loop that
created them::

    from tests.kernel_fixtures import kernel_env  # noqa: F401  (fixture)
    pytestmark = pytest.mark.asyncio(loop_scope="module")
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from jupyter_codeagent.kernel import KernelBridge

CONFIGURED_SECRET = "sk-configured-DO-NOT-LEAK-42"


@dataclass
class KernelEnv:
    kernel_manager: Any
    kernel_id: str
    bridge: KernelBridge
    root: Path

    async def run(self, code: str, **kwargs: Any) -> Any:
        """Execute and return only the result (the common case in tests)."""
        result, _diff = await self.bridge.execute(self.kernel_id, code, **kwargs)
        return result

    def kill(self) -> None:
        """SIGKILL the kernel process (a crash the kernel cannot report)."""
        pid = self.kernel_manager.get_kernel(self.kernel_id).provisioner.pid
        os.kill(pid, signal.SIGKILL)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KernelEnv]:
    root = tmp_path_factory.mktemp("kernel_root")
    km = AsyncMappingKernelManager(root_dir=str(root))
    # path "" = the root, so the kernel's cwd is ``root`` (tests import modules from it)
    kernel_id = await km.start_kernel(kernel_name="python3", path=cast(Any, ""))
    bridge = KernelBridge(
        kernel_manager=km,
        session_manager=None,
        contents_manager=None,
        root_dir=str(root),
        execution_timeout=30.0,
        output_limit_chars=4000,
        secrets=lambda: [CONFIGURED_SECRET],
    )
    yield KernelEnv(kernel_manager=km, kernel_id=kernel_id, bridge=bridge, root=root)
    await bridge.close()
    await km.shutdown_all(now=True)
