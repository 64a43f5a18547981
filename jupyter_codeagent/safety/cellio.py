"""What a cell reads, writes and binds: the facts a session accumulates for the analyzer.

The session calls ``cell_io`` on each cell that ran (the agent's and, when it sees them,
the user's) to keep ``SessionFacts`` current: files read become ``files_read``, code
files written become ``files_written``, and names bound by the agent's cells are *not*
the user's objects. Static and best effort, like the rest of the analysis.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .access import argument
from .calls import CallChecker
from .context import AnalysisContext
from .facts import root_relative
from .findings import RiskFinding
from .names import NameTable
from .notebook import Escape, parse_python, split_cell
from .paths import PathScope, PathValue
from .tree import TreeIndex

_READ_FUNCTIONS = frozenset(
    {"loadtxt", "genfromtxt", "fromfile", "load", "open_dataset", "open_mfdataset", "imread"}
)
_READ_MODULES = ("numpy.", "np.", "joblib.", "torch.", "xarray.", "xr.", "PIL.", "imageio.")
_PATH_READ_METHODS = frozenset({"read_text", "read_bytes"})
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


@dataclass(frozen=True, kw_only=True)
class CellIO:
    """Paths are relative to the server root (absolute when outside it)."""

    reads: frozenset[str] = field(default_factory=frozenset)
    writes: frozenset[str] = field(default_factory=frozenset)
    binds: frozenset[str] = field(default_factory=frozenset)


def cell_io(code: str, *, root_dir: str | None = None, cwd: str | None = None) -> CellIO:
    """The files a cell reads and writes (as far as their paths are literal) and the
    top-level names it binds. A cell that does not parse reads, writes and binds nothing."""
    scope = PathScope(root_dir=root_dir, cwd=cwd)
    cell = split_cell(code)
    written = {p for e in cell.escapes if (p := _written_by_magic(e, scope))}
    try:
        tree = parse_python(cell.python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return CellIO(writes=frozenset(written))
    index = TreeIndex(tree)
    names = NameTable(index)
    ctx = AnalysisContext(scope=scope, nested_python=_no_nested)
    checker = CallChecker(names, ctx, [])
    reads: set[str] = set()
    for call in index.of(ast.Call):
        checker.check(call)
        source = _read_source(call, names)
        path = root_relative(names.path(source), scope) if source is not None else None
        if path is not None:
            reads.add(path)
    writes = written | {p for value, _ in checker.writes if (p := root_relative(value, scope))}
    return CellIO(reads=frozenset(reads), writes=frozenset(writes), binds=_bound(tree))


def _written_by_magic(escape: Escape, scope: PathScope) -> str | None:
    """The file ``%%writefile [-a] path`` writes."""
    if escape.kind != "cell_magic" or escape.name not in ("writefile", "file"):
        return None
    words = [w for w in escape.args.split() if not w.startswith("-")]
    target = words[0].strip("'\"") if words else ""
    return root_relative(PathValue(text=target), scope) if target else None


def _read_source(call: ast.Call, names: NameTable) -> ast.expr | None:
    qual = names.resolve(call.func) or ""
    last = call.func.attr if isinstance(call.func, ast.Attribute) else qual.rsplit(".", 1)[-1]
    if last.startswith("read_") and last not in _PATH_READ_METHODS:
        return argument(call, 0, "filepath_or_buffer", "path", "io", "path_or_buf", "filename")
    if last in _PATH_READ_METHODS and isinstance(call.func, ast.Attribute):
        return call.func.value
    if qual in ("open", "io.open") or (last == "open" and qual.startswith(("PIL.", "Image."))):
        mode = argument(call, 1, "mode")
        writing = isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax+")
        return None if writing else argument(call, 0, "file")
    if qual.startswith(_READ_MODULES) and last in _READ_FUNCTIONS:
        return argument(call, 0, "file", "fname", "f", "filename")
    return None


def _bound(tree: ast.Module) -> frozenset[str]:
    """Names bound at the top level of the cell (not inside functions or comprehensions)."""
    bound: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return frozenset(bound)


def _no_nested(
    code: str, line: int | None, *, depth: int, offset: bool = False
) -> list[RiskFinding]:
    return []
