"""Kernel-side helpers, part 3: resolve an API name without running code, and describe
what a module's source defines.

A dotted name is walked from a live object (a user variable or a module already in
``sys.modules``) with look-ups that call nothing (``static_attribute``); a module
attribute that is not loaded yet continues in the module's source, and a module that is
not imported at all is read from its source (``_kernel_source_index.py``). ``from x
import name`` re-exports are followed a few levels, so ``pandas.merge_asof`` is found in
``pandas/core/reshape/merge.py`` of a kernel that never imported pandas.

Standard library only; Python >= 3.8 syntax (``ast.unparse`` is used when present).
"""

from __future__ import annotations

import ast
import sys
import time
import types
from typing import Any

from ._kernel_source_index import (  # stripped when sent: one module in the kernel
    IndexCache,
    ModuleIndex,
    is_package,
)
from ._kernel_static import (  # stripped when sent: one module in the kernel
    class_label,
    instance_dict,
    static_attribute,
)

_MAX_HOPS = 8  # re-exports followed for one name
_SOURCE_MEMBERS = 40
_RESOLVE_SECONDS = 0.5  # spent resolving the re-exported members of one module listing
_NOT_FOUND = (LookupError, AttributeError, ImportError, SyntaxError, ValueError)


class SourceItem:
    """A module read from its source, or one definition in it (``node``)."""

    def __init__(self, index: ModuleIndex, node: ast.AST | None = None, qualname: str = ""):
        self.index = index
        self.node = node
        self.qualname = qualname


class Unevaluated:
    """A descriptor (a property...) of a class outside the trusted libraries: found on
    the class, deliberately not called."""

    def __init__(self, owner: str, name: str, descriptor: Any) -> None:
        self.owner = owner
        self.name = name
        self.descriptor = descriptor

    def describe(self) -> str:
        kind = class_label(type(self.descriptor))
        doc = (
            getattr(self.descriptor, "__doc__", None) if type(self.descriptor) is property else None
        )
        line = f" — {doc.strip().splitlines()[0]}" if isinstance(doc, str) and doc.strip() else ""
        return (
            f"{self.owner}.{self.name} is a {kind} of a class defined outside well-known "
            f"libraries{line}. It was not evaluated: reading it runs the class's own code. "
            "Evaluate it in a cell if you need its value."
        )


def _module_name(module: Any, fallback: str) -> str:
    name = (instance_dict(module) or {}).get("__name__")
    return name if type(name) is str else fallback


def resolve_path(root: Any, root_name: str, attrs: list[str], cache: IndexCache) -> Any:
    """Walk ``attrs`` from a live object without running its code; a module's attribute
    that is not loaded yet is looked up in the module's source."""
    obj, name = root, root_name
    for i, attr in enumerate(attrs):
        if issubclass(type(obj), types.ModuleType):
            module_name = _module_name(obj, name)
            found, value, _evaluated = static_attribute(obj, attr)
            if found:
                obj, name = value, f"{module_name}.{attr}"
                continue
            if f"{module_name}.{attr}" in sys.modules:
                obj, name = sys.modules[f"{module_name}.{attr}"], f"{module_name}.{attr}"
                continue
            return source_lookup(module_name, attrs[i:], cache, hops=1, live=False)
        found, value, evaluated = static_attribute(obj, attr)
        if not found:
            raise AttributeError(f"{name!r} has no attribute {attr!r}")
        if not evaluated:
            unevaluated = Unevaluated(name, attr, value)
            if i == len(attrs) - 1:
                return unevaluated
            raise AttributeError(unevaluated.describe())
        obj, name = value, f"{name}.{attr}"
    return obj


