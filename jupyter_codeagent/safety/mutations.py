"""Which existing objects a cell may change in place: what undo must copy before it runs.

Rebinding a name (``df = df.dropna()``) or deleting it is undone from a reference to
the old object; a change *inside* an object (``rows.append(x)``, ``df["x"] = 1``,
``df.drop(columns="a", inplace=True)``, ``model.fit(X, y)``) is undone only from a copy
taken before the cell ran. This scan names the objects a cell may change that way,
with the code that does it, so the kernel copies them (or says why it cannot).
Static and best effort: a function defined earlier that mutates a global is not seen
(the kernel's namespace diff still notices changed shapes and lengths).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from .notebook import parse_python, split_cell

#: Methods that change their object whatever the arguments.
MUTATING_METHODS = frozenset(
    {
        # builtin containers
        "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
        "popitem", "add", "discard", "sort", "reverse", "difference_update",
        "intersection_update", "symmetric_difference_update",
        # numpy
        "fill", "resize", "put", "itemset", "setflags", "partition",
        # estimators (scikit-learn, statsmodels-like): fitting changes the object
        "fit", "partial_fit", "fit_transform", "fit_predict", "set_params",
        "__setitem__", "__delitem__",
    }
)  # fmt: skip
#: Functions that change their first argument.
MUTATING_FUNCTIONS = frozenset({"shuffle", "copyto", "place", "putmask", "fill_diagonal"})
_REASON_CHARS = 60
Note = Callable[..., None]


@dataclass(frozen=True, kw_only=True)
class InPlaceEffects:
    """``names``: every name the cell mentions; ``mutates``: name → the code that may
    change that object in place (first occurrence, with its line)."""

    names: frozenset[str] = field(default_factory=frozenset)
    mutates: dict[str, str] = field(default_factory=dict)


def in_place_effects(code: str) -> InPlaceEffects:
    """The names ``code`` mentions and those it may change in place (see the module)."""
    try:
        tree = parse_python(split_cell(code).python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return InPlaceEffects()
    names: set[str] = set()
    mutates: dict[str, str] = {}

    def note(node: ast.AST, target: ast.AST, why: str = "") -> None:
        base = base_name(target)
        if base is not None and base not in mutates:
            text = ast.unparse(node)
            if len(text) > _REASON_CHARS:
                text = text[: _REASON_CHARS - 1] + "…"
            line = getattr(node, "lineno", None)
            mutates[base] = f"`{text}`{why}" + (f" (line {line})" if line else "")

    # A store into an object is shown as its statement (``arr[:10] = 1``), not its target.
    statement_of: dict[ast.AST, ast.stmt] = {}
    for statement in ast.walk(tree):
        if isinstance(statement, ast.stmt):
            for inner in ast.walk(statement):
                statement_of[inner] = statement  # walk is breadth first: innermost wins
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            note(statement_of.get(node, node), node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            note(node, node.target)  # ``rows += [x]`` extends a list in place
        elif isinstance(node, ast.Call):
            _call(node, note)
    return InPlaceEffects(names=frozenset(names), mutates=mutates)


def _call(node: ast.Call, note: Note) -> None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    inplace = any(_true_keyword(k, "inplace") for k in node.keywords)
    if isinstance(func, ast.Attribute) and (name in MUTATING_METHODS or inplace):
        note(node, func.value)
    if name in MUTATING_FUNCTIONS and node.args:
        note(node, node.args[0])
    for keyword in node.keywords:
        if keyword.arg == "out":
            note(node, keyword.value, " (out=)")


def _true_keyword(keyword: ast.keyword, name: str) -> bool:
    if keyword.arg != name:
        return False
    value = keyword.value
    return not (isinstance(value, ast.Constant) and not value.value)


def base_name(node: ast.AST) -> str | None:
    """``df`` for ``df``, ``df["a"]``, ``df.a.b``, ``rows[0]``; None for a call's result."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
