"""Write agent cells into the ``.ipynb`` file through the server's contents manager.

Used when no browser has the notebook open with the extension. Every operation is a
fresh read-modify-write under a per-path lock: cells the user added or edited on
disk since our last write are kept, and concurrent operations of two sessions on one
notebook cannot lose each other's cells. Going through the contents manager (not
``open()``) keeps the server's checkpoints, hooks, signing and custom storage.

Reading a notebook through the contents manager validates it and checks its signature;
for a run that writes three times per cell that was most of the server's time per
agent step. So the writer keeps the notebook it last saved with the file's
``last_modified``, and re-reads only when the file changed since (a cheap stat).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import nbformat

from ..errors import NotebookError, NotFound
from ..paths import resolve_notebook_path
from .cells import (
    AgentCellState,
    agent_cells_of,
    apply_update,
    ensure_cell_ids,
    find_agent_cell,
    find_anchor,
    new_agent_cell,
)

log = logging.getLogger(__name__)

# Statuses the file does not record on their own (see ``update_cell``).
TRANSIENT_STATUSES = frozenset({"running"})


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


class FileNotebookWriter:
    """``NotebookWriter`` on files (nbformat v4, validated before every save)."""

    def __init__(self, contents_manager: Any, *, root_dir: str) -> None:
        self._contents = contents_manager
        self._root_dir = root_dir
        self._locks: dict[str, asyncio.Lock] = {}
        # api_path -> (last_modified reported after our save, the notebook we saved)
        self._saved: dict[str, tuple[Any, Any]] = {}

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
        async with self._lock(api_path):
            nb = await self._load(api_path, create=True)
            existing = find_agent_cell(nb, cell_id)
            if existing is not None:  # a retried insert: update instead of duplicating
                apply_update(
                    nb.cells[existing],
                    source=source,
                    status=status,
                    outputs=outputs,
                    execution_count=execution_count,
                )
            else:
                anchor = find_anchor(nb, after) if after else None
                if after and anchor is None:
                    log.info("anchor cell %r is gone from %s; appending", after, api_path)
                cell = new_agent_cell(
                    nb,
                    session_id=session_id,
                    cell_id=cell_id,
                    source=source,
                    status=status,
                    outputs=outputs,
                    execution_count=execution_count,
                )
                nb.cells.insert(len(nb.cells) if anchor is None else anchor + 1, cell)
            await self._save(api_path, nb)

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
        if transient or (status in TRANSIENT_STATUSES and source is None and outputs is None):
            # Only an open document shows a cell while it runs; the file records the
            # outcome a moment later, so this write would cost a full save for nothing.
            return
        async with self._lock(api_path):
            nb = await self._load(api_path, create=False)
            index = find_agent_cell(nb, cell_id)
            if index is None:  # a user's own cell that an approved proposal changes
                index = find_anchor(nb, cell_id)
            if index is None:
                raise NotFound(f"The cell {cell_id!r} is no longer in {api_path}.")
            cell = nb.cells[index]
            apply_update(
                cell,
                source=source,
                status=status,
                outputs=outputs,
                execution_count=execution_count,
            )
            if outputs is not None:
                # Agent outputs are never trusted: HTML or JavaScript a cell printed must not
                # run when the notebook is reopened (a notebook holding such outputs is left
                # unsigned; the user can still trust it). The contents manager strips the
                # flag before writing.
                cell["metadata"]["trusted"] = False
            await self._save(api_path, nb)

    async def agent_cells(self, path: str) -> list[AgentCellState] | None:
        api_path = resolve_notebook_path(self._root_dir, path)
        async with self._lock(api_path):
            try:
                nb = await self._load(api_path, create=False)
            except NotFound:
                return []
            return agent_cells_of(nb.cells)

    # --- internals -----------------------------------------------------------------

    def _lock(self, api_path: str) -> asyncio.Lock:
        return self._locks.setdefault(api_path, asyncio.Lock())

    async def _load(self, api_path: str, *, create: bool) -> Any:
        saved = self._saved.pop(api_path, None)
        if saved is not None and saved[0] is not None:
            try:
                model = await _maybe_await(
                    self._contents.get(api_path, content=False, type="notebook")
                )
            except Exception:  # gone or unreadable: the full path below says why
                model = None
            if model is not None and model.get("last_modified") == saved[0]:
                return saved[1]  # unchanged since our own save
        try:
            exists = await _maybe_await(self._contents.file_exists(api_path))
        except Exception as exc:
            raise NotebookError(f"Cannot access {api_path}: {exc}") from exc
        if not exists:
            if not create:
                raise NotFound(f"The notebook {api_path} does not exist.")
            return nbformat.v4.new_notebook()
        try:
            model = await _maybe_await(self._contents.get(api_path, content=True, type="notebook"))
        except Exception as exc:  # tornado HTTPError for unreadable / invalid files
            raise NotebookError(f"Cannot read the notebook {api_path}: {exc}") from exc
        nb = model["content"]
        if nb.get("nbformat") != 4:
            raise NotebookError(f"{api_path} is not an nbformat v4 notebook.")
        ensure_cell_ids(nb)
        return nb

    async def _save(self, api_path: str, nb: Any) -> None:
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            raise NotebookError(f"Refusing to write an invalid notebook: {exc.message}") from exc
        model = {"type": "notebook", "format": "json", "content": nb}
        try:
            saved = await _maybe_await(self._contents.save(model, api_path))
        except Exception as exc:
            raise NotebookError(f"Cannot save the notebook {api_path}: {exc}") from exc
        if isinstance(saved, dict):
            self._saved[api_path] = (saved.get("last_modified"), nb)
