"""Static risk analysis of a proposed notebook cell (before the reviewer and the user).

``analyze_code`` never runs the code and never imports IPython: notebook syntax is
recognised by ``notebook.py``, Python by the standard ``ast`` module. The analysis is
a safety net for the reviewer and the user, not a sandbox: it flags what a careful
reader would want to look at, and blocks only what must never run unattended.
"""

from __future__ import annotations

from dataclasses import replace

from .context import AnalysisContext, NestedPython
from .findings import RiskFinding, RiskLevel, RiskReport, Severity, finding
from .magics import analyze_escape
from .notebook import parse_python, split_cell
from .paths import PathScope
from .pycheck import PythonChecker

__all__ = ["RiskFinding", "RiskLevel", "RiskReport", "Severity", "analyze_code"]


def analyze_code(code: str, *, root_dir: str | None = None, cwd: str | None = None) -> RiskReport:
    """Analyse one cell's source and report its risk.

    ``root_dir`` is the Jupyter server's root folder: writes must stay inside it.
    ``cwd`` is the kernel's working directory (usually the notebook's folder, absolute
    or relative to ``root_dir``); without it, relative paths count as inside the root
    unless they climb out with ``..``.
    """
    scope = PathScope(root_dir=root_dir, cwd=cwd)
    return RiskReport.from_findings(_analyze(code, scope, depth=0, report_syntax=True))


def _analyze(code: str, scope: PathScope, *, depth: int, report_syntax: bool) -> list[RiskFinding]:
    ctx = AnalysisContext(scope=scope, nested_python=_nested(scope), depth=depth)
    cell = split_cell(code)
    findings: list[RiskFinding] = []
    for escape in cell.escapes:
        findings += analyze_escape(escape, ctx)
    try:
        tree = parse_python(cell.python)
    except SyntaxError as error:
        if report_syntax:
            findings.append(_syntax_finding(error))
        return findings
    except (ValueError, RecursionError, MemoryError) as error:
        # ValueError: NUL bytes; RecursionError/MemoryError: absurdly deep nesting.
        if report_syntax:
            findings.append(
                finding(
                    "syntax_error",
                    "block",
                    f"The code cannot be parsed ({error}); it must be fixed before it runs",
                    None,
                )
            )
        return findings
    try:
        findings += PythonChecker(tree, ctx).run()
    except RecursionError:
        findings.append(
            finding("unanalysable", "block", "The code is too deeply nested to check — blocked", 1)
        )
    return findings


def _syntax_finding(error: SyntaxError) -> RiskFinding:
    where = f" (line {error.lineno}, column {error.offset})" if error.lineno else ""
    text = (error.text or "").strip()
    shown = f": `{text[:80]}`" if text else ""
    return finding(
        "syntax_error",
        "block",
        f"The code does not parse — {error.msg}{where}{shown}; it must be fixed before it runs",
        error.lineno,
    )


def _nested(scope: PathScope) -> NestedPython:
    def nested(
        code: str, line: int | None, *, depth: int, offset: bool = False
    ) -> list[RiskFinding]:
        inner = _analyze(code, scope, depth=depth, report_syntax=False)
        if offset and line is not None:
            return [replace(f, line=(f.line or 1) + line - 1) for f in inner]
        return [replace(f, line=line) for f in inner]

    return nested
