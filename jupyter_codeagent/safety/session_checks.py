"""Findings for data loss (issue 17) and for code the session wrote earlier.

- Writing over a file the session read: the input data is gone (needs ``SessionFacts``).
- Changing a data object the user created in place (``inplace=True``, ``df[...] = ...``,
  ``del df[...]``, ``.pop``, ``.update``...): the user's own state, changed under them
  (needs ``SessionFacts.user_objects``).
- Rows dropped without showing how many (``dropna``, ``drop_duplicates``, a filter
  reassigned to the same name) in a cell that prints no count (``len``, ``.shape``...).
- Importing a module whose file the session wrote (``%%writefile x.py`` then
  ``import x``): its code runs now.

All are warnings: the user should look, nothing is blocked.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .context import AnalysisContext
from .facts import SessionFacts, normalise_fact_path, root_relative
from .findings import RiskFinding, finding
from .names import NameTable
from .paths import PathValue
from .tree import TreeIndex

_MUTATING_METHODS = frozenset(
    {
        "pop",
        "popitem",
        "update",
        "insert",
        "append",
        "extend",
        "clear",
        "remove",
        "sort",
        "setdefault",
        "fill",
        "resize",
        "put",
        "itemset",
        "reverse",
        "__setitem__",
        "__delitem__",
    }
)
_ROW_DROPPERS = frozenset({"dropna", "drop_duplicates", "query"})
_MASK_METHODS = frozenset(
    {
        "notna",
        "notnull",
        "isna",
        "isnull",
        "isin",
        "between",
        "duplicated",
        "contains",
        "startswith",
        "endswith",
        "match",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "any",
        "all",
    }
)
_COUNT_ATTRIBUTES = frozenset({"shape", "size"})
_COUNT_METHODS = frozenset({"count", "info", "value_counts", "nunique", "describe"})
_SHUFFLES = frozenset({"random.shuffle", "numpy.random.shuffle", "np.random.shuffle"})


class SessionChecker:
    def __init__(
        self,
        index: TreeIndex,
        names: NameTable,
        ctx: AnalysisContext,
        findings: list[RiskFinding],
        writes: list[tuple[PathValue, int]],
    ) -> None:
        self.index = index
        self.names = names
        self.ctx = ctx
        self.findings = findings
        self.writes = writes

    def run(self) -> None:
        self._rows_dropped()
        session = self.ctx.session
        if session is not None:
            self._overwrites(session)
            self._in_place(session.user_objects)
            self._written_code(session)

    # --- files -----------------------------------------------------------------------------

    def _overwrites(self, session: SessionFacts) -> None:
        scope = self.ctx.scope
        read = {normalise_fact_path(p, scope) for p in session.files_read}
        for value, line in self.writes:
            path = root_relative(value, scope)
            if path is not None and path in read:
                self.findings.append(
                    finding(
                        "overwrites_input",
                        "warning",
                        f"Writes over {path}, which this session read as input data; the "
                        "original would be lost (write the result to a new file)",
                        line,
                    )
                )

    def _written_code(self, session: SessionFacts) -> None:
        scope = self.ctx.scope
        written = {normalise_fact_path(p, scope) for p in session.files_written}
        imports: list[ast.Import | ast.ImportFrom] = [
            *self.index.of(ast.Import),
            *self.index.of(ast.ImportFrom),
        ]
        for node in imports:
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                modules = [node.module] if node.module and not node.level else []
            for module in modules:
                base = module.replace(".", "/")
                for candidate in (f"{base}.py", f"{base}/__init__.py"):
                    path = root_relative(PathValue(text=candidate), scope)
                    if path in written:
                        self.findings.append(
                            finding(
                                "imports_written_code",
                                "warning",
                                f"Imports {module}, whose file {path} this session wrote; "
                                "its code runs now",
                                node.lineno,
                            )
                        )

    # --- the user's objects --------------------------------------------------------------

    def _in_place(self, user_objects: frozenset[str]) -> None:
        if not user_objects:
            return
        rebound: dict[str, int] = {}  # name → first line the cell binds it anew
        for name in self.index.of(ast.Name):
            if isinstance(name.ctx, ast.Store) and name.id in user_objects:
                rebound[name.id] = min(rebound.get(name.id, name.lineno), name.lineno)

        def users(node: ast.AST, line: int) -> str | None:
            root = _root_name(node)
            if root is None or root not in user_objects:
                return None
            return root if line <= rebound.get(root, line) else None

        for call in self.index.of(ast.Call):
            self._in_place_call(call, users)
        statements: list[ast.Assign | ast.AugAssign | ast.Delete] = [
            *self.index.of(ast.Assign),
            *self.index.of(ast.AugAssign),
            *self.index.of(ast.Delete),
        ]
        for statement in statements:
            targets = (
                statement.targets
                if isinstance(statement, (ast.Assign, ast.Delete))
                else [statement.target]
            )
            for target in targets:
                if isinstance(target, ast.Name) and not isinstance(statement, ast.AugAssign):
                    continue  # rebinding the name leaves the user's object as it was
                root = users(target, statement.lineno)
                if root is not None:
                    shown = _shorten(ast.unparse(target))
                    verb = "Deletes part of" if isinstance(statement, ast.Delete) else "Changes"
                    self._user_data(root, f"{verb} {shown}", statement.lineno)

    def _in_place_call(self, call: ast.Call, users: Callable[[ast.AST, int], str | None]) -> None:
        func = call.func
        qual = self.names.resolve(func) or ""
        if qual in _SHUFFLES and call.args:
            root = users(call.args[0], call.lineno)
            if root is not None:
                self._user_data(root, f"Shuffles {root} ({qual})", call.lineno)
            return
        if not isinstance(func, ast.Attribute):
            return
        inplace = any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        )
        if inplace or func.attr in _MUTATING_METHODS:
            root = users(func.value, call.lineno)
            if root is not None:
                how = f".{func.attr}(..., inplace=True)" if inplace else f".{func.attr}()"
                self._user_data(root, f"Changes {root} in place ({how})", call.lineno)

    def _user_data(self, root: str, what: str, line: int) -> None:
        self.findings.append(
            finding(
                "inplace_user_data",
                "warning",
                f"{what}; {root} is data you created, and this change to it cannot be undone "
                "by running the cell again (work on a copy, or confirm)",
                line,
            )
        )

    # --- rows --------------------------------------------------------------------------------

    def _rows_dropped(self) -> None:
        dropped: list[tuple[str, str, int]] = []
        for assign in self.index.of(ast.Assign):
            if len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name):
                how = self._drops_rows_of(assign.value, assign.targets[0].id)
                if how is not None:
                    dropped.append((assign.targets[0].id, how, assign.lineno))
        for call in self.index.of(ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in _ROW_DROPPERS:
                inplace = any(
                    k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value
                    for k in call.keywords
                )
                root = _root_name(func.value)
                if inplace and root is not None and _drops_rows(call):
                    dropped.append((root, f".{func.attr}(inplace=True)", call.lineno))
        if not dropped or self._shows_count():
            return
        for name, how, line in dropped:
            self.findings.append(
                finding(
                    "rows_dropped_silently",
                    "warning",
                    f"Drops rows from {name} ({how}) without showing how many; print "
                    f"len({name}) before and after so the loss is visible",
                    line,
                )
            )

    def _drops_rows_of(self, value: ast.expr, name: str) -> str | None:
        """How ``name = value`` drops rows of ``name`` itself, if it does."""
        how: str | None = None
        node: ast.AST = value
        for _ in range(50):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _ROW_DROPPERS and _drops_rows(node):
                    how = f".{node.func.attr}()"
                node = node.func.value
            elif isinstance(node, ast.Subscript):
                mask = node.slice
                if isinstance(mask, ast.Tuple):
                    mask = mask.elts[0] if mask.elts else mask
                if _is_row_mask(mask):
                    how = "a filter"
                node = node.value
            elif isinstance(node, ast.Attribute) and node.attr in ("loc", "iloc"):
                node = node.value
            else:
                break
        return how if isinstance(node, ast.Name) and node.id == name else None

    def _shows_count(self) -> bool:
        for call in self.index.of(ast.Call):
            if isinstance(call.func, ast.Name) and call.func.id == "len":
                return True
            if isinstance(call.func, ast.Attribute) and call.func.attr in _COUNT_METHODS:
                return True
        return any(a.attr in _COUNT_ATTRIBUTES for a in self.index.of(ast.Attribute))


def _drops_rows(call: ast.Call) -> bool:
    """dropna(axis=1) drops columns, not rows."""
    for keyword in call.keywords:
        if keyword.arg == "axis" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value in (0, "index", "rows")
    return True


def _is_row_mask(node: ast.expr) -> bool:
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.BitAnd, ast.BitOr))
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.Invert, ast.Not))
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _MASK_METHODS
    )


def _root_name(node: ast.AST) -> str | None:
    """``df`` for ``df``, ``df["x"]``, ``df.loc[...]``, ``df.attrs["k"]``."""
    for _ in range(50):
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return None
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
