"""What names in a cell refer to: imports, aliases, module namespaces, constants.

A first pass over the cell records imports (``import subprocess as sp``, ``from os
import system``) and simple assignments (``run = sp.run``, ``out = Path("results")``).
The analysis is flow-insensitive on purpose: a cell is short, and an alias that is
dangerous anywhere in it is treated as dangerous everywhere. Each name is resolved once
(memoised), so the cost stays linear in the size of the cell.

Names the cell never binds resolve to themselves (``os.system`` stays ``os.system``),
because notebooks import modules in earlier cells.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from . import catalog
from .literals import UNKNOWN, LiteralReader, literal_string
from .tree import TreeIndex

__all__ = ["NameTable", "literal_string", "normalise"]

# Attribute chains and nested calls are followed this deep (a long pandas method chain
# is about 20); deeper ones (os.path.os.path....os.system) are reported via too_deep.
_MAX_DEPTH = 80
# Names defined through other names (run = a; a = b; b = os.system) are followed this
# deep; real cells stay far below it. Deeper chains are reported (``too_deep``), since
# an alias the analyzer gives up on would otherwise read as harmless.
MAX_CHAIN = 100
_NAMESPACE_GETTERS = frozenset({"__getattribute__", "__getattr__", "get", "__getitem__"})
# Calls that can return a module member named by a string.
_LOOKUP_CALLS = _NAMESPACE_GETTERS | {"getattr", "__import__", "import_module", "vars"}


@lru_cache(maxsize=8192)
def normalise(name: str) -> str:
    """Canonical spelling of a dotted name.

    Builtins lose their prefix, IPython's shell is ``get_ipython()``, a module reached
    through another module is itself (``pathlib.os.environ`` is ``os.environ``,
    ``json.__builtins__`` the builtins), ``posix``/``nt`` are ``os``, and a trailing
    ``.__call__`` is the callable itself.
    """
    marker = "get_ipython()"
    if marker in name:
        return name[name.index(marker) :]
    parts = name.split(".")
    for index in range(len(parts) - 2, 0, -1):
        # A module reached through another one, followed by a member of it; not a class
        # named like its module (socket.socket, socket.socket.connect).
        if parts[index] in catalog.REEXPORTED_MODULES and not (index == 1 and parts[0] == parts[1]):
            parts = parts[index:]
            break
    while len(parts) > 1 and parts[-1] == "__call__":
        parts.pop()
    module = catalog.MODULE_ALIASES.get(parts[0])
    if module is not None:
        parts[0] = module
    if parts[0] in ("builtins", "__builtins__", "__builtin__") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


class NameTable(LiteralReader):
    """Pass one over a cell: imports, aliases, constants and obfuscated values."""

    def __init__(self, index: TreeIndex) -> None:
        super().__init__()
        self.index = index
        self.imports: dict[str, str] = {}  # bound name → module path
        self.values: dict[str, list[ast.expr]] = {}  # name → every value assigned to it
        self.bound: set[str] = set()  # any name the cell binds (loops, defs, parameters...)
        self.stores: dict[str, int] = {}  # how often each name is bound
        self.star_modules: list[str] = []
        self._tainted: set[str] | None = None
        self._resolved: dict[str, str | None] = {}
        self._by_node: dict[ast.AST, str | None] = {}
        self._resolving: set[str] = set()
        self.too_deep = False  # a chain of names longer than MAX_CHAIN was met
        self._collect(index)

    # --- collection ----------------------------------------------------------------

    def _collect(self, index: TreeIndex) -> None:
        for imp in index.of(ast.Import):
            for alias in imp.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:  # "import os.path" binds "os"
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
        for imp_from in index.of(ast.ImportFrom):
            if not imp_from.module or imp_from.level:
                continue
            for alias in imp_from.names:
                if alias.name == "*":
                    self.star_modules.append(imp_from.module)
                else:
                    self.imports[alias.asname or alias.name] = f"{imp_from.module}.{alias.name}"
        for assign in index.of(ast.Assign):
            for target in assign.targets:
                self._assign(target, assign.value)
        for annotated in index.of(ast.AnnAssign):
            if annotated.value is not None:
                self._assign(annotated.target, annotated.value)
        for walrus in index.of(ast.NamedExpr):
            self._assign(walrus.target, walrus.value)
        for item in index.of(ast.withitem):
            if item.optional_vars is not None:
                self._assign(item.optional_vars, item.context_expr)
        for name in index.of(ast.Name):
            if isinstance(name.ctx, (ast.Store, ast.Del)):
                self.bound.add(name.id)
                self.stores[name.id] = self.stores.get(name.id, 0) + 1
        for arg in index.of(ast.arg):
            self.bound.add(arg.arg)
            self.stores[arg.arg] = self.stores.get(arg.arg, 0) + 2  # never a constant
        for function in index.of(ast.FunctionDef):
            self.bound.add(function.name)
        for coroutine in index.of(ast.AsyncFunctionDef):
            self.bound.add(coroutine.name)
        for klass in index.of(ast.ClassDef):
            self.bound.add(klass.name)

    def _assign(self, target: ast.AST, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.values.setdefault(target.id, []).append(value)

    @property
    def tainted(self) -> set[str]:
        """Names whose value decodes hidden text, directly or through other such names.

        x = b64decode(...); y = x.decode(); exec(y) taints y too. Computed on first use:
        only cells that run or unpickle something need it.
        """
        if self._tainted is None:
            self._tainted = set()
            self._taint(self._tainted)
        return self._tainted

    def _taint(self, tainted: set[str]) -> None:
        # The decoding calls are found first (usually there are none); only then are the
        # names that use tainted names followed, through a work list.
        looked_up: list[ast.Call | ast.Subscript] = [
            *self.index.of(ast.Call),
            *self.index.of(ast.Subscript),
        ]
        for node in looked_up:
            if self.decodes(node):
                tainted.update(self._assigned_by(node))
        if not tainted:
            return
        users: dict[str, set[str]] = {}
        for name in self.index.of(ast.Name):
            if isinstance(name.ctx, ast.Load):
                for target in self._assigned_by(name):
                    if target != name.id:
                        users.setdefault(name.id, set()).add(target)
        work = list(tainted)
        while work:
            for user in users.get(work.pop(), ()):
                if user not in tainted:
                    tainted.add(user)
                    work.append(user)

    def _assigned_by(self, node: ast.AST) -> list[str]:
        """The names whose assigned value contains ``node`` (``y = f(node)`` → ["y"])."""
        found: list[str] = []
        child, parent = node, self.index.parent(node)
        while parent is not None:
            if isinstance(parent, ast.NamedExpr) and parent.value is child:
                found.append(parent.target.id)
            elif isinstance(parent, ast.withitem) and parent.context_expr is child:
                if isinstance(parent.optional_vars, ast.Name):
                    found.append(parent.optional_vars.id)
            elif isinstance(parent, (ast.Assign, ast.AnnAssign)):
                if parent.value is child:
                    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                    found += [t.id for t in targets if isinstance(t, ast.Name)]
                break
            elif isinstance(parent, ast.stmt):
                break
            child, parent = parent, self.index.parent(parent)
        return found

    def constant(self, name: str) -> ast.expr | None:
        """The value of a name bound exactly once in the cell, by a plain assignment.

        A name also bound by a loop, ``+=`` or a parameter is not a constant: its value
        at the point of use is unknown.
        """
        values = self.values.get(name, [])
        single = len(values) == 1 and self.stores.get(name, 0) == 1
        return values[0] if single and name not in self.imports else None

    # --- resolution -------------------------------------------------------------------

    def resolve(self, node: ast.AST, depth: int = 0) -> str | None:
        """The dotted name an expression refers to (``sp.run`` → ``subprocess.run``)."""
        if depth == 0 and node in self._by_node:  # several checks ask about the same node
            return self._by_node[node]
        name = self._resolve(node, depth)
        result = normalise(name) if name else None
        if depth == 0:
            self._by_node[node] = result
        return result

    def _resolve(self, node: ast.AST, depth: int) -> str | None:
        # Unnormalised, so that "__builtins__.__dict__" keeps its shape while resolving.
        if depth > _MAX_DEPTH:
            self.too_deep = True
            return None
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value, depth + 1)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self._resolve_call(node, depth)
        if isinstance(node, ast.Subscript):
            return self._resolve_subscript(node, depth)
        return None

    def _resolve_name(self, ident: str) -> str | None:
        if ident in self._resolved:
            return self._resolved[ident]
        if ident in self._resolving:
            return None  # a = b; b = a
        if len(self._resolving) >= MAX_CHAIN:
            self.too_deep = True
            return None
        self._resolving.add(ident)
        try:
            result = self._compute_name(ident)
        finally:
            self._resolving.discard(ident)
        self._resolved[ident] = result
        return result

    def _compute_name(self, ident: str) -> str | None:
        if ident in self.imports:
            return self.imports[ident]
        for value in self.values.get(ident, []):
            resolved = self._resolve(value, 0)
            if resolved:
                return resolved
        if ident in self.values or ident in self.bound:
            return None  # a local variable, not a module from an earlier cell
        for module in self.star_modules:  # "from os import *" then "system(...)"
            if f"{module}.{ident}" in catalog.STAR_KNOWN:
                return f"{module}.{ident}"
        return ident

    def key(self, node: ast.AST) -> str | None:
        """A name used as a key or attribute, if it is known before the cell runs."""
        text = self.template(node)
        return text if text is not None and UNKNOWN not in text else None

    def _resolve_call(self, node: ast.Call, depth: int) -> str | None:
        func = self.resolve(node.func, depth + 1)
        if func in catalog.DYNAMIC_IMPORTS and node.args:
            first = self.key(node.args[0])
            if not first:
                return None
            # __import__("os.path") returns "os" unless a fromlist is given.
            has_fromlist = len(node.args) > 3 or any(k.arg == "fromlist" for k in node.keywords)
            plain = func == "__import__" and not has_fromlist
            return first.split(".")[0] if plain else first
        if func in ("getattr", "object.__getattribute__") and len(node.args) >= 2:
            attr = self.key(node.args[1])
            base = self._resolve(node.args[0], depth + 1)
            return f"{base}.{attr}" if base and attr else None
        if func == "vars" and node.args:  # vars(os)["system"]
            inner = self._resolve(node.args[0], depth + 1)
            return f"{inner}.__dict__" if inner else None
        if isinstance(node.func, ast.Attribute) and node.func.attr in _NAMESPACE_GETTERS:
            # os.__getattribute__("system"), vars(os).get("system")
            base = self._resolve(node.func.value, depth + 1)
            is_dict = base is not None and base.endswith(".__dict__")
            if base and node.args and (node.func.attr != "get" or is_dict):
                key = self.key(node.args[0])
                found = self._member(base, key) if key else None
                if found:
                    return found
        if (
            isinstance(node.func, ast.Call)
            and node.args
            and node.func.args
            and self.resolve(node.func.func, depth + 1) == "operator.attrgetter"
        ):  # operator.attrgetter("system")(os)
            attr = self.key(node.func.args[0])
            base = self._resolve(node.args[0], depth + 1)
            return f"{base}.{attr}" if base and attr else None
        if func is not None and (func == "get_ipython" or func.endswith(".get_ipython")):
            return "get_ipython()"
        return f"{func}()" if func else None

    def _resolve_subscript(self, node: ast.Subscript, depth: int) -> str | None:
        base = self._resolve(node.value, depth + 1)
        if base is None:
            return None
        key = self.key(node.slice)
        return self._member(base, key) if key is not None else None

    def _member(self, base: str, key: str) -> str | None:
        """``base[key]`` where base is a namespace: the member it names, or None."""
        if base.endswith(".__dict__"):
            return f"{base[: -len('.__dict__')]}.{key}"
        if base in ("builtins", "sys.modules") or base.rsplit(".", 1)[-1] == "__builtins__":
            return key  # json.__builtins__ is the builtins' namespace too
        if base in ("globals()", "locals()"):
            return self._resolve_name(key)
        return f"{base}.{key}" if normalise(base) in catalog.SENSITIVE_MODULES else None

    def candidates(self, lasts: frozenset[str]) -> list[ast.expr]:
        """The nodes that may resolve to a name ending in one of ``lasts`` (a superset):
        attributes spelled so, names bound to such a thing, and look-ups by string."""
        found: list[ast.expr] = []
        by_attr, by_id = self.index.attributes_by_name, self.index.names_by_id
        for last in (*lasts, "__call__"):
            found += by_attr.get(last, [])
        idents = set(lasts)
        for ident in {*self.imports, *self.values}:
            resolved = self._resolve_name(ident)
            if resolved is not None and normalise(resolved).rsplit(".", 1)[-1] in lasts:
                idents.add(ident)
        if self.star_modules:
            idents |= catalog.STAR_LAST_NAMES
        for ident in idents:
            found += by_id.get(ident, [])
        looked_up: list[ast.Call | ast.Subscript] = [
            *self.index.of(ast.Call),
            *self.index.of(ast.Subscript),
        ]
        for node in looked_up:
            if self.may_resolve_to(node, lasts):
                found.append(node)
        return found

    def may_resolve_to(self, node: ast.AST, lasts: frozenset[str]) -> bool:
        """Could ``node`` resolve to a name ending in one of ``lasts``? A cheap syntactic
        test (True when unsure) that spares resolving the many nodes that cannot."""
        if isinstance(node, ast.Name):
            ident = node.id
            return (
                ident in lasts
                or ident in self.imports
                or ident in self.values
                or (bool(self.star_modules) and ident in catalog.STAR_LAST_NAMES)
            )
        if isinstance(node, ast.Attribute):
            return node.attr in lasts or node.attr == "__call__"
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant):
                return isinstance(key.value, str) and key.value in lasts
            return not isinstance(key, (ast.Slice, ast.Tuple))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Call):
                return True  # operator.attrgetter("x")(obj)
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            return name in _LOOKUP_CALLS or name in self.imports or name in self.values
        return False

    def namespace(self, node: ast.AST) -> str | None:
        """The module whose namespace an expression is (``vars(os)``, ``os.__dict__``)."""
        name = self._resolve(node, 0)
        if name is None:
            return None
        if name.endswith(".__dict__"):
            return normalise(name[: -len(".__dict__")])
        if name in ("__builtins__", "builtins", "sys.modules", "globals()", "locals()"):
            return name
        return None
