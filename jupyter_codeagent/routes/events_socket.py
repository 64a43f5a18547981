"""The events WebSocket: a session's event replay and live stream, and the notebook
link of the JupyterLab that has the notebook open."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
import tornado.websocket
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler

from ..app import CodeAgentApp
from ..errors import CodeAgentError
from ..notebook.cells import reported_cells
from ..sessions import Session
from .base import AUTH_RESOURCE, MAX_SEQ, whole_number

REPLAY_PAGE = 500


class EventsWebSocket(JupyterHandler, tornado.websocket.WebSocketHandler):
    """Replays a session's events after ``?after=SEQ``, then streams live ones.

    The client may send ``{"type": "attach", "cells"?: [...]}`` (its JupyterLab has the
    notebook open: agent cells are applied live; ``cells`` are the agent cells it has,
    which the session reconciles with its record) and ``{"type": "notebook_ack", ...}``.
    """

    auth_resource = AUTH_RESOURCE
    session: Session
    _pump: asyncio.Task[None] | None = None
    _reconcile: asyncio.Task[None] | None = None
    _attached: bool = False

    async def pre_get(self) -> None:
        authorized_ = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized_:
            raise tornado.web.HTTPError(403)

    @ws_authenticated
    async def get(self, session_id: str) -> None:
        await self.pre_get()
        app = self.settings.get("codeagent")
        if not isinstance(app, CodeAgentApp):
            raise tornado.web.HTTPError(503)
        try:
            self.session = app.sessions.get(session_id)
        except CodeAgentError as error:
            raise tornado.web.HTTPError(error.status, error.message) from None
        after = whole_number(self.get_argument("after", "0"))
        if after is None or after > MAX_SEQ:
            raise tornado.web.HTTPError(400, "'after' must be a whole number (an event seq)")
        self._after = after
        result = super().get(session_id)
        if result is not None:
            await result

    def open(self, session_id: str) -> None:
        self._pump = asyncio.create_task(self._stream(self.session.subscribe()))

    async def _stream(self, queue: asyncio.Queue[Any]) -> None:
        last = self._after
        try:
            while True:  # replay in pages so a long history never blocks the loop for long
                page = self.session.store.events_after(self.session.id, last, REPLAY_PAGE)
                for record in page:
                    self._send(record.to_json())
                    last = record.seq
                if len(page) < REPLAY_PAGE:
                    break
                await asyncio.sleep(0)
            while True:
                record = await queue.get()
                if record.seq > last:
                    self._send(record.to_json())
                    last = record.seq
        except tornado.websocket.WebSocketClosedError:
            pass
        finally:
            self.session.unsubscribe(queue)

    def _send(self, body: dict[str, Any]) -> None:
        self.write_message(json.dumps(body))

    def on_message(self, message: str | bytes) -> None:
        try:
            body = json.loads(message)
        except ValueError:
            return  # a confused client must not break the stream
        if not isinstance(body, dict):
            return
        hub = self.session.app.live_hub
        if body.get("type") == "attach" and hub is not None:
            hub.attach(self.session.notebook_path, self._send)
            self._attached = True
            # The browser's notebook may lag behind the session (a reload): catch it up.
            self._reconcile = asyncio.create_task(self._catch_up(body.get("cells")))
        elif body.get("type") == "detach" and hub is not None:
            hub.detach(self.session.notebook_path, self._send)
            self._attached = False
        elif body.get("type") == "notebook_ack" and hub is not None:
            hub.acknowledge(body)

    async def _catch_up(self, cells: Any) -> None:
        try:
            await self.session.cells().sync_notebook(reported_cells(cells))
        except Exception:  # the notebook stays as it is; the next attach tries again
            self.log.exception("codeagent: reconciling %s failed", self.session.notebook_path)

    def on_close(self) -> None:
        if self._attached and self.session.app.live_hub is not None:
            self.session.app.live_hub.detach(self.session.notebook_path, self._send)
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
