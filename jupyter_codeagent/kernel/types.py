"""Value objects the kernel bridge hands to the rest of the extension.

They are frozen so results can be shared between the session, the event log and
the notebook writer without anyone mutating them behind the others' backs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ExecutionStatus = Literal["ok", "error"]

# ``error_name`` values the bridge itself produces (the kernel's own exceptions
# keep their Python names, e.g. "ZeroDivisionError" or "KeyboardInterrupt").
TIMEOUT_ERROR = "TimeoutError"
KERNEL_DIED_ERROR = "KernelDied"
ABORTED_ERROR = "Aborted"


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """What happened when a piece of code ran in the kernel.

    ``outputs`` are complete nbformat v4 output dicts (``stream``, ``execute_result``,
    ``display_data``, ``error``), ready to be written into a notebook cell; they are
    never truncated. ``outputs_for_model`` is where the model-facing truncation happens.
    """

    status: ExecutionStatus
    execution_count: int | None
    outputs: tuple[dict[str, Any], ...]
    error_name: str | None = None
    error_value: str | None = None
    timed_out: bool = False
    interrupted: bool = False
    kernel_died: bool = False
    duration: float = 0.0


@dataclass(frozen=True, kw_only=True)
class VariableSummary:
    """One user variable in the kernel, e.g. ``df`` / ``DataFrame`` / ``DataFrame 1,204 × 14``."""  # noqa: RUF002

    name: str
    type: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class NamespaceDiff:
    """Which user variables an execution created, changed or deleted (sorted names).

    "Changed" is a cheap heuristic (see ``_kernel_side.fingerprint``): a new object
    bound to the name, or a different type / shape / length / column set / buffer.
    In-place edits that keep all of these (``df.iloc[0, 0] = 1``) are not seen.
    """

    created: tuple[str, ...]
    changed: tuple[str, ...]
    deleted: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.created or self.changed or self.deleted)


@dataclass(frozen=True, kw_only=True)
class ToolText:
    """Model-facing text of a read tool; ``ok=False`` marks a mistake the model can fix."""

    text: str
    ok: bool = True


@dataclass(frozen=True, kw_only=True)
class UndoReadiness:
    """Whether an agent cell can be undone, as far as is known (before or after it ran).

    ``problems`` say exactly what could not be put back (``"`rows` may be changed in
    place by `rows.append(4)` (line 2) and is 2 GB, over the 100 MB copy limit"``).
    """

    undoable: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UndoneCell:
    """What undo put back for one cell: names restored and removed, files likewise."""

    cell_id: str
    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    files_restored: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UndoOutcome:
    """What undoing cells did (in all, and per cell), or (``ok=False``) why nothing was."""

    ok: bool
    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    files_restored: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    cells: tuple[UndoneCell, ...] = ()
