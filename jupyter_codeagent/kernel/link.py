"""``KernelLink``: the transport between the bridge and one kernel, whatever carries it.

A kernel is reached either as a local ZMQ client (``zmq_link.ZmqKernelLink``: the
server's own kernels, any provisioner) or over a Kernel/Enterprise Gateway's WebSocket
(``gateway_link.GatewayKernelLink``). Everything above this line — the request
waiting, the handshake, timeouts, interrupts, the helpers — is one code path over this
protocol; only sending, receiving and noticing that the kernel is gone differ.

Which kind serves a server is decided once, from its kernel manager (``link_factory``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol

Message = dict[str, Any]


async def maybe_await(value: Any) -> Any:
    """Kernel-manager methods are sync or async depending on the manager class."""
    if inspect.isawaitable(value):
        return await value
    return value


class KernelLink(Protocol):
    """One connection to one kernel, as the bridge uses it (see the module docstring)."""

    kernel_id: str

    @property
    def idle_close_after(self) -> float | None:
        """Seconds without a request after which to close the link (None: keep it)."""
        ...

    async def connect(self, deadline: float) -> None:
        """Connect to the kernel's current incarnation (waiting for a restarting one).

        Raises ``KernelDiedError`` when it is not running and will not be, ``NotFound``
        for an unknown id, ``KernelError`` when it cannot be reached by ``deadline``.
        The caller then proves the channels live with a ``kernel_info`` handshake.
        """
        ...

    def send_shell(self, msg_type: str, content: dict[str, Any]) -> str:
        """Send a shell request; returns its ``msg_id``."""
        ...

    async def next_iopub(self) -> Message:
        """The next IOPub message (possibly of other clients: callers filter by parent)."""
        ...

    async def next_shell(self) -> Message:
        """The next shell reply to one of our requests."""
        ...

    async def drain_iopub(self) -> None:
        """Drop queued IOPub traffic that arrived between our requests."""
        ...

    async def is_alive(self) -> bool:
        """Connected, and the kernel we connected to still runs (a cheap check)."""
        ...

    async def wait_until_lost(self) -> None:
        """Return once the connected kernel died, restarted or vanished; else wait forever."""
        ...

    def close(self) -> None:
        """Drop the connection (the kernel itself is the server's)."""
        ...


LinkFactory = Callable[[str], KernelLink]


def link_factory(kernel_manager: Any) -> LinkFactory:
    """How this server reaches its kernels: over a gateway, or as local ZMQ clients.

    Decided from the manager's type, once: jupyter_server swaps in the gateway
    managers for the whole server when ``--gateway-url`` is set.
    """
    from jupyter_server.gateway.managers import GatewayMappingKernelManager

    if isinstance(kernel_manager, GatewayMappingKernelManager):
        from .gateway_link import GatewayKernelLink

        return lambda kernel_id: GatewayKernelLink(kernel_id, kernel_manager)
    from .zmq_link import ZmqKernelLink

    return lambda kernel_id: ZmqKernelLink(kernel_id, kernel_manager)
