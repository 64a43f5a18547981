"""Kernel-side helpers, part 2: find a module and read its source without importing it.

Importing runs a module's top-level code, so a ``.py`` file in the notebook's folder with
import-time side effects would run with no cell, no review and no audit. A module that
is not in ``sys.modules`` is therefore located without importing anything —
``importlib.util.find_spec`` of the top-level name only (a dotted ``find_spec`` imports
the parent packages), then ``PathFinder.find_spec`` with the parent's search locations —
and its source file is read and parsed with ``ast``. ``ModuleIndex`` is what one module
defines at top level: functions, classes, constants, ``from x import name`` re-exports,
star imports and ``__all__`` when it is a literal.

Standard library only; Python >= 3.8 syntax.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import sys
from typing import Any

from ._kernel_static import instance_dict  # stripped when sent: one module in the kernel

_MAX_SOURCE_BYTES = 4_000_000  # a larger file is not parsed inside the user's kernel
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class SourceUnavailable(LookupError):
    """The module exists but has no Python source we can read (compiled, built-in)."""


def _live_module_namespace(name: str) -> dict[str, Any]:
    module = sys.modules.get(name)
    return (instance_dict(module) or {}) if module is not None else {}


def _search_locations(name: str, spec: Any) -> list[str] | None:
    """Where a package's submodules are: the live ``__path__`` if imported, else the spec's."""
    live = _live_module_namespace(name).get("__path__")
    locations = live if live is not None else getattr(spec, "submodule_search_locations", None)
    if locations is None:
        return None
    try:
        return [str(p) for p in list(locations)]
    except Exception:
        return None


def find_module_spec(dotted: str) -> Any:
    """The module spec of ``dotted``, importing nothing (not even parent packages)."""
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        raise ModuleNotFoundError(f"No module named {dotted!r}")
    live = _live_module_namespace(parts[0]).get("__spec__")
    spec = live if live is not None else importlib.util.find_spec(parts[0])
    if spec is None:
        raise ModuleNotFoundError(f"No module named {parts[0]!r}")
    for i in range(1, len(parts)):
        parent, name = ".".join(parts[:i]), ".".join(parts[: i + 1])
        live = _live_module_namespace(name).get("__spec__")
        if live is not None:
            spec = live
            continue
        locations = _search_locations(parent, spec)
        if not locations:
            raise ModuleNotFoundError(f"No module named {name!r} ({parent!r} is not a package)")
        spec = _find_submodule(name, locations)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r}")
    return spec


def _find_submodule(name: str, locations: list[str]) -> Any:
    try:
        return importlib.machinery.PathFinder.find_spec(name, locations)
    except KeyError:
        # A namespace package inside a namespace package: its _NamespacePath wants the
        # parent in sys.modules. The folders are what we need.
        last = name.rpartition(".")[2]
        folders = [os.path.join(p, last) for p in locations if os.path.isdir(os.path.join(p, last))]
        if not folders:
            return None
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = folders
        return spec


def is_package(spec: Any) -> bool:
    return getattr(spec, "submodule_search_locations", None) is not None


def read_source(name: str, spec: Any) -> tuple[str, str]:
    """``(path, text)`` of a module's source; ``("", "")`` for a namespace package."""
    origin = getattr(spec, "origin", None)
    top = name.split(".")[0]
    hint = (
        f" describe_api does not import modules (that runs their code): import it in a "
        f"cell (`import {top}`), then ask again."
    )
    if origin is None and is_package(spec):
        return "", ""
    if not origin or origin in ("built-in", "frozen"):
        raise SourceUnavailable(f"module {name!r} is built into Python: it has no source.{hint}")
    if origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        raise SourceUnavailable(
            f"module {name!r} is a compiled extension ({origin}): it has no Python source." + hint
        )
    if not origin.endswith(tuple(importlib.machinery.SOURCE_SUFFIXES)):
        raise SourceUnavailable(f"module {name!r} has no readable source ({origin}).{hint}")
    try:
        if os.path.getsize(origin) > _MAX_SOURCE_BYTES:
            raise SourceUnavailable(f"the source of {name!r} is too large to read here.{hint}")
        with open(origin, "rb") as handle:
            return origin, importlib.util.decode_source(handle.read())
    except OSError as exc:
        raise SourceUnavailable(f"cannot read the source of {name!r}: {exc}.{hint}") from None


