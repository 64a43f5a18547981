"""Every change of an agent cell's status is one event; the rest follows from it.

``CellLog`` emits the event (stored and sent to every sidebar), then applies the same
event to the session's cells table (``project``) and to the notebook document. Nothing
else writes a cell's status, so the sidebar, the table and the notebook cannot tell
three different stories.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import CodeAgentError
from ..events import (
    CellBlocked,
    CellExecuted,
    CellExecuting,
    CellProposed,
    CellRejected,
    CellStopped,
    CellUndone,
    ErrorReported,
    Event,
    Review,
)
from ..kernel import ExecutionResult, UndoneCell, UndoReadiness
from ..store import CellRecord

if TYPE_CHECKING:
    from .context import RunContext

log = logging.getLogger(__name__)

CellEvent = (
    CellProposed
    | CellExecuting
    | CellExecuted
    | CellRejected
    | CellBlocked
    | CellStopped
    | CellUndone
)
C = TypeVar(
    "C",
    CellProposed,
    CellExecuting,
    CellExecuted,
    CellRejected,
    CellBlocked,
    CellStopped,
    CellUndone,
)


def project(record: CellRecord | None, event: CellEvent, *, now: float) -> CellRecord:
    """The cells-table row after ``event`` (pure: also how a row is rebuilt from events)."""
    if isinstance(event, CellProposed):
        return CellRecord(
            cell_id=event.cell_id,
            task_id=event.task_id,
            source=event.source,
            explanation=event.explanation,
            review=event.to_json()["review"],
            status="proposed",
            outputs=[],
            execution_count=None,
            created=now,
            updated=now,
        )
    if record is None:
        raise ValueError(f"{event.type} for cell {event.cell_id} before its proposal")
    if isinstance(event, CellExecuting):
        source = event.source if event.source is not None else record.source
        return replace(record, status="running", source=source, updated=now)
    if isinstance(event, CellExecuted):
        return replace(
            record,
            status="done" if event.status == "ok" else "error",
            outputs=[dict(o) for o in event.outputs],
            execution_count=event.execution_count,
            updated=now,
        )
    status = {
        CellRejected: "rejected",
        CellBlocked: "blocked",
        CellStopped: "stopped",
        CellUndone: "undone",
    }
    return replace(record, status=status[type(event)], updated=now)


class CellLog:
    """The run's cells: each transition emitted once, then stored and written."""

    def __init__(self, run: RunContext) -> None:
        self.run = run

    def record(self, cell_id: str) -> CellRecord:
        return self.run.app.store.get_cell(self.run.session_id, cell_id)

    async def proposed(
        self,
        *,
        cell_id: str,
        source: str,
        explanation: str,
        review: Review,
        task_id: str | None,
        needs_approval: bool,
        undo: UndoReadiness | None = None,
    ) -> None:
        run = self.run
        event = run.redact.event(
            CellProposed(
                cell_id=cell_id,
                source=source,
                explanation=explanation,
                review=review,
                needs_approval=needs_approval,
                task_id=task_id,
                undoable=None if undo is None else undo.undoable,
                undo_note="; ".join(undo.problems) if undo and undo.problems else None,
            )
        )
        # The notebook first: once the event is out, the user may approve at once, and
        # nothing may stand between the event and the run waiting for that decision.
        try:
            await run.app.writer.insert_cell(
                run.notebook_path,
                session_id=run.session_id,
                cell_id=cell_id,
                source=event.source,
                status="proposed",
                after=run.last_cell_id,
            )
        except CodeAgentError as error:
            self._notebook_failed(error)
        run.last_cell_id = cell_id
        self._apply(event)

    def blocked(
        self,
        *,
        cell_id: str,
        source: str,
        explanation: str,
        review: Review,
        task_id: str | None,
        reason: str,
    ) -> None:
        """Shown as a card, never written into the notebook: it will never run."""
        self._apply(
            CellProposed(
                cell_id=cell_id,
                source=source,
                explanation=explanation,
                review=review,
                needs_approval=False,
                task_id=task_id,
            )
        )
        self._apply(CellBlocked(cell_id=cell_id, reason=reason))

    async def executing(
        self,
        cell_id: str,
        *,
        source: str,
        approved_by: str | None,
        undo: UndoReadiness | None = None,
    ) -> None:
        edited = source != self.record(cell_id).source
        self._apply(
            CellExecuting(
                cell_id=cell_id,
                source=source if edited else None,
                approved_by=approved_by,
                undoable=None if undo is None else undo.undoable,
                undo_note="; ".join(undo.problems) if undo and undo.problems else None,
            )
        )
        await self._write(cell_id, source=source if edited else None, status="running")

    async def executed(self, cell_id: str, result: ExecutionResult) -> None:
        event = self._apply(
            CellExecuted(
                cell_id=cell_id,
                status=result.status,
                execution_count=result.execution_count,
                outputs=tuple(dict(o) for o in result.outputs),
            )
        )
        await self._write(
            cell_id,
            status="done" if result.status == "ok" else "error",
            outputs=[dict(o) for o in event.outputs],  # secrets taken out
            execution_count=result.execution_count,
        )

    async def rejected(self, cell_id: str, reason: str | None) -> None:
        self._apply(CellRejected(cell_id=cell_id, reason=reason))
        await self._write(cell_id, status="rejected")

    async def undone(self, outcome: UndoneCell) -> None:
        """Undone: the notebook keeps the cell, marked ``undone``."""
        cell_id = outcome.cell_id
        self._apply(
            CellUndone(
                cell_id=cell_id,
                restored=outcome.restored,
                removed=outcome.removed,
                files_restored=outcome.files_restored,
                files_removed=outcome.files_removed,
            )
        )
        await self._write(cell_id, status="undone")

    async def stopped(self, cell_id: str) -> None:
        self._apply(CellStopped(cell_id=cell_id))
        await self._write(cell_id, status="stopped")

    # --- the one path of every change ---------------------------------------------------

    def _apply(self, event: C) -> C:
        run = self.run
        event = run.redact.event(event)
        run.progress += 1
        run.emit(event)
        before = None if isinstance(event, CellProposed) else self.record(event.cell_id)
        run.app.store.save_cell(run.session_id, project(before, event, now=time.time()))
        return event

    async def _write(self, cell_id: str, **changes: Any) -> None:
        run = self.run
        try:
            await run.app.writer.update_cell(run.notebook_path, cell_id=cell_id, **changes)
        except CodeAgentError as error:
            self._notebook_failed(error)

    def _notebook_failed(self, error: CodeAgentError) -> None:
        # The run goes on (the kernel is what matters); the user is told the notebook lags.
        log.warning("notebook update failed: %s", error.message)
        event: Event = ErrorReported(code=error.code, message=error.message)
        self.run.emit(event)
