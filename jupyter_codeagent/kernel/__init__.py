"""Execute and inspect in the notebook's own kernel (see ``bridge.KernelBridge``)."""

from __future__ import annotations

from .bridge import KernelBridge
from .outputs import OutputCallback
from .types import (
    ABORTED_ERROR,
    KERNEL_DIED_ERROR,
    TIMEOUT_ERROR,
    ExecutionResult,
    NamespaceDiff,
    ToolText,
    UndoneCell,
    UndoOutcome,
    UndoReadiness,
    VariableSummary,
)

__all__ = [
    "ABORTED_ERROR",
    "KERNEL_DIED_ERROR",
    "TIMEOUT_ERROR",
    "ExecutionResult",
    "KernelBridge",
    "NamespaceDiff",
    "OutputCallback",
    "ToolText",
    "UndoOutcome",
    "UndoReadiness",
    "UndoneCell",
    "VariableSummary",
]
