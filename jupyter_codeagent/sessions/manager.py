"""All sessions of the server: created, found again after a restart, stopped, forgotten."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from ..errors import BadRequest, NotFound
from ..paths import resolve_notebook_path
from ..safety.audit import AuditLog
from ..settings import Settings
from ..store import SessionRecord
from ..tools import AppContext
from ..tools.cell_log import stop_unfinished_cells
from ..tools.cell_record import UNFINISHED
from .session import Session

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_TITLE_CHARS = 200
# Statuses of a run in flight, as stored.
_IN_FLIGHT = ("running", "waiting")
# The day budget looks back one day; older ledger rows are dropped at startup.
SPEND_KEPT_SECONDS = 35 * 24 * 3600

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
        # Nothing waits or runs before the server is up: cells that did are stopped (a
        # shutdown can come between a cell's "running" and its end).
        unfinished = self.store.sessions_with_cells(UNFINISHED)
        stopped = sum(stop_unfinished_cells(self.store, sid) for sid in unfinished)
        if stopped:
            log.warning("marked %d cell(s) that waited or ran as stopped", stopped)
        cells = AuditLog(self.store).interrupted_by_restart()
        if cells:
            log.warning("marked %d cell(s) that were running as interrupted", cells)
        self.store.prune_spend(time.time() - SPEND_KEPT_SECONDS)

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

    async def listing(self, query: Any = None) -> list[dict[str, Any]]:
        """The sessions (most recently active first) as the list shows them, each with
        ``notebook_exists``; with ``query``, only those whose title or notebook path
        contains it or whose conversation has its words (``match``: where)."""
        if query is None or (isinstance(query, str) and not query.strip()):
            found: list[tuple[SessionRecord, str | None]] = [
                (record, None) for record in self.store.list_sessions()
            ]
        elif not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
            raise BadRequest(f"'q' must be text of at most {MAX_QUERY_CHARS} characters.")
        else:
            found = self.store.search_sessions(query)
        exists = await self._notebooks_exist({record.notebook_path for record, _ in found})
        listed = []
        for record, match in found:
            body = {**record.to_json(), "notebook_exists": exists[record.notebook_path]}
            if match is not None:
                body["match"] = match
            listed.append(body)
        return listed

    def rename(self, session_id: str, title: Any) -> SessionRecord:
        if not isinstance(title, str) or not title.strip():
            raise BadRequest("'title' must be a non-empty string.")
        title = " ".join(title.split())
        if len(title) > MAX_TITLE_CHARS:
            raise BadRequest(f"'title' is longer than {MAX_TITLE_CHARS} characters.")
        self.get(session_id)  # NotFound for unknown ids
        return self.store.rename_session(session_id, title)

    async def delete_orphaned(self) -> list[str]:
        """Forget the sessions whose notebook no longer exists (none with a run in
        flight: its notebook may be about to be written); their ids."""
        records = self.store.list_sessions()
        exists = await self._notebooks_exist({record.notebook_path for record in records})
        deleted = []
        for record in records:
            session = self._sessions.get(record.id)
            busy = session.running if session is not None else record.status in _IN_FLIGHT
            if not exists[record.notebook_path] and not busy:
                await self.delete(record.id)
                deleted.append(record.id)
        return deleted

    async def _notebooks_exist(self, paths: set[str]) -> dict[str, bool]:
        """Ask the contents manager (local disk, S3, a hub's storage...) about each path."""
        ordered = sorted(paths)
        answers = await asyncio.gather(*(self._notebook_exists(path) for path in ordered))
        return dict(zip(ordered, answers, strict=True))

    async def _notebook_exists(self, path: str) -> bool:
        contents = self.app.contents_manager
        if contents is None:  # no contents manager (a bare AppContext): the file system
            return os.path.isfile(os.path.join(self.app.root_dir, path))
        try:
            answer = contents.file_exists(path)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception:  # an unreadable path is not proof the notebook is gone
            log.debug("cannot tell whether %s exists", path, exc_info=True)
            return True
        return bool(answer)

    async def delete(self, session_id: str) -> None:
        session = self.get(session_id)
        await session.stop()
        session.events.drop_unstored()
        self._sessions.pop(session_id, None)
        self.store.delete_session(session_id)

    # --- the notebooks follow the files (jupyter_server's contents events) ---------------

    def notebook_moved(self, old: str, new: str) -> list[str]:
        """``old`` (a notebook or a folder) was renamed or moved to ``new``: its sessions,
        their runs and the browsers attached follow. The ids of the sessions moved."""
        moved = []
        for record in self.store.list_sessions():
            path = _moved_path(record.notebook_path, old, new)
            if path is None:
                continue
            self.get(record.id).moved(path)
            if self.app.live_hub is not None:
                self.app.live_hub.moved(record.notebook_path, path)
            moved.append(record.id)
            log.info("session %s follows %s to %s", record.id, record.notebook_path, path)
        return moved

    async def notebook_deleted(self, path: str) -> list[str]:
        """``path`` (a notebook or a folder) was deleted: its sessions end cleanly."""
        ended = []
        for record in self.store.list_sessions():
            if _moved_path(record.notebook_path, path, path) is not None:
                await self.get(record.id).notebook_deleted()
                ended.append(record.id)
        return ended

    def any_running(self) -> bool:
        return any(s.running for s in self._sessions.values())

    async def close(self) -> None:
        await asyncio.gather(*(s.stop() for s in self._sessions.values()), return_exceptions=True)
        for session in self._sessions.values():
            session.events.flush()

    def _wrap(self, record: SessionRecord) -> Session:
        session = Session(record, app=self.app, defaults=self._defaults)
        self._sessions[record.id] = session
        return session


def _moved_path(path: str, old: str, new: str) -> str | None:
    """Where ``path`` is once ``old`` became ``new`` (None if it is not under ``old``)."""
    old, new = old.strip("/"), new.strip("/")
    if path == old:
        return new
    if old and path.startswith(old + "/"):
        return new + path[len(old) :]
    return None
