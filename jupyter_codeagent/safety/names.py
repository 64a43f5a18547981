"""What names in a cell refer to, and what strings and paths expressions spell.

A first pass over the cell records imports (``import subprocess as sp``, ``from os
import system``) and simple assignments (``run = sp.run``, ``out = Path("results")``).
The analysis is flow-insensitive on purpose: a cell is short, and an alias that is
dangerous anywhere in it is treated as dangerous everywhere.

Names the cell never binds resolve to themselves (``os.system`` stays ``os.system``),
because notebooks import modules in earlier cells.
"""

from __future__ import annotations

import ast
import posixpath

from . import catalog
from .paths import PathValue

_PATH_CONSTRUCTORS = frozenset(
    {
        "Path",
        "PurePath",
        "PosixPath",
        "WindowsPath",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "str",
        "os.fspath",
        "os.path.join",
        "os.path.normpath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.expandvars",
    }
)
_HOME_CALLS = frozenset({"Path.home", "pathlib.Path.home"})
_CWD_CALLS = frozenset({"Path.cwd", "pathlib.Path.cwd", "os.getcwd"})
_PATH_SAME_METHODS = frozenset({"expanduser", "resolve", "absolute", "as_posix", "__fspath__"})
_PATH_SIBLING_METHODS = frozenset({"with_suffix", "with_name", "with_stem", "joinpath"})
_MAX_DEPTH = 20  # guards alias chains such as a = b; b = a