def _absolute(module: str | None, level: int, package: str) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside ``package``."""
    if level == 0:
        return module or ""
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{module}" if module else base


def _literal_names(node: ast.AST | None) -> list[str] | None:
    try:
        value = ast.literal_eval(node) if node is not None else None
    except Exception:
        return None
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


class ModuleIndex:
    """What one module's source defines at top level (first definition wins, so the
    ``try`` path of ``try: ... except ImportError:`` is the one described)."""

    def __init__(self, name: str, spec: Any) -> None:
        self.name = name
        self.spec = spec
        self.path, text = read_source(name, spec)
        self.package = name if is_package(spec) else name.rpartition(".")[0]
        tree = (
            ast.parse(text, filename=self.path or name)
            if text
            else ast.Module(body=[], type_ignores=[])
        )
        self.doc = ast.get_docstring(tree) if text else None
        self.defs: dict[str, ast.AST] = {}
        # local name -> (absolute module, attribute or None when the name is the module)
        self.imports: dict[str, tuple[str, str | None]] = {}
        self.stars: list[str] = []
        self.all: list[str] | None = None
        self.lazy = False  # a module-level __getattr__ creates names at run time
        self._scan(tree.body)

    def _scan(self, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, _DEFINITIONS):
                self.lazy = self.lazy or node.name == "__getattr__"
                self.defs.setdefault(node.name, node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self._assignment(node)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                extra = _literal_names(node.value)
                if node.target.id == "__all__" and extra is not None and self.all is not None:
                    self.all.extend(extra)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports.setdefault(alias.asname, (alias.name, None))
                    else:
                        top = alias.name.split(".")[0]
                        self.imports.setdefault(top, (top, None))
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(node.module, node.level, self.package)
                for alias in node.names:
                    if alias.name == "*":
                        self.stars.append(source)
                    else:
                        local = alias.asname or alias.name
                        self.imports.setdefault(local, (source, alias.name))
            elif isinstance(node, ast.If):
                self._scan(node.body)
                self._scan(node.orelse)
            elif isinstance(node, ast.Try):
                self._scan(node.body)
                self._scan(node.orelse)
                for handler in node.handlers:
                    self._scan(handler.body)
                self._scan(node.finalbody)
            elif isinstance(node, ast.With):
                self._scan(node.body)

    def _assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__all__":
                names = _literal_names(node.value)
                if names is not None and self.all is None:
                    self.all = names
            elif node.value is not None:
                self.defs.setdefault(target.id, node)

    def public_names(self) -> list[str]:
        """``__all__`` when literal; else public definitions and re-exports from inside
        the same top-level package (not ``from typing import Any``)."""
        if self.all is not None:
            return list(dict.fromkeys(self.all))
        top = self.name.split(".")[0]
        names = [n for n in self.defs if not n.startswith("_")]
        names += [
            local
            for local, (module, attr) in self.imports.items()
            if attr is not None and not local.startswith("_") and module.split(".")[0] == top
        ]
        return list(dict.fromkeys(names))

    def submodules(self) -> list[str]:
        """Names of a package's submodules, from its folders (nothing is imported)."""
        import pkgutil

        locations = _search_locations(self.name, self.spec)
        if not locations:
            return []
        try:
            found = {info.name for info in pkgutil.iter_modules(locations)}
        except Exception:
            return []
        return sorted(n for n in found if not n.startswith("_"))


class IndexCache:
    """Modules parsed during one look-up (a look-up may visit the same module twice)."""

    def __init__(self) -> None:
        self._indexes: dict[str, ModuleIndex] = {}

    def get(self, name: str) -> ModuleIndex:
        if name not in self._indexes:
            self._indexes[name] = ModuleIndex(name, find_module_spec(name))
        return self._indexes[name]
