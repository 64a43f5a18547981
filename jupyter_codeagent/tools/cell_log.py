"""Every change of an agent cell's state is one event; the rest follows from it.

``CellLog`` emits the event (stored and sent to every sidebar), then applies the same
event to the session's cells table (``project``) and to the notebook document through
the one notebook writer. Nothing else writes a cell's status or outputs, so the
sidebar, the table and the notebook cannot tell three different stories; and when the
notebook fell behind anyway (a reload, a restart), ``sync_notebook`` brings it back in
line from the table (``notebook/reconcile.py``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import CodeAgentError, NotFound
from ..events import (
    CellBlocked,
    CellDeleted,
    CellExecuted,
    CellExecuting,
    CellOutput,
    CellProposed,
    CellRejected,
    CellStopped,
    CellUndone,
    ErrorReported,
    Event,
    Review,
)
from ..kernel import ExecutionResult, UndoneCell, UndoReadiness
from ..notebook.cells import AgentCellState
from ..notebook.reconcile import RecordedCell, reconcile, refreshed
from ..store import CellRecord, SessionStore
from .cell_record import UNFINISHED, C, project
from .live_outputs import LiveOutputs
from .redaction import Redactor

if TYPE_CHECKING:
    from .context import AppContext, EventSink

log = logging.getLogger(__name__)


class CellOwner(Protocol):
    """Whose cells a ``CellLog`` keeps: a run (``RunContext``), or a session between runs."""

    last_cell_id: str | None
    progress: int

    @property
    def redact(self) -> Redactor: ...

    @property
    def app(self) -> AppContext: ...

    @property
    def session_id(self) -> str: ...

    @property
    def notebook_path(self) -> str: ...

    @property
    def emit(self) -> EventSink: ...


@dataclass(kw_only=True)
class SessionCells:
    """A session's cells outside a run (reconciling, a deletion the browser reports)."""

    app: AppContext
    session_id: str
    notebook_path: str
    emit: EventSink
    last_cell_id: str | None = None
    redact: Redactor = field(default_factory=Redactor)
    progress: int = 0