def source_lookup(
    module: str, attrs: list[str], cache: IndexCache, *, hops: int = 0, live: bool = True
) -> Any:
    """``module.attrs...`` from the module's source (or live, once a hop lands on a
    module that is already imported)."""
    if hops > _MAX_HOPS:
        raise LookupError(f"too many re-exports while looking for {'.'.join([module, *attrs])}")
    if live and module in sys.modules:
        return resolve_path(sys.modules[module], module, attrs, cache)
    index = cache.get(module)
    if not attrs:
        return SourceItem(index)
    head, rest = attrs[0], attrs[1:]
    if head in index.defs:
        return _inside(index, head, rest)
    if head in index.imports and index.imports[head] != (module, head):
        target, attr = index.imports[head]  # (``from pkg import sub`` in pkg: a submodule)
        return source_lookup(target, ([attr] if attr else []) + rest, cache, hops=hops + 1)
    if is_package(index.spec):
        try:
            return source_lookup(f"{module}.{head}", rest, cache, hops=hops)
        except ModuleNotFoundError:
            pass
    for star in index.stars:
        try:
            return source_lookup(star, attrs, cache, hops=hops + 1)
        except _NOT_FOUND:
            continue
    why = (
        " Its module-level __getattr__ may create it when the module runs: import the "
        "module in a cell to describe it live."
        if index.lazy
        else ""
    )
    raise AttributeError(f"module {module!r} has no attribute {head!r} in its source.{why}")


def _class_members(node: ast.ClassDef) -> dict[str, ast.AST]:
    members: dict[str, ast.AST] = {}
    for child in node.body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            members.setdefault(child.name, child)
        elif isinstance(child, ast.Assign):
            for target in child.targets:
                if isinstance(target, ast.Name):
                    members.setdefault(target.id, child)
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            members.setdefault(child.target.id, child)
    return members


def _inside(index: ModuleIndex, head: str, rest: list[str]) -> SourceItem:
    node, qual = index.defs[head], [head]
    for attr in rest:
        where = f"{index.name}.{'.'.join(qual)}"
        if not isinstance(node, ast.ClassDef):
            raise AttributeError(
                f"{where} is not a class in the source; its attributes exist only when the "
                "module runs (import it in a cell to look inside)"
            )
        members = _class_members(node)
        if attr not in members:
            raise AttributeError(f"class {where} defines no {attr!r} (it may be inherited)")
        node = members[attr]
        qual.append(attr)
    return SourceItem(index, node, ".".join(qual))


# --- rendering --------------------------------------------------------------------


def _unparse(node: ast.AST | None, limit: int = 60) -> str:
    if node is None:
        return ""
    try:
        text = ast.unparse(node) if hasattr(ast, "unparse") else "..."
    except Exception:
        text = "..."
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _argument(arg: ast.arg, default: ast.AST | None, prefix: str = "") -> str:
    text = prefix + arg.arg
    if arg.annotation is not None:
        text += ": " + _unparse(arg.annotation)
    if default is not None:
        text += (" = " if arg.annotation is not None else "=") + _unparse(default)
    return text


