"""The live notebook channel: cell operations sent to a browser that has the notebook open.

A sidebar connected to a session's events WebSocket says ``{"type": "attach"}`` when the
session's notebook is open in its JupyterLab; from then on the notebook writer sends it
``{"type": "notebook_op", "request_id", "op"}`` messages and awaits the browser's
``{"type": "notebook_ack", "request_id", "ok", "code"?, "message"?}`` (the op and ack
formats are documented in ``notebook/live.py``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from ..errors import NotebookError

Send = Callable[[dict[str, Any]], None]


class LiveNotebookHub:
    """Routes notebook operations to attached browser connections, by notebook path."""

    def __init__(self) -> None:
        self._attached: dict[str, list[Send]] = {}
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def attach(self, path: str, send: Send) -> None:
        senders = self._attached.setdefault(path, [])
        if send not in senders:
            senders.append(send)

    def detach(self, path: str, send: Send) -> None:
        senders = self._attached.get(path, [])
        if send in senders:
            senders.remove(send)
        if not senders:
            self._attached.pop(path, None)

    def is_attached(self, path: str) -> bool:
        return bool(self._attached.get(path))

    async def request(self, path: str, op: dict[str, Any], timeout: float) -> dict[str, Any]:
        senders = self._attached.get(path)
        if not senders:
            raise NotebookError(f"No browser has {path} open.")
        request_id = f"op{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            # The most recent attachment is the tab the user is looking at.
            senders[-1]({"type": "notebook_op", "request_id": request_id, "op": op})
            ack = await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(request_id, None)
        return ack

    def acknowledge(self, message: dict[str, Any]) -> None:
        future = self._waiting.get(str(message.get("request_id")))
        if future is not None and not future.done():
            future.set_result(message)
