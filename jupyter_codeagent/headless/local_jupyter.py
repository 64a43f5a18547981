"""The Jupyter managers a server would own, built standalone for one notebook folder.

The agents reach kernels and files only through jupyter_server's kernel, session and
contents managers; building the same classes here (instead of talking to
jupyter_client directly) lets the headless run share every line of ``KernelBridge``
and ``FileNotebookWriter`` with the server, including how the notebook's kernel is
chosen and where it runs (the notebook's folder, like in JupyterLab).
"""

from __future__ import annotations

import contextlib
import logging
import os

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.services.sessions.sessionmanager import SessionManager

log = logging.getLogger(__name__)
_contents_log = logging.getLogger(f"{__name__}.contents")
_contents_log.setLevel(logging.ERROR)


class LocalJupyter:
    """Kernel, session and contents managers rooted at ``root_dir``; no HTTP server."""

    def __init__(self, root_dir: str) -> None:
        self.root_dir = root_dir
        # Its "notebook is not trusted" warnings are about a browser's trust UI, which a
        # terminal run does not have: keep them out of the user's output.
        self.contents_manager = AsyncFileContentsManager(root_dir=root_dir, log=_contents_log)
        # Connection files (they hold the kernel's signing key) go where Jupyter keeps
        # them, never beside the user's notebook (the default is the current folder).
        runtime_dir = jupyter_runtime_dir()
        os.makedirs(runtime_dir, mode=0o700, exist_ok=True)
        self.kernel_manager = AsyncMappingKernelManager(
            root_dir=root_dir, connection_dir=runtime_dir, kernel_spec_manager=KernelSpecManager()
        )
        # In memory: the headless run is the only client of these sessions.
        self.session_manager = SessionManager(
            kernel_manager=self.kernel_manager,
            contents_manager=self.contents_manager,
            database_filepath=":memory:",
        )

    async def close(self) -> None:
        """Shut the kernels down (politely first: the kernel gets to flush and exit)."""
        try:
            await self.kernel_manager.shutdown_all()
        except Exception:  # a failing shutdown must not hide the run's own outcome
            log.warning("kernel shutdown failed; killing", exc_info=True)
            with contextlib.suppress(Exception):
                await self.kernel_manager.shutdown_all(now=True)
        self.session_manager.close()
