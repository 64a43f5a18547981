"""Reconcile: what a notebook document must be told so it agrees with the session.

The session's cells table is the record of what the agents did; the document is what
the user sees. They can drift apart: an old JupyterLab that never saved the agent's
cells, a reload while a write was in flight, a server restart while a cell ran. On
every (re)attachment of a browser, and before a run, the document's agent cells are
compared with the table: a cell the document lacks comes back (with its outputs)
unless the user deleted it, a status that lags is corrected, and nothing is added
twice. What the user changed in an agent cell (its code after it ran, their own runs
of it) is the user's and is left alone: only a status that differs brings the
record's outputs with it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .cells import AgentCellState

#: Statuses that never appear in a notebook (a blocked cell is only a card).
NOT_IN_NOTEBOOK = frozenset({"blocked"})
#: Statuses whose record carries the outputs the document should show.
WITH_OUTPUTS = frozenset({"running", "done", "error", "stopped"})


@dataclass(frozen=True, kw_only=True)
class RecordedCell:
    """What the session knows of one of its cells (a cells-table row, in order)."""

    cell_id: str
    source: str
    status: str
    outputs: Sequence[dict[str, Any]] = ()
    execution_count: int | None = None


@dataclass(frozen=True, kw_only=True)
class NotebookFix:
    """One change that brings the document in line with the session."""

    action: Literal["insert", "update"]
    cell_id: str
    status: str
    #: insert: the anchor to insert after (None: at the end).
    after: str | None = None
    source: str | None = None
    outputs: Sequence[dict[str, Any]] | None = None
    execution_count: int | None = None
    changes: tuple[str, ...] = field(default=())


def reconcile(
    recorded: Sequence[RecordedCell],
    document: Sequence[AgentCellState],
    *,
    deleted: Collection[str] = (),
) -> list[NotebookFix]:
    """The fixes, in the session's order; ``deleted`` are cells the user removed."""
    present = {cell.cell_id: cell for cell in document}
    fixes: list[NotebookFix] = []
    anchor: str | None = None  # the last of our cells the document has (after fixes)
    for record in recorded:
        if record.status in NOT_IN_NOTEBOOK or record.cell_id in deleted:
            continue
        with_outputs = record.status in WITH_OUTPUTS
        found = present.get(record.cell_id)
        if found is None:
            fixes.append(
                NotebookFix(
                    action="insert",
                    cell_id=record.cell_id,
                    status=record.status,
                    after=anchor,
                    source=record.source,
                    outputs=list(record.outputs) if with_outputs else None,
                    execution_count=record.execution_count if with_outputs else None,
                    changes=("cell",),
                )
            )
        elif found.status != record.status:
            ran_other_code = with_outputs and found.source != record.source
            fixes.append(
                NotebookFix(
                    action="update",
                    cell_id=record.cell_id,
                    status=record.status,
                    source=record.source if ran_other_code else None,
                    outputs=list(record.outputs) if with_outputs else None,
                    execution_count=record.execution_count if with_outputs else None,
                    changes=("status",) + (("source",) if ran_other_code else ()),
                )
            )
        anchor = record.cell_id
    return fixes


def refreshed(fix: NotebookFix, now: RecordedCell) -> NotebookFix | None:
    """``fix`` with the cell's state as recorded ``now`` (None: the cell is no longer
    one the notebook shows).

    Fixes are worked out once and then written one by one, each awaiting the browser.
    Meanwhile the run may change the cell and write that change itself: a fix carrying
    the older state, written after it, would undo it. Both writes then carry the
    state at the time they are sent, so whichever arrives last is also the newest.
    """
    if now.status in NOT_IN_NOTEBOOK:
        return None
    with_outputs = now.status in WITH_OUTPUTS
    return replace(
        fix,
        status=now.status,
        source=now.source if fix.action == "insert" or fix.source is not None else None,
        outputs=list(now.outputs) if with_outputs else None,
        execution_count=now.execution_count if with_outputs else None,
    )
