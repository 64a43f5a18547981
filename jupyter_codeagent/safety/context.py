"""What the analysis passes share: the path scope, session facts, a way back into the analyzer.

Code hides inside strings (``exec("...")``, ``python -c "..."``, ``{expr}`` in ``!``
lines); the helper modules hand such strings back to the analyzer through
``nested_python`` instead of importing it, which keeps the modules acyclic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .facts import SessionFacts
from .findings import RiskFinding
from .paths import PathScope

# exec("exec('...')") nesting beyond this is treated as unreadable dynamic code.
MAX_DEPTH = 3


class NestedPython(Protocol):
    def __call__(
        self, code: str, line: int | None, *, depth: int, offset: bool = False
    ) -> list[RiskFinding]:
        """Analyse ``code`` found inside the cell.

        Findings get ``line`` (where the string sits) unless ``offset`` is set, in which
        case ``code`` is a block starting on ``line`` and keeps its own line numbers.
        Syntax errors inside such strings are not reported: they fail at run time.
        """
        ...


@dataclass(frozen=True, kw_only=True)
class AnalysisContext:
    scope: PathScope
    nested_python: NestedPython
    depth: int = 0
    session: SessionFacts | None = None
    # Findings of shell lines already read in this cell, by (command, how it runs): a
    # cell repeating a command pays for it once. Lines are set by the caller.
    shell_memo: dict[tuple[str, str], list[RiskFinding]] = field(
        default_factory=dict, compare=False
    )

    def python_hook(self, line: int | None) -> Callable[[str], list[RiskFinding]]:
        """A one-argument callable for shell.analyze_shell's ``python`` parameter."""

        def hook(code: str) -> list[RiskFinding]:
            if self.depth >= MAX_DEPTH:
                return []
            return self.nested_python(code, line, depth=self.depth + 1)

        return hook
