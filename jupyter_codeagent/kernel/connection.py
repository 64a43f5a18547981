"""The bridge's single client to one kernel, and the lock that serializes its requests.

One ``AsyncKernelClient`` per kernel (from ``kernel_manager.get_kernel(id).client()``),
started once and reused: creating a client per request would pay a ZMQ connect and
an IOPub subscription handshake every time. The client is rebuilt when the kernel's
*process* changes (an automatic restart after a crash, or a user restart), because a
client connected to a dead process must never be trusted to see outputs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from queue import Empty
from typing import Any

from ..errors import KernelDiedError, KernelError, NotFound

log = logging.getLogger(__name__)

# How often a wait re-checks that the kernel process is alive. Checking is a
# ``waitpid``-style poll of the provisioner: cheap, and it is the only way to notice
# a dead kernel (a dead process sends nothing; its heartbeat just stops).
LIVENESS_TICK = 0.25
# How long a first connection waits for the IOPub subscription to be live.
_HANDSHAKE_ATTEMPT = 1.0


async def maybe_await(value: Any) -> Any:
    """Kernel-manager methods are sync or async depending on the manager class."""
    if inspect.isawaitable(value):
        return await value
    return value


class KernelConnection:
    """Client + lock + "what is running now" for one kernel id."""

    def __init__(self, kernel_id: str, kernel_manager: Any) -> None:
        self.kernel_id = kernel_id
        self._km = kernel_manager
        self.lock = asyncio.Lock()
        self._client: Any = None
        self._generation: Any = None
        # The execute request currently awaited (so ``interrupt`` can mark it).
        self.running_msg_id: str | None = None
        self.interrupt_requested = False
        self.helpers_installed = False

    # --- the kernel behind the id ----------------------------------------------

    def kernel(self) -> Any:
        try:
            return self._km.get_kernel(self.kernel_id)
        except KeyError:
            raise NotFound(f"No running kernel with id {self.kernel_id!r}.") from None

    def exists(self) -> bool:
        return self.kernel_id in self._km

    def _generation_now(self) -> Any:
        """Identity of the current kernel process (changes on every (re)start)."""
        if not self.exists():
            return None
        provisioner = getattr(self._km.get_kernel(self.kernel_id), "provisioner", None)
        if provisioner is None:
            return None
        # ``process`` is a fresh Popen per launch for the local provisioner; other
        # provisioners at least expose a pid (None: only ``is_alive`` can tell).
        return getattr(provisioner, "process", None) or getattr(provisioner, "pid", None)

    async def is_alive(self) -> bool:
        """The same kernel process we connected to is still running."""
        if not self.exists():
            return False
        if self._generation is not None and self._generation_now() != self._generation:
            return False
        try:
            return bool(await maybe_await(self.kernel().is_alive()))
        except Exception:  # a manager in the middle of a restart may raise
            return False

    async def interrupt(self) -> None:
        self.kernel()  # NotFound for an unknown id
        try:
            await maybe_await(self._km.interrupt_kernel(self.kernel_id))
        except Exception as exc:
            raise KernelError(f"Could not interrupt the kernel: {exc}") from exc

    # --- the client ------------------------------------------------------------

    async def client(self, deadline: float) -> Any:
        """A started client whose IOPub subscription is live; reconnects after restarts."""
        if self._client is not None and await self.is_alive():
            return self._client
        self.disconnect()
        kernel = self.kernel()
        await self._wait_for_process(deadline)
        client = kernel.client()
        # The client's Session is a clone of the manager's, with the same session id and
        # a message counter restarting at 0: its msg_ids would repeat those of earlier
        # clients and of the server's own requests (e.g. the kernel_info it sends on
        # restart), and a foreign "idle" could end our wait. A fresh id makes them unique.
        client.session.session = str(uuid.uuid4())
        client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        self._client, self._generation = client, self._generation_now()
        self.helpers_installed = False
        try:
            await self._handshake(client, deadline)
        except BaseException:
            self.disconnect()
            raise
        return client

    async def _wait_for_process(self, deadline: float) -> None:
        """After a crash the server restarts the kernel within a few seconds; wait."""
        loop = asyncio.get_running_loop()
        while True:
            kernel = self.kernel()
            try:
                alive = bool(await maybe_await(kernel.is_alive()))
            except Exception:
                alive = False
            if alive and getattr(kernel, "ready", None) is not None:
                ready = kernel.ready
                if not ready.done():
                    alive = False
            if alive:
                return
            if loop.time() >= deadline:
                raise KernelDiedError("The kernel is not running (it died and was not restarted).")
            await asyncio.sleep(LIVENESS_TICK / 2)

    async def _handshake(self, client: Any, deadline: float) -> None:
        """Send ``kernel_info`` until its IOPub status (or a welcome) arrives.

        A SUB socket only receives what is published after its subscription reached
        the kernel; without this wait the first outputs of the first execution could
        be lost.
        """
        loop = asyncio.get_running_loop()
        while True:
            msg_id = client.kernel_info()
            until = min(loop.time() + _HANDSHAKE_ATTEMPT, deadline)
            while (remaining := until - loop.time()) > 0:
                try:
                    msg = await client.get_iopub_msg(timeout=remaining)
                except Empty:
                    break
                if (
                    msg["header"]["msg_type"] == "iopub_welcome"
                    or msg.get("parent_header", {}).get("msg_id") == msg_id
                ):
                    return
            if loop.time() >= deadline:
                raise KernelError("The kernel did not answer (it may be busy); try again.")
            if not await self.is_alive():
                raise KernelDiedError("The kernel died while connecting.")

    async def drain_iopub(self) -> None:
        """Drop queued IOPub traffic (other clients' outputs) without decoding it.

        Our SUB socket receives every output of the kernel, including the user's own
        cells; between our requests nobody reads it, so it is emptied before each one.
        """
        if self._client is None:
            return
        socket = self._client.iopub_channel.socket
        while await socket.poll(0):
            await socket.recv_multipart(copy=False)

    def disconnect(self) -> None:
        client, self._client, self._generation = self._client, None, None
        if client is not None:
            try:
                client.stop_channels()
            except Exception:  # closing a client of a dead kernel may complain
                log.debug("stop_channels failed for kernel %s", self.kernel_id, exc_info=True)
