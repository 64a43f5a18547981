"""Write agent cells through the shared document of real-time collaboration.

With ``jupyter-collaboration`` installed (its server extension ``jupyter_server_ydoc``), a
notebook open in any JupyterLab lives on the server as a shared document (a Y document,
``jupyter_ydoc.YNotebook`` over ``pycrdt``) in a *room*. Changing that document is
changing what every view, tab and collaborator shows, at once; the room saves it to the
file a second after the last change. So when a room is open for the notebook, this is
the one writer: nothing goes through a browser, and there is nothing to reconcile
between tabs. Without a room (nobody has the notebook open) the fallback writes the
file, which the room loads when someone opens it.

The ``find`` callable answers the room's ``YNotebook`` for an API path, or None; it is
built by the server extension (``jupyter_server_ydoc``'s ``get_document(copy=False)``),
so this module never imports the collaboration packages itself except ``pycrdt`` for
the shared types of new cells and outputs, which is installed with them.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import nbformat

from ..errors import NotFound
from ..paths import resolve_notebook_path
from .cells import (
    METADATA_KEY,
    AgentCellState,
    NotebookWriter,
    agent_cell_state,
    new_agent_cell,
    usable_cell_id,
)

log = logging.getLogger(__name__)

#: The room's shared notebook for an API path, or None when no room is open for it.
SharedDocumentFinder = Callable[[str], Awaitable[Any | None]]


class SharedNotebookWriter:
    """``NotebookWriter`` on the collaboration room's shared notebook, else ``fallback``."""

    def __init__(self, find: SharedDocumentFinder, fallback: NotebookWriter, *, root_dir: str):
        self._find = find
        self._fallback = fallback
        self._root_dir = root_dir

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
        api_path = resolve_notebook_path(self._root_dir, path)
        doc = await self._document(api_path)
        if doc is None:
            await self._fallback.insert_cell(
                api_path,
                session_id=session_id,
                cell_id=cell_id,
                source=source,
                status=status,
                after=after,
                outputs=outputs,
                execution_count=execution_count,
            )
            return
        with doc.ydoc.transaction():
            index = _find_agent_cell(doc, cell_id)
            if index is not None:  # a retried insert: update instead of duplicating
                _update(doc, index, source, status, outputs, execution_count)
                return
            cell = new_agent_cell(
                nbformat.v4.new_notebook(),
                session_id=session_id,
                cell_id=cell_id,
                source=source,
                status=status,
                outputs=outputs,
                execution_count=execution_count,
            )
            taken = {ycell.get("id") for ycell in doc.ycells}
            cell["id"] = usable_cell_id(cell_id, taken)
            anchor = _find_anchor(doc, after) if after else None
            position = len(doc.ycells) if anchor is None else anchor + 1
            doc.ycells.insert(position, doc.create_ycell(_plain(cell)))

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
        api_path = resolve_notebook_path(self._root_dir, path)
        doc = await self._document(api_path)
        if doc is None:
            await self._fallback.update_cell(
                api_path,
                cell_id=cell_id,
                source=source,
                status=status,
                outputs=outputs,
                execution_count=execution_count,
                transient=transient,
            )
            return
        with doc.ydoc.transaction():
            index = _find_agent_cell(doc, cell_id)
            if index is None:
                raise NotFound(f"The cell {cell_id!r} is no longer in {api_path}.")
            _update(doc, index, source, status, outputs, execution_count)

    async def agent_cells(self, path: str) -> list[AgentCellState] | None:
        api_path = resolve_notebook_path(self._root_dir, path)
        doc = await self._document(api_path)
        if doc is None:
            return await self._fallback.agent_cells(api_path)
        states = []
        for index in range(len(doc.ycells)):
            state = agent_cell_state(doc.get_cell(index))
            if state is not None:
                states.append(state)
        return states

    async def _document(self, api_path: str) -> Any | None:
        try:
            return await self._find(api_path)
        except Exception:  # the collaboration extension failed: the file still works
            log.warning("cannot reach the shared document of %s", api_path, exc_info=True)
            return None


def _plain(cell: Any) -> dict[str, Any]:
    """An nbformat node as plain dicts and lists (what the shared types are built from)."""
    return copy.deepcopy(dict(cell))


def _agent_id(ycell: Any) -> str | None:
    meta = ycell.get("metadata")
    value = meta.get(METADATA_KEY) if meta is not None else None
    return value.get("cell_id") if isinstance(value, dict) else None


def _find_agent_cell(doc: Any, cell_id: str) -> int | None:
    for index, ycell in enumerate(doc.ycells):
        if _agent_id(ycell) == cell_id:
            return index
    return None


def _find_anchor(doc: Any, anchor: str) -> int | None:
    for index, ycell in enumerate(doc.ycells):
        if ycell.get("id") == anchor:
            return index
    return _find_agent_cell(doc, anchor)


def _update(
    doc: Any,
    index: int,
    source: str | None,
    status: str | None,
    outputs: Sequence[dict[str, Any]] | None,
    execution_count: int | None,
) -> None:
    """Change one cell in place, inside the caller's transaction."""
    ycell = doc.ycells[index]
    if source is not None:
        doc.set_cell(index, source=source)
    if status is not None:
        meta = ycell["metadata"]
        current = meta.get(METADATA_KEY)
        meta[METADATA_KEY] = {**(current if isinstance(current, dict) else {}), "status": status}
        if "execution_state" in ycell:  # JupyterLab shows [*] for a cell that runs
            ycell["execution_state"] = "running" if status == "running" else "idle"
    if outputs is not None:
        youtputs = ycell["outputs"]
        youtputs.clear()
        youtputs.extend([_youtput(output) for output in outputs])
    if execution_count is not None:
        ycell["execution_count"] = execution_count


def _youtput(output: dict[str, Any]) -> Any:
    """One output as the shared notebook keeps it (stream text as shared text)."""
    from pycrdt import Map, Text  # installed with jupyter-collaboration

    value = copy.deepcopy(dict(output))
    if value.get("output_type") == "stream":
        text = value.get("text", "")
        value["text"] = Text("".join(text) if isinstance(text, list) else str(text))
    return Map(value)
