"""A cell's row in the session's cells table, as its events make it.

``project`` is pure: ``CellLog`` applies each event with it as the event happens, and
the same function rebuilds a row from the stored events.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from ..events import (
    CellBlocked,
    CellExecuted,
    CellExecuting,
    CellOutput,
    CellProposed,
    CellRejected,
    CellStopped,
    CellUndone,
)
from ..store import CellRecord

CellEvent = (
    CellProposed
    | CellExecuting
    | CellExecuted
    | CellRejected
    | CellBlocked
    | CellStopped
    | CellOutput
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
    CellOutput,
    CellUndone,
)
#: Statuses of cells that wait or run: after a server restart nothing does.
UNFINISHED = ("proposed", "running")


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
    if isinstance(event, CellOutput):
        return replace(record, outputs=[dict(o) for o in event.outputs], updated=now)
    status = {
        CellRejected: "rejected",
        CellBlocked: "blocked",
        CellStopped: "stopped",
        CellUndone: "undone",
    }
    return replace(record, status=status[type(event)], updated=now)
