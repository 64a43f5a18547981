"""The bridge's single link to one kernel, and the lock that serializes its requests.

The link (local ZMQ or gateway WebSocket, see ``link.py``) is opened once and reused
while the kernel we reached lives; once it is gone (died, restarted, deleted) the next
request opens a new one. A link that asks for it (``idle_close_after``) is also closed
after that long without a request of ours. Opening ends with a ``kernel_info``
handshake — the same for every kind of link — that proves the output channel live and
tells the kernel's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from ..errors import KernelDiedError, KernelError, NotFound
from .link import KernelLink, LinkFactory, maybe_await
from .outputs import OutputCollector
from .waiting import wait_for_request

log = logging.getLogger(__name__)

# How long one ``kernel_info`` of the handshake waits before it is sent again.
_HANDSHAKE_ATTEMPT = 1.0


async def _give_up() -> float | None:
    return None


class KernelConnection:
    """Link + lock + "what is running now" for one kernel id."""

    def __init__(self, kernel_id: str, kernel_manager: Any, new_link: LinkFactory) -> None:
        self.kernel_id = kernel_id
        self._km = kernel_manager
        self.lock = asyncio.Lock()
        self.link: KernelLink = new_link(kernel_id)
        self._open = False
        # The kernel's language (``language_info.name`` of its kernel_info reply).
        self.language = ""
        # The execute request currently awaited (so ``interrupt`` can mark it).
        self.running_msg_id: str | None = None
        self.interrupt_requested = False
        self.helpers_installed = False
        self._idle_close: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the kernel for one of our requests: they take turns, in order."""
        async with self.lock:
            if self._idle_close is not None:
                self._idle_close.cancel()
                self._idle_close = None
            try:
                yield
            finally:
                idle_after = self.link.idle_close_after
                if idle_after is not None and self._open:
                    loop = asyncio.get_running_loop()
                    self._idle_close = loop.call_later(idle_after, self._close_if_idle)

    def _close_if_idle(self) -> None:
        self._idle_close = None
        if not self.lock.locked():
            log.debug("closing the idle link to kernel %s", self.kernel_id)
            self.disconnect()

    def exists(self) -> bool:
        return self.kernel_id in self._km

    async def is_alive(self) -> bool:
        """The kernel we are connected to still runs."""
        return self._open and await self.link.is_alive()

    async def interrupt(self) -> None:
        """Interrupt through the kernel manager: a signal locally, REST on a gateway."""
        if not self.exists():
            raise NotFound(f"No running kernel with id {self.kernel_id!r}.")
        try:
            await maybe_await(self._km.interrupt_kernel(self.kernel_id))
        except Exception as exc:
            raise KernelError(f"Could not interrupt the kernel: {exc}") from exc

    async def open(self, deadline: float) -> KernelLink:
        """A link whose channels are live; reconnects after the kernel died or restarted."""
        if self._open and await self.link.is_alive():
            return self.link
        self.disconnect()
        if not self.exists():
            raise NotFound(f"No running kernel with id {self.kernel_id!r}.")
        await self.link.connect(deadline)
        self._open, self.helpers_installed = True, False
        try:
            self.language = await self._handshake(deadline)
        except BaseException:
            self.disconnect()
            raise
        return self.link

    async def _handshake(self, deadline: float) -> str:
        """Send ``kernel_info`` until both its reply and its IOPub ``idle`` arrive.

        A subscription only receives what is published after it reached the kernel;
        without this wait the first outputs of the first execution could be lost.
        """
        loop = asyncio.get_running_loop()
        while True:
            await self.link.drain_iopub()
            msg_id = self.link.send_shell("kernel_info_request", {})
            attempt_end = min(loop.time() + _HANDSHAKE_ATTEMPT, deadline)
            outcome = await wait_for_request(
                self.link,
                msg_id,
                collector=OutputCollector(),
                deadline=attempt_end,
                on_deadline=_give_up,
                iopub_grace=max(attempt_end - loop.time(), 0.0),
            )
            if outcome.died:
                raise KernelDiedError("The kernel died while connecting.")
            if outcome.reply is not None and outcome.idle:
                info = outcome.reply.get("content", {}).get("language_info") or {}
                return str(info.get("name") or "")
            if loop.time() >= deadline:
                raise KernelError("The kernel did not answer (it may be busy); try again.")

    def disconnect(self) -> None:
        if self._idle_close is not None:
            self._idle_close.cancel()
            self._idle_close = None
        self._open = False
        self.link.close()
