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
    ErrorReported,
    Event,
    Review,
)
from ..kernel import ExecutionResult
from ..store import CellRecord

if TYPE_CHECKING:
    from .context import RunContext

log = logging.getLogger(__name__)

CellEvent = CellProposed | CellExecuting | CellExecuted | CellRejected | CellBlocked | CellStopped
C = TypeVar("C", CellProposed, CellExecuting, CellExecuted, CellRejected, CellBlocked, CellStopped)


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
    status = {CellRejected: "rejected", CellBlocked: "blocked", CellStopped: "stopped"}
    return replace(record, status=status[type(event)], updated=now)


class CellLog:
    """The run's cells: each transition emitted once, then stored and written."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        # A proposal that changes an existing cell (``replaces``) has no notebook cell of
        # its own: the cell it changes keeps its code until the user approves, then takes
        # the new code, the status and the outputs.
        self._replaces: dict[str, str] = {}
        self._replaced: set[str] = set()

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
        approval_reason: str | None = None,
        replaces: str | None = None,
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
                approval_reason=approval_reason if needs_approval else None,
                replaces=replaces,
            )
        )
        if replaces:
            self._replaces[cell_id] = replaces
            run.last_cell_id = replaces
            self._apply(event)
            return
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
        replaces: str | None = None,
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
                replaces=replaces,
            )
        )
        self._apply(CellBlocked(cell_id=cell_id, reason=reason))

    async def executing(self, cell_id: str, *, source: str, approved_by: str | None) -> None:
        edited = source != self.record(cell_id).source
        self._apply(
            CellExecuting(
                cell_id=cell_id, source=source if edited else None, approved_by=approved_by
            )
        )
        if cell_id in self._replaces:
            self._replaced.add(cell_id)
            await self._write(cell_id, source=source, status="running")
            return
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
        target = self._replaces.get(cell_id, cell_id)
        if target != cell_id and cell_id not in self._replaced:
            return  # a change the user did not approve: the cell stays as it was
        try:
            await run.app.writer.update_cell(run.notebook_path, cell_id=target, **changes)
        except CodeAgentError as error:
            self._notebook_failed(error)

    def _notebook_failed(self, error: CodeAgentError) -> None:
        # The run goes on (the kernel is what matters); the user is told the notebook lags.
        log.warning("notebook update failed: %s", error.message)
        event: Event = ErrorReported(code=error.code, message=error.message)
        self.run.emit(event)
