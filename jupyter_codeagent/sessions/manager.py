"""All sessions of the server: created, found again after a restart, stopped, forgotten."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..errors import BadRequest, NotFound
from ..paths import resolve_notebook_path
from ..safety.audit import AuditLog
from ..settings import Settings
from ..store import SessionRecord
from ..tools import AppContext
from .session import Session

log = logging.getLogger(__name__)

RESTART_REASON = (
    "The Jupyter server stopped while this run was in flight; send a message to continue."
)


class SessionManager:
    def __init__(self, app: AppContext, *, defaults: Callable[[], Settings]) -> None:
        self.app = app
        self.store = app.store
        self._defaults = defaults
        self._sessions: dict[str, Session] = {}
        interrupted = self.store.mark_running_sessions_failed(RESTART_REASON)
        if interrupted:
            log.warning("marked %d interrupted run(s) as failed", len(interrupted))
        cells = AuditLog(self.store).interrupted_by_restart()
        if cells:
            log.warning("marked %d cell(s) that were running as interrupted", cells)

    async def create(self, notebook_path: Any, kernel_id: Any = None) -> Session:
        if not isinstance(notebook_path, str) or not notebook_path.strip():
            raise BadRequest("'notebook_path' must be a non-empty string.")
        if kernel_id is not None and not isinstance(kernel_id, str):
            raise BadRequest("'kernel_id' must be a string when given.")
        if not notebook_path.endswith(".ipynb"):
            raise BadRequest("'notebook_path' must name a .ipynb notebook.")
        path = resolve_notebook_path(self.app.root_dir, notebook_path)
        kernel = await self.app.bridge.kernel_for_notebook(path, kernel_id)
        record = self.store.create_session(notebook_path=path, kernel_id=kernel)
        return self._wrap(record)

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            record = self.store.find_session(session_id)
            if record is None:
                raise NotFound(f"No session '{session_id}'.")
            session = self._wrap(record)
        return session

    def records(self) -> list[SessionRecord]:
        return self.store.list_sessions()

    async def delete(self, session_id: str) -> None:
        session = self.get(session_id)
        await session.stop()
        self._sessions.pop(session_id, None)
        self.store.delete_session(session_id)

    def any_running(self) -> bool:
        return any(s.running for s in self._sessions.values())

    async def close(self) -> None:
        await asyncio.gather(*(s.stop() for s in self._sessions.values()), return_exceptions=True)

    def _wrap(self, record: SessionRecord) -> Session:
        session = Session(record, app=self.app, defaults=self._defaults)
        self._sessions[record.id] = session
        return session
