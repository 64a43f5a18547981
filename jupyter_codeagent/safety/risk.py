"""Static risk analysis of a proposed notebook cell (before the reviewer and the user).

``analyze_code`` never runs the code and never imports IPython: notebook syntax is
recognised by ``notebook.py``, Python by the standard ``ast`` module. The analysis is
a safety net for the reviewer and the user, not a sandbox: it flags what a careful
reader would want to look at, and blocks only what must never run unattended.

Every step is linear in the size of the cell, and the cell's size is capped
(``MAX_SOURCE_CHARS``); ``async_analysis.analyze_code_async`` runs it off the event loop.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from .context import AnalysisContext, NestedPython
from .facts import SessionFacts
from .findings import RiskFinding, RiskLevel, RiskReport, Severity, finding
from .magics import analyze_escape
from .notebook import parse_python, split_cell
from .paths import PathScope
from .pycheck import PythonChecker
from .source_text import source_findings

__all__ = [
    "MAX_SOURCE_CHARS",
    "RiskFinding",
    "RiskLevel",
    "RiskReport",
    "Severity",
    "analyze_code",
]

# The largest cell source analysed (and accepted as a proposed or edited cell). A cell
# this size takes tens of milliseconds to analyse; real cells are far smaller.
MAX_SOURCE_CHARS = 100_000
# Code found in strings (exec, python -c, %%writefile bodies) read per cell, in total.
_NESTED_BUDGET = 2 * MAX_SOURCE_CHARS


def analyze_code(
    code: str,
    *,
    root_dir: str | None = None,
    cwd: str | None = None,
    session: SessionFacts | None = None,
) -> RiskReport:
    """Analyse one cell's source and report its risk.

    ``root_dir`` is the Jupyter server's root folder: writes must stay inside it.
    ``cwd`` is the kernel's working directory (usually the notebook's folder, absolute
    or relative to ``root_dir``); without it, relative paths count as inside the root
    unless they climb out with ``..``. ``session``: what the session knows (files it
    read or wrote, the user's variables), for the data-loss findings.
    A source longer than ``MAX_SOURCE_CHARS`` is not analysed: it is blocked.
    """
    if len(code) > MAX_SOURCE_CHARS:
        return RiskReport.from_findings([too_large_finding(len(code))])
    scope = PathScope(root_dir=root_dir, cwd=cwd)
    findings = source_findings(code)
    findings += _analyze(code, scope, session, depth=0, report_syntax=True)
    return RiskReport.from_findings(findings)


def too_large_finding(size: int) -> RiskFinding:
    return finding(
        "source_too_large",
        "block",
        f"The cell is {size:,} characters long, over the {MAX_SOURCE_CHARS:,} the safety "
        "check reads — blocked; split it into smaller cells",
        None,
    )


def _analyze(
    code: str,
    scope: PathScope,
    session: SessionFacts | None,
    *,
    depth: int,
    report_syntax: bool,
) -> list[RiskFinding]:
    ctx = AnalysisContext(
        scope=scope, nested_python=_nested(scope, session), depth=depth, session=session
    )
    cell = split_cell(code)
    findings: list[RiskFinding] = []
    for escape in cell.escapes:
        findings += analyze_escape(escape, ctx)
    try:
        tree = parse_python(cell.python)
        misplaced = outside_function(tree)
        if misplaced is not None:  # only the compiler, not the parser, refuses these
            raise SyntaxError(
                f"'{misplaced[0]}' outside a function (a cell is top-level code: print "
                "the value or end the cell with it)",
                ("<cell>", misplaced[1], 1, ""),
            )
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


def outside_function(tree: ast.Module) -> tuple[str, int] | None:
    """The first ``return``/``yield`` at the top level of the cell, and its line."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return):
            return "return", node.lineno
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return "yield", node.lineno
        todo.extend(ast.iter_child_nodes(node))
    return None


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


def _nested(scope: PathScope, session: SessionFacts | None) -> NestedPython:
    """The analyzer for code found in strings, with a budget shared by the whole cell.

    ``exec(s)`` a thousand times with the same 90 kB ``s`` must not cost a thousand
    analyses: results are kept per string, and the total size of distinct nested code
    is capped (beyond it, nested code is reported as unreadable).
    """
    seen: dict[tuple[str, int], list[RiskFinding]] = {}
    budget = [_NESTED_BUDGET]

    def nested(
        code: str, line: int | None, *, depth: int, offset: bool = False
    ) -> list[RiskFinding]:
        key = (code, depth)
        if key not in seen:
            budget[0] -= len(code)
            if budget[0] < 0:
                seen[key] = [
                    finding(
                        "dynamic_exec",
                        "high",
                        "Runs more code hidden in strings than the safety check reads",
                        None,
                    )
                ]
            else:
                seen[key] = _analyze(code, scope, session, depth=depth, report_syntax=False)
        inner = seen[key]
        if offset and line is not None:
            return [replace(f, line=(f.line or 1) + line - 1) for f in inner]
        return [replace(f, line=line) for f in inner]

    return nested
