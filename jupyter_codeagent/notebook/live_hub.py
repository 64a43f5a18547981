"""The live notebook channel: cell operations sent to the browsers that have a notebook open.

A sidebar connected to a session's events WebSocket says ``{"type": "attach"}`` when the
session's notebook is open in its JupyterLab; from then on the notebook writer sends
``{"type": "notebook_op", "request_id", "op"}`` messages to every browser attached to
that notebook and awaits the acknowledgement ``{"type": "notebook_ack", "request_id",
"ok", "code"?, "message"?}`` of one of them, the *primary*: the most recent attachment,
i.e. the tab the user opened last. Only the primary is asked to save (``op["save"]``);
the others show the change and stay as clean as they were (the op and ack formats are
documented in ``notebook/live.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

from ..errors import NotebookError

Send = Callable[[dict[str, Any]], None]

log = logging.getLogger(__name__)


class LiveNotebookHub:
    """Routes notebook operations to attached browser connections, by notebook path."""

    def __init__(self) -> None:
        self._attached: dict[str, list[Send]] = {}
        # request id -> (the primary's answer, the primary it was sent to)
        self._waiting: dict[str, tuple[asyncio.Future[dict[str, Any]], Send]] = {}
        self._ids = itertools.count(1)

    def attach(self, path: str, send: Send) -> None:
        senders = self._attached.setdefault(path, [])
        if send in senders:
            senders.remove(send)  # attaching again makes it the primary
        senders.append(send)

    def detach(self, path: str, send: Send) -> None:
        """``send``'s tab closed the notebook or its connection.

        What it was asked and has not answered is answered now, as not applied: a tab
        that reloads or closes never answers, and the writer should not wait out its
        timeout before writing the file (the run would stall that long).
        """
        senders = self._attached.get(path, [])
        if send in senders:
            senders.remove(send)
        if not senders:
            self._attached.pop(path, None)
        for future, primary in list(self._waiting.values()):
            if primary == send and not future.done():
                future.set_result(
                    {"ok": False, "code": "detached", "message": "The tab went away."}
                )

    def is_attached(self, path: str) -> bool:
        return bool(self._attached.get(path))

    def moved(self, old: str, new: str) -> None:
        """The notebook ``old`` is now ``new`` (a rename or a move): its browsers follow."""
        senders = self._attached.pop(old, None)
        if senders:
            self._attached.setdefault(new, []).extend(senders)

    async def request(self, path: str, op: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``op`` to every browser that has ``path`` open; the primary's answer."""
        senders = list(self._attached.get(path, ()))
        if not senders:
            raise NotebookError(f"No browser has {path} open.")
        *others, primary = senders
        for send in others:  # their acknowledgements are not awaited
            try:
                send({"type": "notebook_op", "request_id": self._next_id(), "op": op})
            except Exception:  # a tab closing: it reports its cells when it attaches again
                log.debug("a browser of %s did not take an operation", path, exc_info=True)
        request_id = self._next_id()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, primary)
        try:
            primary(
                {
                    "type": "notebook_op",
                    "request_id": request_id,
                    "op": op if op.get("transient") else {**op, "save": True},
                }
            )
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(request_id, None)

    def acknowledge(self, message: dict[str, Any]) -> None:
        waiting = self._waiting.get(str(message.get("request_id")))
        if waiting is not None and not waiting[0].done():
            waiting[0].set_result(message)

    def _next_id(self) -> str:
        return f"op{next(self._ids)}"
