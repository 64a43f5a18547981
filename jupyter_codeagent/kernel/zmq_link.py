"""``ZmqKernelLink``: a kernel of this server's own kernel manager, as a local ZMQ client.

One ``AsyncKernelClient`` (from ``kernel_manager.get_kernel(id).client()``), kept while
the kernel's *process* lives: creating a client per request would pay a ZMQ connect and
an IOPub subscription handshake every time. A new process (an automatic restart after a
crash, or a user restart) means a new link, because a client connected to a dead
process must never be trusted to see outputs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from ..errors import KernelDiedError, NotFound
from .link import Message, maybe_await

log = logging.getLogger(__name__)

# How often a waiting request re-checks that the kernel process is alive. Checking is
# a ``waitpid``-style poll of the provisioner: cheap, and it is the only way to notice
# a dead local kernel (a dead process sends nothing; its heartbeat just stops).
LIVENESS_TICK = 0.25


class ZmqKernelLink:
    """ZMQ shell + IOPub channels to one local kernel (see the module docstring)."""

    def __init__(self, kernel_id: str, kernel_manager: Any) -> None:
        self.kernel_id = kernel_id
        self._km = kernel_manager
        self._client: Any = None
        self._generation: Any = None

    @property
    def idle_close_after(self) -> float | None:
        return None  # a ZMQ client costs the kernel nothing while it waits

    def _kernel(self) -> Any:
        try:
            return self._km.get_kernel(self.kernel_id)
        except KeyError:
            raise NotFound(f"No running kernel with id {self.kernel_id!r}.") from None

    def _generation_now(self) -> Any:
        """Identity of the current kernel process (changes on every (re)start)."""
        if self.kernel_id not in self._km:
            return None
        provisioner = getattr(self._km.get_kernel(self.kernel_id), "provisioner", None)
        if provisioner is None:
            return None
        # ``process`` is a fresh Popen per launch for the local provisioner; other
        # provisioners at least expose a pid (None: only ``is_alive`` can tell).
        return getattr(provisioner, "process", None) or getattr(provisioner, "pid", None)

    async def is_alive(self) -> bool:
        if self._client is None or self.kernel_id not in self._km:
            return False
        if self._generation is not None and self._generation_now() != self._generation:
            return False
        try:
            return bool(await maybe_await(self._kernel().is_alive()))
        except Exception:  # a manager in the middle of a restart may raise
            return False

    async def connect(self, deadline: float) -> None:
        self.close()
        kernel = self._kernel()
        await self._wait_for_process(deadline)
        client = kernel.client()
        # The client's Session is a clone of the manager's, with the same session id and
        # a message counter restarting at 0: its msg_ids would repeat those of earlier
        # clients and of the server's own requests (e.g. the kernel_info it sends on
        # restart), and a foreign "idle" could end our wait. A fresh id makes them unique.
        client.session.session = str(uuid.uuid4())
        client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        self._client, self._generation = client, self._generation_now()

    async def _wait_for_process(self, deadline: float) -> None:
        """After a crash the server restarts the kernel within a few seconds; wait."""
        loop = asyncio.get_running_loop()
        while True:
            kernel = self._kernel()
            try:
                alive = bool(await maybe_await(kernel.is_alive()))
            except Exception:
                alive = False
            ready = getattr(kernel, "ready", None)
            if alive and (ready is None or ready.done()):
                return
            if loop.time() >= deadline:
                raise KernelDiedError("The kernel is not running (it died and was not restarted).")
            await asyncio.sleep(LIVENESS_TICK / 2)

    def send_shell(self, msg_type: str, content: dict[str, Any]) -> str:
        msg = self._client.session.msg(msg_type, content)
        self._client.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    async def next_iopub(self) -> Message:
        return dict(await self._client.get_iopub_msg())

    async def next_shell(self) -> Message:
        return dict(await self._client.get_shell_msg())

    async def drain_iopub(self) -> None:
        """Our SUB socket receives every output of the kernel, the user's cells too."""
        if self._client is None:
            return
        socket = self._client.iopub_channel.socket
        while await socket.poll(0):
            await socket.recv_multipart(copy=False)

    async def wait_until_lost(self) -> None:
        while await self.is_alive():
            await asyncio.sleep(LIVENESS_TICK)

    def close(self) -> None:
        client, self._client, self._generation = self._client, None, None
        if client is not None:
            try:
                client.stop_channels()
            except Exception:  # closing a client of a dead kernel may complain
                log.debug("stop_channels failed for kernel %s", self.kernel_id, exc_info=True)
