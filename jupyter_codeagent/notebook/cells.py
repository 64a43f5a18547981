"""The ``NotebookWriter`` interface and the nbformat cell operations both writers share.

An agent cell is an nbformat v4 code cell whose ``metadata.codeagent`` is
``{"session": <session id>, "cell_id": <agent cell id>, "status": <status>}``. Every
operation addresses cells by that agent ``cell_id``; its nbformat ``id`` is the same
string when that is a valid, unused nbformat id (so the frontend can find it fast),
otherwise a fresh one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import nbformat

METADATA_KEY = "codeagent"
_NBFORMAT_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class AgentCellState:
    """What a notebook document holds of one agent cell (what reconciling compares)."""

    cell_id: str
    session_id: str | None
    status: str | None
    source: str
    outputs: int
    execution_count: int | None


@runtime_checkable
class NotebookWriter(Protocol):
    """Writes agent cells into a notebook (``path`` is an API path under the root)."""

    async def insert_cell(
        self,
        path: str,
        *,
        session_id: str,
        cell_id: str,
        source: str,
        status: str,
        after: str | None = None,
        outputs: Sequence[dict[str, Any]] | None = None,
        execution_count: int | None = None,
    ) -> None:
        """Insert a code cell after ``after`` (an nbformat id or an agent cell_id).

        ``after=None``, or an anchor that no longer exists (the user deleted it),
        appends at the end. Inserting a ``cell_id`` that already exists updates that
        cell instead (a retried operation never duplicates a cell). ``outputs`` and
        ``execution_count`` bring back a cell that already ran (reconciling).
        """
        ...

    async def update_cell(
        self,
        path: str,
        *,
        cell_id: str,
        source: str | None = None,
        status: str | None = None,
        outputs: Sequence[dict[str, Any]] | None = None,
        execution_count: int | None = None,
        transient: bool = False,
    ) -> None:
        """Change the given fields of an agent cell (None = leave as is).

        ``transient`` marks a state the next update supersedes within a second (the
        outputs of a cell still running): shown in open documents, not worth a save of
        a file nobody has open. Raises ``NotFound`` if the cell is gone (deleted).
        """
        ...

    async def agent_cells(self, path: str) -> list[AgentCellState] | None:
        """The agent cells the document holds now, in order; None when only a browser
        holds the current document (it reports its cells itself when it attaches)."""
        ...


def new_agent_cell(
    nb: Any,
    *,
    session_id: str,
    cell_id: str,
    source: str,
    status: str,
    outputs: Sequence[dict[str, Any]] | None = None,
    execution_count: int | None = None,
) -> Any:
    """A code cell for ``nb`` carrying the agent metadata."""
    cell = nbformat.v4.new_code_cell(
        source=source,
        metadata={METADATA_KEY: {"session": session_id, "cell_id": cell_id, "status": status}},
        outputs=[nbformat.from_dict(dict(o)) for o in outputs or ()],
        execution_count=execution_count,
    )
    cell["id"] = usable_cell_id(cell_id, {c.get("id") for c in nb.cells})
    return cell


def usable_cell_id(cell_id: str, taken: set[Any]) -> str:
    """``cell_id`` as the nbformat id when it is valid and free, else a fresh one."""
    usable = _NBFORMAT_ID.match(cell_id) and cell_id not in taken
    return cell_id if usable else _fresh_id(taken)


def _fresh_id(taken: set[Any]) -> str:
    while True:
        candidate = uuid.uuid4().hex[:12]
        if candidate not in taken:
            return candidate


def agent_cell_id(cell: Any) -> str | None:
    meta = cell.get("metadata", {}).get(METADATA_KEY)
    return meta.get("cell_id") if isinstance(meta, dict) else None


def agent_cell_state(cell: Any) -> AgentCellState | None:
    """The agent part of an nbformat cell (a dict), or None for the user's own cells."""
    meta = cell.get("metadata", {}).get(METADATA_KEY)
    if not isinstance(meta, dict) or not isinstance(meta.get("cell_id"), str):
        return None
    source = cell.get("source", "")
    count = cell.get("execution_count")
    return AgentCellState(
        cell_id=meta["cell_id"],
        session_id=meta.get("session") if isinstance(meta.get("session"), str) else None,
        status=meta.get("status") if isinstance(meta.get("status"), str) else None,
        source="".join(source) if isinstance(source, list) else str(source),
        outputs=len(cell.get("outputs") or ()),
        execution_count=int(count) if isinstance(count, (int, float)) else None,
    )


def agent_cells_of(cells: Sequence[Any]) -> list[AgentCellState]:
    return [state for state in map(agent_cell_state, cells) if state is not None]


def find_agent_cell(nb: Any, cell_id: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if agent_cell_id(cell) == cell_id:
            return index
    return None


def find_anchor(nb: Any, after: str) -> int | None:
    """Index of the cell with nbformat id ``after``, else with agent cell_id ``after``."""
    for index, cell in enumerate(nb.cells):
        if cell.get("id") == after:
            return index
    return find_agent_cell(nb, after)


def ensure_cell_ids(nb: Any) -> None:
    """Bring a pre-4.5 notebook to 4.5 so cells can carry ids (what nbformat's upgrade does)."""
    if nb.get("nbformat") == 4 and nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5
        taken: set[Any] = set()
        for cell in nb.cells:
            if not cell.get("id"):
                cell["id"] = _fresh_id(taken)
            taken.add(cell["id"])


def apply_update(
    cell: Any,
    *,
    source: str | None,
    status: str | None,
    outputs: Sequence[dict[str, Any]] | None,
    execution_count: int | None,
) -> None:
    if source is not None:
        cell["source"] = source
    if status is not None:
        cell["metadata"].setdefault(METADATA_KEY, {})["status"] = status
    if outputs is not None:
        cell["outputs"] = [nbformat.from_dict(dict(o)) for o in outputs]
    if execution_count is not None:
        cell["execution_count"] = execution_count


def reported_cells(value: Any) -> list[AgentCellState] | None:
    """The agent cells a browser reports for its open notebook (``attach``), checked:
    ``[{cell_id, session?, status?, source?, outputs: count, execution_count?}]``."""
    if not isinstance(value, list):
        return None
    states = []
    for item in value[:10_000]:
        if not isinstance(item, dict) or not isinstance(item.get("cell_id"), str):
            continue
        count = item.get("execution_count")
        outputs = item.get("outputs")
        states.append(
            AgentCellState(
                cell_id=item["cell_id"],
                session_id=item.get("session") if isinstance(item.get("session"), str) else None,
                status=item.get("status") if isinstance(item.get("status"), str) else None,
                source=str(item.get("source") or ""),
                outputs=outputs if isinstance(outputs, int) and outputs >= 0 else 0,
                execution_count=count if isinstance(count, int) else None,
            )
        )
    return states
