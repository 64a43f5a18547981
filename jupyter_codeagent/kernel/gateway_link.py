"""``GatewayKernelLink``: a kernel behind a Kernel or Enterprise Gateway, over its WebSocket.

jupyter_server's ``GatewayKernelClient`` is not used: it reads its socket on a thread
and its async getters spin on ``asyncio.sleep(0)``, which would keep the server's event
loop busy for as long as a cell runs. Here one reader task (tornado's WebSocket client,
on the server's loop) routes the messages of *our* requests into two queues; the
kernel's REST operations (interrupt, restart, its model) stay with jupyter_server's
``GatewayKernelManager``, so interrupting is the same call for every kind of kernel.

There is no process to watch. The gateway tells us on the socket instead: ``status:
restarting`` (or ``dead``) after its restarter replaced a crashed kernel,
``shutdown_reply`` when a kernel is restarted or deleted on request, a new kernel's
``status: starting``, and the socket closing. A kernel that vanishes without a word (a
remote pod evicted, a kill on the kernel's host) leaves the socket open and silent, so
a waiting request also asks for the kernel's model now and then (404 or
``execution_state: dead`` mean gone).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.services.kernels.connection.base import deserialize_binary_message
from jupyter_server.utils import url_escape, url_path_join
from tornado import web
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

from ..errors import KernelDiedError, KernelError, NotFound
from .link import Message

log = logging.getLogger(__name__)

# How often a waiting request asks the gateway whether its kernel still exists. Only
# deletion and culling need it (everything else arrives on the socket), so it is slow.
MODEL_CHECK_INTERVAL = 2.0
# One WebSocket frame carries one whole message; tornado's default cap (10 MiB) would
# cut the link on a large figure, which would look like a dead kernel.
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
# An open socket counts as a connection, and gateways (like jupyter_server) do not cull
# idle kernels that have one by default: an idle link is closed so culling still works.
IDLE_CLOSE_AFTER = 60.0
# Statuses no live kernel sends about itself: the incarnation we talked to is over.
_ENDED_STATES = frozenset({"restarting", "dead", "starting"})


def _decode(raw: str | bytes) -> Message:
    """A WebSocket frame of the default Jupyter protocol (JSON, binary with buffers)."""
    if isinstance(raw, bytes):
        return dict(deserialize_binary_message(raw))
    return dict(json.loads(raw))


def _ends_incarnation(msg: Message) -> str | None:
    """Why ``msg`` (not caused by us) says the connected kernel is gone, if it does."""
    msg_type = msg.get("header", {}).get("msg_type")
    if msg_type == "shutdown_reply":
        return "the kernel shut down (restart or shutdown)"
    if msg_type == "status":
        state = msg.get("content", {}).get("execution_state")
        if state in _ENDED_STATES:
            return f"the gateway reported the kernel {state}"
    return None


class GatewayKernelLink:
    """The gateway's kernel channels WebSocket for one kernel (see the module docstring)."""

    def __init__(self, kernel_id: str, kernel_manager: Any) -> None:
        self.kernel_id = kernel_id
        self._km = kernel_manager
        # Only builds our messages (the gateway signs what it forwards to the kernel); the
        # fresh session id is how the reader tells our replies from other clients'.
        self._session = Session(session=str(uuid.uuid4()), username="codeagent")
        self._ws: WebSocketClientConnection | None = None
        self._reader: asyncio.Future[None] | None = None
        self._lost: asyncio.Future[str] | None = None
        self._iopub: asyncio.Queue[Message] = asyncio.Queue()
        self._shell: asyncio.Queue[Message] = asyncio.Queue()
        # Lifecycle statuses count once our own traffic flows: until then they may be
        # about the incarnation before the one we are connecting to.
        self._armed = False

    @property
    def idle_close_after(self) -> float | None:
        return IDLE_CLOSE_AFTER

    def _kernel(self) -> Any:
        try:
            return self._km.get_kernel(self.kernel_id)
        except KeyError:
            raise NotFound(f"No running kernel with id {self.kernel_id!r}.") from None

    def _channels_url(self) -> str:
        gateway = GatewayClient.instance()
        base, kernels = gateway.ws_url or "", gateway.kernels_endpoint
        return str(url_path_join(base, kernels, url_escape(self.kernel_id), "channels"))

    async def _model(self) -> dict[str, Any] | None:
        """The gateway's model of the kernel; None when it no longer exists there."""
        try:
            model = await self._kernel().refresh_model()
        except web.HTTPError as exc:
            raise KernelError(f"The gateway did not answer about the kernel: {exc}") from exc
        if not model or model.get("execution_state") == "dead":
            return None
        return dict(model)

    # --- connecting ---------------------------------------------------------------

    async def connect(self, deadline: float) -> None:
        self.close()
        if await self._model() is None:
            raise KernelDiedError("The kernel is not running on the gateway (died or culled).")
        loop = asyncio.get_running_loop()
        connection_args = GatewayClient.instance().load_connection_args()
        request = HTTPRequest(self._channels_url(), **connection_args)
        try:
            ws = await asyncio.wait_for(
                websocket_connect(request, max_message_size=MAX_MESSAGE_BYTES),
                timeout=max(deadline - loop.time(), 0.1),
            )
        except asyncio.TimeoutError:
            raise KernelError("The gateway did not open the kernel's channels in time.") from None
        except HTTPClientError as exc:
            if exc.code == 404:
                raise KernelDiedError("The kernel is not running on the gateway.") from exc
            raise KernelError(f"The gateway refused the kernel's channels: {exc}") from exc
        except OSError as exc:
            raise KernelError(f"Could not reach the gateway: {exc}") from exc
        self._ws, self._armed = ws, False
        self._iopub, self._shell = asyncio.Queue(), asyncio.Queue()
        self._lost = loop.create_future()
        self._reader = asyncio.ensure_future(self._read(ws, self._lost))

    async def _read(self, ws: WebSocketClientConnection, lost: asyncio.Future[str]) -> None:
        reason = "the gateway closed the kernel's connection"
        try:
            while (raw := await ws.read_message()) is not None:
                ended = self._route(_decode(raw))
                if ended is not None:
                    reason = ended
                    break
        except Exception as exc:  # a malformed frame or a broken socket: same outcome
            reason = f"the connection to the gateway failed: {exc}"
        finally:
            ws.close()
            if not lost.done():  # else we closed it ourselves
                lost.set_result(reason)
                log.info("kernel %s link lost: %s", self.kernel_id, reason)

    def _route(self, msg: Message) -> str | None:
        """Queue the replies and outputs of our requests; return why the kernel is gone."""
        ours = (msg.get("parent_header") or {}).get("session") == self._session.session
        channel = msg.get("channel")
        if ours and channel == "iopub":
            self._armed = True
            self._iopub.put_nowait(msg)
        elif ours and channel == "shell":
            self._shell.put_nowait(msg)
        elif channel == "iopub" and self._armed:
            return _ends_incarnation(msg)
        return None  # other clients' traffic: never queued, so nothing piles up

    # --- the KernelLink operations ------------------------------------------------

    def send_shell(self, msg_type: str, content: dict[str, Any]) -> str:
        msg = self._session.msg(msg_type, content)
        msg["channel"] = "shell"
        msg_id = str(msg["header"]["msg_id"])
        if self._ws is None:
            raise KernelError("Not connected to the kernel.")
        try:
            sent = self._ws.write_message(json.dumps(msg, default=json_default))
        except WebSocketClosedError:
            self._mark_lost("the gateway closed the kernel's connection")
            return msg_id  # the waiting request sees the loss, as for any other death
        sent.add_done_callback(lambda done: done.cancelled() or done.exception())
        return msg_id

    async def next_iopub(self) -> Message:
        return await self._iopub.get()

    async def next_shell(self) -> Message:
        return await self._shell.get()

    async def drain_iopub(self) -> None:
        while not self._iopub.empty():
            self._iopub.get_nowait()

    async def is_alive(self) -> bool:
        return self._lost is not None and not self._lost.done() and self.kernel_id in self._km

    async def wait_until_lost(self) -> None:
        lost = self._lost
        if lost is None:
            return
        while True:
            done, _pending = await asyncio.wait({lost}, timeout=MODEL_CHECK_INTERVAL)
            if done:
                return
            if self.kernel_id not in self._km:
                self._mark_lost("the kernel was shut down")
                return
            try:
                model = await self._model()
            except KernelError:
                continue  # the gateway is slow or away: the socket closing will tell
            if model is None:
                self._mark_lost("the kernel no longer exists on the gateway")
                return

    def _mark_lost(self, reason: str) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(reason)
            log.info("kernel %s link lost: %s", self.kernel_id, reason)

    def close(self) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result("closed")
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()