class CellLog:
    """A session's cells: each transition emitted once, then stored and written."""

    def __init__(self, run: CellOwner) -> None:
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
                approval_reason=approval_reason if needs_approval else None,
                replaces=replaces,
                undoable=None if undo is None else undo.undoable,
                undo_note="; ".join(undo.problems) if undo and undo.problems else None,
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
        self._fold_live_outputs(cell_id)
        await self._write(
            cell_id,
            status="done" if result.status == "ok" else "error",
            outputs=[dict(o) for o in event.outputs],  # secrets taken out
            execution_count=result.execution_count,
        )

    def live_outputs(self, cell_id: str) -> LiveOutputs:
        """``async with cells.live_outputs(cell_id) as on_output:`` around an execution
        streams its outputs into the card and the notebook while it runs."""
        return LiveOutputs(self, cell_id)

    async def outputs(self, cell_id: str, outputs: Sequence[dict[str, Any]]) -> None:
        """The outputs of a running cell so far (``LiveOutputs`` throttles the calls)."""
        self._apply(CellOutput(cell_id=cell_id, outputs=tuple(outputs)))
        self._fold_live_outputs(cell_id, keep_last=True)
        await self._write(cell_id, outputs=list(outputs), transient=True)

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
        self._fold_live_outputs(cell_id)
        await self._write(cell_id, status="stopped")

    # --- the notebook as the user left it ------------------------------------------------

    def deleted(self, cell_id: str) -> bool:
        """Record, once, that a person removed the agent cell from the notebook; later
        writes leave it out. False when it was recorded already (or is unknown)."""
        store = self.run.app.store
        if cell_id in deleted_cells(store, self.run.session_id):
            return False
        record = self.record(cell_id)  # NotFound for a cell of another session
        self.run.emit(
            CellDeleted(cell_id=cell_id, text=_deleted_text(record, self.run.notebook_path))
        )
        return True

    async def sync_notebook(self, reported: Sequence[AgentCellState] | None = None) -> int:
        """Bring the notebook in line with the cells table (see ``notebook/reconcile.py``).

        The writer reads the document (the shared one, or the file); when only a browser
        holds it, ``reported`` is what that browser says it has (without it, nothing is
        done). Returns how many fixes were written.
        """
        run = self.run
        store = run.app.store
        try:
            document: Sequence[AgentCellState] | None = await run.app.writer.agent_cells(
                run.notebook_path
            )
        except CodeAgentError as error:  # unreadable: the run's own writes will say so
            log.warning("cannot read %s to reconcile it: %s", run.notebook_path, error.message)
            return 0
        if document is None:
            document = reported
        if document is None:
            return 0
        own = [c for c in document if c.session_id in (None, run.session_id)]
        recorded = [_recorded(c) for c in store.list_cells(run.session_id)]
        fixes = reconcile(recorded, own, deleted=deleted_cells(store, run.session_id))
        for planned in fixes:
            try:
                fix = refreshed(planned, _recorded(self.record(planned.cell_id)))
                if fix is None:
                    continue
                if fix.action == "insert":
                    await run.app.writer.insert_cell(
                        run.notebook_path,
                        session_id=run.session_id,
                        cell_id=fix.cell_id,
                        source=fix.source or "",
                        status=fix.status,
                        after=fix.after,
                        outputs=fix.outputs,
                        execution_count=fix.execution_count,
                    )
                else:
                    await self._write(
                        fix.cell_id,
                        source=fix.source,
                        status=fix.status,
                        outputs=fix.outputs,
                        execution_count=fix.execution_count,
                    )
            except CodeAgentError as error:
                log.warning("reconciling %s failed: %s", run.notebook_path, error.message)
                return fixes.index(planned)
        if fixes:
            log.info("reconciled %s: %d fix(es)", run.notebook_path, len(fixes))
        return len(fixes)

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
        if cell_id in deleted_cells(run.app.store, run.session_id):
            return  # the user removed it from the notebook: the card alone goes on
        target = self._replaces.get(cell_id, cell_id)
        if target != cell_id and cell_id not in self._replaced:
            return  # a change the user did not approve: the cell stays as it was
        try:
            await run.app.writer.update_cell(run.notebook_path, cell_id=target, **changes)
        except NotFound:
            self.deleted(cell_id)
        except CodeAgentError as error:
            self._notebook_failed(error)

    def _fold_live_outputs(self, cell_id: str, *, keep_last: bool = False) -> None:
        store = self.run.app.store
        before = store.last_seq(self.run.session_id) if keep_last else 2**62
        store.fold_cell_outputs(self.run.session_id, cell_id, before_seq=before)

    def _notebook_failed(self, error: CodeAgentError) -> None:
        # The run goes on (the kernel is what matters); the user is told the notebook lags.
        log.warning("notebook update failed: %s", error.message)
        event: Event = ErrorReported(code=error.code, message=error.message)
        self.run.emit(event)


def _recorded(cell: CellRecord) -> RecordedCell:
    return RecordedCell(
        cell_id=cell.cell_id,
        source=cell.source,
        status=cell.status,
        outputs=cell.outputs,
        execution_count=cell.execution_count,
    )


def deleted_cells(store: SessionStore, session_id: str) -> set[str]:
    """The session's agent cells a person removed from the notebook."""
    return {str(e.data.get("cell_id")) for e in store.events_of_type(session_id, "cell_deleted")}


def stop_unfinished_cells(store: SessionStore, session_id: str) -> int:
    """After a server restart: the session's cells that waited or ran are stopped (the
    notebook follows when it is next reconciled). How many there were."""
    now = time.time()
    stopped = 0
    for record in store.list_cells(session_id):
        if record.status in UNFINISHED:
            event = CellStopped(cell_id=record.cell_id)
            body = event.to_json()
            del body["type"]
            store.append_event(session_id, event.type, body)
            store.save_cell(session_id, project(record, event, now=now))
            store.fold_cell_outputs(session_id, record.cell_id, before_seq=2**62)
            stopped += 1
    return stopped


def _deleted_text(record: CellRecord, notebook_path: str) -> str:
    first = next((line.strip() for line in record.source.splitlines() if line.strip()), "")
    if len(first) > 60:
        first = first[:57] + "..."
    name = os.path.basename(notebook_path) or notebook_path
    what = f"the agent's cell `{first}`" if first else "an empty agent cell"
    return f"You removed {what} from {name}. It stays here; the agents no longer write to it."