def function_signature(
    node: ast.FunctionDef | ast.AsyncFunctionDef, drop_first: bool = False
) -> str:
    """The signature as ``inspect.signature`` would print it, from the AST."""
    args = node.args
    positional = list(getattr(args, "posonlyargs", [])) + list(args.args)
    defaults: list[ast.AST | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    parts = [_argument(arg, defaults[i]) for i, arg in enumerate(positional)]
    only = len(getattr(args, "posonlyargs", []))
    if only:
        parts.insert(only, "/")
    if args.vararg is not None:
        parts.append(_argument(args.vararg, None, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [_argument(a, args.kw_defaults[i]) for i, a in enumerate(args.kwonlyargs)]
    if args.kwarg is not None:
        parts.append(_argument(args.kwarg, None, "**"))
    if drop_first and parts and parts[0] not in ("/", "*") and not parts[0].startswith("*"):
        parts = parts[1:]
        if parts and parts[0] == "/":
            parts = parts[1:]
    returns = f" -> {_unparse(node.returns)}" if node.returns is not None else ""
    return "(" + ", ".join(parts) + ")" + returns


def _decorators(node: ast.AST) -> list[str]:
    return [_unparse(d, 40) for d in getattr(node, "decorator_list", [])]


def _is_property(node: ast.AST) -> bool:
    return any(
        d in ("property", "cached_property", "functools.cached_property") or d.endswith(".getter")
        for d in _decorators(node)
    )


def class_signature(node: ast.ClassDef) -> str:
    members = _class_members(node)
    init = members.get("__init__")
    if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return function_signature(init, drop_first=True)
    if any(d.split("(")[0].endswith("dataclass") for d in _decorators(node)):
        fields = [
            _unparse(child.target)
            + ": "
            + _unparse(child.annotation)
            + (" = " + _unparse(child.value) if child.value is not None else "")
            for child in node.body
            if isinstance(child, ast.AnnAssign)
            and isinstance(child.target, ast.Name)
            and "ClassVar" not in _unparse(child.annotation)
        ]
        return "(" + ", ".join(fields) + ")"
    bases = [_unparse(b) for b in node.bases]
    return "()" if not bases or bases == ["object"] else "(...)"


def _doc_of(node: ast.AST | None) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
        return ast.get_docstring(node)
    return None


def _first_doc_line(node: ast.AST) -> str:
    doc = (_doc_of(node) or "").strip()
    line = doc.split("\n", 1)[0]
    return line if len(line) <= 100 else line[:97] + "..."


def member_line(name: str, node: ast.AST) -> str:
    line = _first_doc_line(node)
    tail = " — " + line if line else ""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if _is_property(node):
            return f"  {name} (property){tail}"
        return ("  " + name + function_signature(node))[:160] + tail
    if isinstance(node, ast.ClassDef):
        return ("  class " + name + class_signature(node))[:160] + tail
    value = getattr(node, "value", None)
    return f"  {name} = {_unparse(value, 100)}"


def _listing(index: ModuleIndex, cache: IndexCache) -> list[str]:
    names = index.public_names()
    lines: list[str] = []
    deadline = time.monotonic() + _RESOLVE_SECONDS
    for name in names[:_SOURCE_MEMBERS]:
        if name in index.defs:
            lines.append(member_line(name, index.defs[name]))
            continue
        origin = index.imports.get(name)
        found: Any = None
        if time.monotonic() < deadline:
            try:
                found = source_lookup(index.name, [name], cache)
            except _NOT_FOUND:
                found = None
        if isinstance(found, SourceItem) and found.node is not None:
            where = found.index.name
            lines.append(member_line(name, found.node) + f"  [from {where}]")
        elif isinstance(found, SourceItem):
            lines.append(f"  {name} (module)")
        elif origin is not None:
            lines.append(f"  {name} (from {origin[0]})")
        else:
            lines.append(f"  {name}")
    if len(names) > _SOURCE_MEMBERS:
        lines.append(f"  ... and {len(names) - _SOURCE_MEMBERS} more")
    return [f"public members ({len(names)}):", *lines] if names else []


def describe_source(item: SourceItem, limit: int, cache: IndexCache) -> str:
    """The description of a module or definition read from its source."""
    index, node = item.index, item.node
    where = index.path or "namespace package"
    note = "(described from its source without importing it"
    out: list[str] = []
    if node is None:
        out.append(f"module {index.name} ({where}) {note}: its code has not run)")
        out.append((index.doc or "(no docstring)")[: limit // 3])
        out += _listing(index, cache)
        if is_package(index.spec):
            subs = index.submodules()
            if subs:
                out.append(
                    "submodules: " + ", ".join(subs[:30]) + (" ..." if len(subs) > 30 else "")
                )
        return "\n".join(out)
    full = f"{index.name}.{item.qualname}"
    line = getattr(node, "lineno", "?")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        kind = "async function" if isinstance(node, ast.AsyncFunctionDef) else "function"
        if _is_property(node):
            kind = "property"
        out.append(f"{kind} {full}{function_signature(node)}")
    elif isinstance(node, ast.ClassDef):
        out.append(f"class {full}{class_signature(node)}")
        if node.bases:
            out.append("bases: " + ", ".join(_unparse(b) for b in node.bases))
    else:
        annotation = getattr(node, "annotation", None)
        typed = f": {_unparse(annotation)}" if annotation is not None else ""
        out.append(f"{full}{typed} = {_unparse(getattr(node, 'value', None), 300)}")
        out.append("(an assignment in the source: its value when the module runs may differ)")
    decorators = _decorators(node)
    if decorators:
        out.append("decorators: " + ", ".join("@" + d for d in decorators))
    doc = _doc_of(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append(doc[: limit // 2] if doc else "(no docstring)")
    if isinstance(node, ast.ClassDef):
        members = [(n, m) for n, m in _class_members(node).items() if not n.startswith("_")]
        if members:
            out.append(f"public members defined in the class body ({len(members)}):")
            out += [member_line(n, m) for n, m in members[:_SOURCE_MEMBERS]]
            if len(members) > _SOURCE_MEMBERS:
                out.append(f"  ... and {len(members) - _SOURCE_MEMBERS} more")
    out.append(f"{note}: {where}, line {line})")
    return "\n".join(out)