def normalise(name: str) -> str:
    """Canonical spelling: builtins without prefix, IPython's shell as ``get_ipython()``."""
    for prefix in ("builtins.", "__builtins__.", "__builtin__."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    marker = "get_ipython()"
    if marker in name:
        name = name[name.index(marker) :]
    return name


def literal_string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class NameTable:
    """Pass one over a cell: imports, aliases, constants and obfuscated values."""

    def __init__(self, tree: ast.AST) -> None:
        self.imports: dict[str, str] = {}  # bound name → module path
        self.values: dict[str, list[ast.expr]] = {}  # name → every value assigned to it
        self.bound: set[str] = set()  # any name the cell binds (loops, defs, parameters...)
        self.stores: dict[str, int] = {}  # how often each name is bound
        self.star_modules: list[str] = []
        self.tainted: set[str] = set()
        self._collect(tree)
        self._taint()

    # --- collection ----------------------------------------------------------------

    def _collect(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:  # "import os.path" binds "os"
                        top = alias.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assign(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                self._assign(node.target, node.value)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._assign(node.optional_vars, node.context_expr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.bound.add(node.id)
                self.stores[node.id] = self.stores.get(node.id, 0) + 1
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
                self.stores[node.arg] = self.stores.get(node.arg, 0) + 2  # never a constant
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(node.name)

    def _assign(self, target: ast.AST, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.values.setdefault(target.id, []).append(value)

    def _taint(self) -> None:
        # Fixed point: x = b64decode(...); y = x.decode(); exec(y) taints y too.
        changed = True
        while changed:
            changed = False
            for name, values in self.values.items():
                if name not in self.tainted and any(self.obfuscated(v) for v in values):
                    self.tainted.add(name)
                    changed = True

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
        name = self._resolve(node, depth)
        return normalise(name) if name else None

    def _resolve(self, node: ast.AST, depth: int) -> str | None:
        # Unnormalised, so that "__builtins__.__dict__" keeps its shape while resolving.
        if depth > _MAX_DEPTH:
            return None
        name: str | None = None
        if isinstance(node, ast.Name):
            name = self._resolve_name(node.id, depth)
        elif isinstance(node, ast.Attribute):
            base = self._resolve(node.value, depth + 1)
            name = f"{base}.{node.attr}" if base else None
        elif isinstance(node, ast.Call):
            name = self._resolve_call(node, depth)
        elif isinstance(node, ast.Subscript):
            name = self._resolve_subscript(node, depth)
        return name

    def _resolve_name(self, ident: str, depth: int) -> str | None:
        if ident in self.imports:
            return self.imports[ident]
        for value in self.values.get(ident, []):
            resolved = self.resolve(value, depth + 1)
            if resolved:
                return resolved
        if ident in self.values or ident in self.bound:
            return None  # a local variable, not a module from an earlier cell
        for module in self.star_modules:  # "from os import *" then "system(...)"
            if f"{module}.{ident}" in _STAR_KNOWN:
                return f"{module}.{ident}"
        return ident

    def _resolve_call(self, node: ast.Call, depth: int) -> str | None:
        func = self.resolve(node.func, depth + 1)
        first = literal_string(node.args[0]) if node.args else None
        if func in catalog.DYNAMIC_IMPORTS and first:
            # __import__("os.path") returns "os" unless a fromlist is given.
            has_fromlist = len(node.args) > 3 or any(k.arg == "fromlist" for k in node.keywords)
            plain = func == "__import__" and not has_fromlist
            return first.split(".")[0] if plain else first
        if func == "getattr" and len(node.args) >= 2:
            attr = literal_string(node.args[1])
            base = self.resolve(node.args[0], depth + 1)
            return f"{base}.{attr}" if base and attr else None
        if func == "vars" and node.args:  # vars(os)["system"]
            return self.resolve(node.args[0], depth + 1)
        if func is not None and (func == "get_ipython" or func.endswith(".get_ipython")):
            return "get_ipython()"
        return f"{func}()" if func else None

    def _resolve_subscript(self, node: ast.Subscript, depth: int) -> str | None:
        key = literal_string(node.slice)
        if key is None:
            return None
        base = self._resolve(node.value, depth + 1)
        if base is None:
            return None
        if base.endswith(".__dict__"):
            return f"{base[: -len('.__dict__')]}.{key}"
        if base in ("__builtins__", "builtins", "sys.modules"):
            return key
        if base in ("globals()", "locals()"):
            return self._resolve_name(key, depth + 1)
        return f"{base}.{key}" if base in catalog.SENSITIVE_MODULES else None

    # --- strings and paths --------------------------------------------------------------

    def template(self, node: ast.AST, depth: int = 0) -> str | None:
        """A string expression with run-time parts shown as ``{…}``; None if nothing literal.

        ``f"rm -rf {folder}"`` → ``"rm -rf {…}"``: enough to see what a command does.
        """
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = [
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{…}"
                for v in node.values
            ]
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left = self.template(node.left, depth + 1)
            if isinstance(node.op, ast.Mod):
                return left
            right = self.template(node.right, depth + 1)
            if left is None and right is None:
                return None
            return (left if left is not None else "{…}") + (right if right is not None else "{…}")
        if isinstance(node, ast.Name):
            value = self.constant(node.id)
            return self.template(value, depth + 1) if value is not None else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = self.template(node.func.value, depth + 1)
            if node.func.attr == "format" and receiver is not None:
                return receiver
            if node.func.attr == "join" and receiver is not None and node.args:
                items = self.argv(node.args[0])
                if items is not None:
                    return receiver.join(i if i is not None else "{…}" for i in items)
        return None

    def argv(self, node: ast.AST) -> list[str | None] | None:
        """A list/tuple of command-line arguments, with None for run-time values."""
        if isinstance(node, ast.Name):
            value = self.constant(node.id)
            return self.argv(value) if value is not None else None
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.template(e) for e in node.elts]
        if isinstance(node, ast.Call) and self.resolve(node.func) == "shlex.split" and node.args:
            text = self.template(node.args[0])
            if text is None:
                return None
            items: list[str | None] = [*text.split()]
            return items
        return None

    def path(self, node: ast.AST, depth: int = 0) -> PathValue | None:
        """The path an expression spells, as far as it is literal; None if not at all."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, (ast.Constant, ast.JoinedStr)) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
        ):
            text = self.template(node)
            if text is None:
                return None
            literal = text.split("{…}")[0]
            return PathValue(text=literal, exact=literal == text)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path("a") / "b"
            return self._join([node.left, node.right], depth)
        if isinstance(node, ast.Name):
            value = self.constant(node.id)
            return self.path(value, depth + 1) if value is not None else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self.path(node.value, depth + 1)
            if inner is None or not inner.exact:
                return inner
            return PathValue(text=posixpath.dirname(inner.text.rstrip("/")) or ".")
        if isinstance(node, ast.Subscript) and self.resolve(node.value) in catalog.ENVIRON:
            return PathValue(text="~") if literal_string(node.slice) == "HOME" else None
        if isinstance(node, ast.Call):
            return self._path_call(node, depth)
        return None

    def _path_call(self, node: ast.Call, depth: int) -> PathValue | None:
        func = self.resolve(node.func)
        if func in _HOME_CALLS:
            return PathValue(text="~")
        if func in _CWD_CALLS:
            return PathValue(text=".")
        if func in catalog.GETENV_CALLS and node.args and literal_string(node.args[0]) == "HOME":
            return PathValue(text="~")
        if func in _PATH_CONSTRUCTORS:
            return self._join(node.args, depth) if node.args else PathValue(text=".")
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            if method in _PATH_SAME_METHODS:
                return self.path(receiver, depth + 1)
            if method == "joinpath":
                return self._join([receiver, *node.args], depth)
            if method in _PATH_SIBLING_METHODS:
                inner = self.path(receiver, depth + 1)
                if inner is None:
                    return None
                folder = posixpath.dirname(inner.text) if inner.exact else inner.text
                return PathValue(text=(folder or ".") + "/", exact=False)
        return None

    def _join(self, parts: list[ast.expr], depth: int) -> PathValue | None:
        text = ""
        for part in parts:
            value = self.path(part, depth + 1)
            if value is None:  # a run-time part: only what came before it is known
                return PathValue(text=text, exact=False)
            if value.text.startswith("/") or not text:
                text = value.text
            else:
                text = text.rstrip("/") + "/" + value.text
            if not value.exact:
                return PathValue(text=text, exact=False)
        return PathValue(text=text)

    # --- obfuscation ----------------------------------------------------------------------

    def obfuscated(self, node: ast.AST) -> bool:
        """Does the expression decode or rebuild hidden text (base64, chr(), [::-1]...)?"""
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in self.tainted:
                return True
            if isinstance(child, ast.Subscript) and isinstance(child.slice, ast.Slice):
                step = child.slice.step
                if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub):
                    return True
            if isinstance(child, ast.Call) and self._decoding_call(child):
                return True
        return False

    def _decoding_call(self, node: ast.Call) -> bool:
        func = self.resolve(node.func) or ""
        last = node.func.attr if isinstance(node.func, ast.Attribute) else func.rsplit(".")[-1]
        if last in catalog.DECODER_NAMES or func in catalog.OBFUSCATION_CALLS:
            return True
        if last == "decode" and node.args:  # "...".decode("rot13") / ("hex")
            codec = (literal_string(node.args[0]) or "").lower().replace("-", "_")
            return codec in ("rot13", "rot_13", "hex", "base64", "zlib", "bz2")
        if func in ("bytes", "bytearray") and node.args:
            return isinstance(node.args[0], (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp))
        return False


# Names reachable through "from <module> import *" that the checks care about.
_STAR_KNOWN = frozenset(
    set(catalog.SHELL_STRING_CALLS)
    | catalog.DELETE_CALLS
    | catalog.TREE_DELETE_CALLS
    | set(catalog.WRITE_CALLS)
    | catalog.PROCESS_KILL_CALLS
    | catalog.KERNEL_KILL_CALLS
    | {"os.environ", "os.getenv", "os.popen", "os.execv", "os.execvp", "os.execl"}
)
