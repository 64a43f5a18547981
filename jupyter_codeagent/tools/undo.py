"""Undo of agent cells: what to keep before a cell runs, and putting it back.

Before an agent cell runs, ``prepare_undo`` tells the kernel which objects the cell may
change in place (the static scan of ``safety.mutations``) and which files it writes
(``safety.cell_io``); the kernel keeps references, cheap copies and file contents
(``kernel/_kernel_undo.py``) and says whether the cell will be undoable. ``undo_cells``
puts the kernel and the files back as they were before the cells ran, newest first,
all or nothing, and marks the cells ``undone`` (the notebook keeps them, marked).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, KernelError, NotFound
from ..events import Variable, VariablesChanged
from ..kernel import UndoOutcome, UndoReadiness
from ..safety import cell_io
from ..safety.mutations import in_place_effects
from .cell_log import CellLog

if TYPE_CHECKING:
    from .context import RunContext

#: Cell statuses that ran in the kernel (the others have nothing to undo).
RAN = frozenset({"done", "error"})
_MB = 1_000_000


@dataclass(frozen=True, kw_only=True)
class UndoResult:
    """The answer of the undo and revert routes."""

    cells: tuple[str, ...]
    outcome: UndoOutcome

    def to_json(self) -> dict[str, Any]:
        outcome = self.outcome
        return {
            "cells": list(self.cells),
            "restored": list(outcome.restored),
            "removed": list(outcome.removed),
            "files_restored": list(outcome.files_restored),
            "files_removed": list(outcome.files_removed),
            # The cells stay in the notebook, marked undone: the user sees what was undone.
            "notebook": "kept",
        }


def undo_spec(run: RunContext, code: str) -> dict[str, Any]:
    """What the kernel must keep for ``code`` (see ``KernelBridge.prepare_undo``)."""
    cwd = os.path.join(run.root_dir, os.path.dirname(run.notebook_path))
    effects = in_place_effects(code)
    files: list[str] = []
    notes: dict[str, str] = {}
    try:
        writes = cell_io(code, root_dir=run.root_dir, cwd=cwd).writes
    except (SyntaxError, ValueError, RecursionError):
        writes = frozenset()
    folder = posixpath.dirname(run.notebook_path)
    for path in sorted(writes):
        if path.startswith("/") or path == ".." or path.startswith("../"):
            notes[path] = "is outside the server root: its old content is not kept"
        else:  # the kernel's working directory is the notebook's folder
            files.append(posixpath.relpath(path, folder or "."))
    agents = run.settings.agents
    return {
        "names": sorted(effects.names),
        "mutates": effects.mutates,
        "files": files,
        "file_notes": notes,
        "copy_limit": agents.undo_copy_limit_mb * _MB,
        "file_limit": agents.undo_file_limit_mb * _MB,
    }


async def prepare_undo(run: RunContext, cell_id: str, code: str) -> UndoReadiness:
    """Keep what undoing ``cell_id`` needs; never fails the execution that follows."""
    try:
        return await run.app.bridge.prepare_undo(
            await run.kernel_id(), cell_id, undo_spec(run, code)
        )
    except (KernelError, NotFound) as error:
        return UndoReadiness(undoable=False, problems=(f"no undo data: {error.message}",))


async def predict_undo(run: RunContext, code: str) -> UndoReadiness | None:
    """Whether ``code`` would be undoable if it ran now (None: not known, kernel busy)."""
    try:
        return await run.app.bridge.check_undo(await run.kernel_id(), undo_spec(run, code))
    except (KernelError, NotFound):
        return None


async def undo_cells(run: RunContext, cell_ids: list[str]) -> UndoResult:
    """Undo ``cell_ids`` (newest first); ``Conflict`` says exactly why when it cannot."""
    store = run.app.store
    for cell_id in cell_ids:
        status = store.get_cell(run.session_id, cell_id).status  # NotFound for unknown ids
        if status == "undone":
            raise Conflict(f"Cell '{cell_id}' is already undone.")
        if status not in RAN:
            raise Conflict(f"Cell '{cell_id}' is {status}: it did not run, so there is no undo.")
    try:
        kernel_id = await run.kernel_id()
        outcome = await run.app.bridge.undo(kernel_id, cell_ids)
    except NotFound as error:
        raise Conflict(f"Cannot undo: the kernel that ran it is gone ({error.message})") from None
    except KernelError as error:
        raise Conflict(f"Cannot undo: {error.message}") from None
    if not outcome.ok:
        raise Conflict("Cannot undo: " + "; ".join(outcome.problems) + ".")
    cells = CellLog(run)
    for done in outcome.cells:
        await cells.undone(done)
    try:
        variables = await run.app.bridge.list_variables(kernel_id)
    except KernelError:
        pass  # the sidebar's list refreshes with the next snapshot
    else:
        run.emit(
            VariablesChanged(
                variables=tuple(
                    Variable(name=v.name, type=v.type, summary=v.summary) for v in variables
                )
            )
        )
    return UndoResult(cells=tuple(cell_ids), outcome=outcome)
