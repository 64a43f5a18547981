"""Which cells an undo or a revert concerns, and the context undo works in (no run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Conflict
from ..settings import Settings
from ..store import SessionStore
from ..tools import RunContext
from ..tools.context import Reviewer
from ..tools.undo import RAN

if TYPE_CHECKING:
    from .session import Session


def cell_ids_to_undo(store: SessionStore, session_id: str, cell_id: str | None) -> list[str]:
    """``[cell_id]``, or (None: a revert) the last run's cells that ran, newest first."""
    if cell_id is not None:
        return [cell_id]
    page = store.turns_before(session_id, None, 1)
    if not page.events:
        raise Conflict("This session has no run to revert.")
    ran = [c for c in store.list_cells(session_id, since=page.start_ts) if c.status in RAN]
    if not ran:
        raise Conflict("The last run has no cell left to undo.")
    return [c.cell_id for c in reversed(ran)]


def undo_context(
    session: Session, settings: Settings, reviewer: Reviewer, kernel_id: str | None
) -> RunContext:
    """A context for work outside a run: the session's services, its kernel as it is
    (undo data lives in that kernel: never a new one)."""

    async def kernel_that_ran() -> str:
        if not kernel_id:
            raise Conflict("This session has no kernel: nothing ran to undo.")
        return kernel_id

    return RunContext(
        app=session.app,
        settings=settings,
        session_id=session.id,
        notebook_path=session.notebook_path,
        emit=session.emit,
        human=session,
        kernel_id=kernel_that_ran,
        review=reviewer,
        redact=session.redactor,
    )
