"""Kernel-side helpers, part 5: bounded descriptions of one variable or one API.

Sent to the kernel after the other parts into the same private module (the relative
imports below are stripped when sending). Nothing here runs the user's code: values of
classes outside the well-known libraries are described from type information
(``_kernel_static.py``), attribute paths are walked without evaluating properties or
``__getattr__``, and a module that is not imported yet is described from its source
(``_kernel_source_api.py``), never imported. The server truncates the text again.
"""

from __future__ import annotations

import difflib
import inspect as _inspect
import sys
import types
import warnings
from typing import Any

from ._kernel_frames import (  # stripped when sent: one module in the kernel
    describe_array,
    describe_frame,
    describe_series,
)
from ._kernel_namespace import (  # stripped when sent: one module in the kernel
    _is_estimator,
    _is_fitted,
    _is_user_variable,
    _namespace,
    _signature,
    _type_name,
    summarize,
)
from ._kernel_source_api import (  # stripped when sent: one module in the kernel
    SourceItem,
    Unevaluated,
    describe_source,
    resolve_path,
    source_lookup,
)
from ._kernel_source_index import IndexCache  # stripped when sent: one module in the kernel
from ._kernel_static import (  # stripped when sent: one module in the kernel
    builtin_size,
    class_dict,
    class_label,
    class_module,
    class_mro,
    class_name,
    instance_dict,
    is_class,
    safe_repr,
    slot_values,
    trusted,
    trusted_type,
)

_MAX_MEMBERS = 40
_NOT_LOADED = object()  # a name of a module's __all__ missing from its __dict__ (lazy)
# Methods whose presence we report on an untrusted class (never call).
_NOTABLE_DUNDERS = (
    "__len__",
    "__repr__",
    "__str__",
    "__iter__",
    "__getitem__",
    "__getattr__",
    "__getattribute__",
    "__call__",
    "__eq__",
    "__hash__",
)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 16, 0)] + " ... [truncated]"


def _resolve_variable(name: str) -> tuple[bool, Any]:
    """``df`` or an attribute path ``model.coef_`` in the user namespace, walked
    without evaluating properties or ``__getattr__`` of untrusted classes."""
    user_ns, _hidden = _namespace()
    head, *rest = name.split(".")
    if head not in user_ns:
        return False, None
    return True, resolve_path(user_ns[head], head, rest, IndexCache())


def _describe_container(value: Any, out: list[str]) -> None:
    out.append(summarize(value))
    if isinstance(value, dict):
        for i, (k, v) in enumerate(value.items()):
            if i >= 30:
                out.append(f"  ... {len(value) - 30:,} more keys")
                break
            out.append(f"  {safe_repr(k, 50)}: {summarize(v)}")
        return
    items = list(value)[:1000] if isinstance(value, (set, frozenset)) else value[:1000]
    kinds: dict[str, int] = {}
    for item in items:
        kinds[_type_name(item)] = kinds.get(_type_name(item), 0) + 1
    counts = ", ".join(f"{name} {n}" for name, n in kinds.items())
    out.append(f"element types (first {len(items)}): {counts}")
    for item in items[:10]:
        out.append("  " + safe_repr(item, 200))


def _describe_estimator(est: Any, out: list[str]) -> None:
    cls = type(est)
    state = "fitted" if _is_fitted(est) else "not fitted"
    out.append(f"{class_label(cls)} ({state})")
    out.append("params:")
    for key, val in sorted(est.get_params(deep=False).items()):
        out.append(f"  {key} = {safe_repr(val, 120)}")
    attrs = instance_dict(est) or {}
    fitted = [k for k in attrs if k.endswith("_") and not k.startswith("_")]
    if fitted:
        out.append("fitted attributes:")
        for key in fitted[:_MAX_MEMBERS]:
            out.append(f"  {key}: {summarize(attrs[key])}")


def _live_class_members(cls: type, *, own_only: bool = False) -> list[tuple[str, Any]]:
    """``(name, member)`` along the MRO, first definition wins, from the class
    dictionaries only (``dir`` would ask the metaclass). ``own_only``: skip what the
    trusted library bases define (a dict subclass's ``keys``...)."""
    seen: dict[str, Any] = {}
    for klass in class_mro(cls):
        if klass is object or (own_only and trusted_type(klass)):
            continue
        for name, member in list(class_dict(klass).items()):
            if type(name) is str and name not in seen:
                seen[name] = member
    return sorted(seen.items())


def _describe_user_object(value: Any, out: list[str]) -> None:
    cls = type(value)
    out.append(
        f"{class_label(cls)} instance. Its class is not from a well-known library, so it is "
        "described from type information only: none of its methods, properties or "
        "__repr__ were called."
    )
    bases = [class_label(k) for k in class_mro(cls)[1:] if k is not object]
    if bases:
        out.append("bases: " + ", ".join(bases[:8]))
    sized = builtin_size(value)
    if sized is not None:
        base, size = sized
        out.append(f"{base} contents: {size:,} {'keys' if base == 'dict' else 'items'}")
    attrs = {**slot_values(value), **(instance_dict(value) or {})}
    if attrs:
        out.append(f"instance attributes ({len(attrs)}):")
        for key, item in list(attrs.items())[:_MAX_MEMBERS]:
            shown = key if type(key) is str else safe_repr(key, 60)
            out.append(f"  {shown}: {summarize(item)}")
    members = [(n, m) for n, m in _live_class_members(cls, own_only=True) if n[:1] != "_"]
    properties = [
        n
        for n, m in members
        if not _inspect.isroutine(m)
        and _is_descriptor(m)
        and type(m) is not types.MemberDescriptorType  # __slots__: shown as attributes
    ]
    methods = [(n, m) for n, m in members if _inspect.isroutine(_unwrap(m))]
    if properties:
        out.append("properties (not evaluated): " + ", ".join(properties[:_MAX_MEMBERS]))
    if methods:
        out.append("methods:")
        out.extend("  " + _cut(n + _signature(_unwrap(m)), 160) for n, m in methods[:_MAX_MEMBERS])
    own = [n for n in _NOTABLE_DUNDERS if _defined_outside_libraries(cls, n)]
    if own:
        out.append("defines (not called): " + ", ".join(own))


def _defined_outside_libraries(cls: type, name: str) -> bool:
    """The first class along the MRO defining ``name`` is not from a trusted library."""
    for klass in class_mro(cls):
        if name in class_dict(klass):
            return not trusted_type(klass)
    return False


def _is_descriptor(member: Any) -> bool:
    return any("__get__" in class_dict(k) for k in class_mro(type(member)))


def _unwrap(member: Any) -> Any:
    kind = type(member)
    return member.__func__ if kind in (classmethod, staticmethod) else member


def _describe_value(value: Any, limit: int) -> str:
    cls = type(value)
    module, name = class_module(cls), class_name(cls)
    out: list[str] = []
    if (
        is_class(value)
        or issubclass(cls, types.ModuleType)
        or cls in (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    ):
        return _describe_api_object(value, getattr(value, "__name__", "?"), limit)
    if not trusted(value):
        _describe_user_object(value, out)
    elif module.startswith("pandas") and name == "DataFrame":
        describe_frame(value, out)
    elif module.startswith("pandas") and name == "Series":
        describe_series(value, out)
    elif module == "numpy" and name == "ndarray":
        describe_array(value, out)
    elif isinstance(value, (dict, list, tuple, set, frozenset)):
        _describe_container(value, out)
    elif isinstance(value, str):
        out.append(f"str: {len(value):,} characters, {value.count(chr(10)) + 1:,} lines")
        tail = " ... " + repr(value[-300:]) if len(value) > 1800 else ""
        out.append(repr(value[:1500]) + tail)
    elif _is_estimator(value):
        _describe_estimator(value, out)
    elif callable(value) and isinstance(getattr(value, "__qualname__", None), str):
        return _describe_api_object(value, getattr(value, "__name__", "?"), limit)
    else:
        out.append(f"{class_label(cls)}: {summarize(value)}")
        public = [n for n in dir(value) if not n.startswith("_")][:_MAX_MEMBERS]
        if public:
            out.append("public attributes: " + ", ".join(public))
        out.append("repr: " + safe_repr(value, 1500))
    return _cut("\n".join(out), limit)


def _unknown_variable(name: str) -> str:
    user_ns, hidden = _namespace()
    known = [n for n, v in list(user_ns.items()) if _is_user_variable(n, v, hidden)]
    close = difflib.get_close_matches(name.split(".")[0], known, n=5)
    if close:
        hint = "Did you mean: " + ", ".join(close) + "?"
    else:
        hint = "Known variables: " + (", ".join(sorted(known)[:30]) or "none") + "."
    return f"No variable named {name!r} in the kernel. {hint}"


def inspect_variable(name: str, limit: int) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found, value = _resolve_variable(name)
            if not found:
                return {"ok": False, "text": _unknown_variable(name)}
            if isinstance(value, (Unevaluated, SourceItem)):
                text = value.describe() if isinstance(value, Unevaluated) else ""
                if isinstance(value, SourceItem):
                    text = describe_source(value, limit, IndexCache())
                return {"ok": True, "text": _cut(text, limit)}
            text = f"{name}: {summarize(value)}\n{_describe_value(value, limit)}"
            return {"ok": True, "text": text}
    except Exception as exc:
        error = f"{type(exc).__name__}: {_cut(str(exc), 300)}"
        return {"ok": False, "text": f"Could not inspect {name!r}: {error}"}


def _doc(obj: Any, limit: int) -> str:
    doc = (_inspect.getdoc(obj) or "").strip()
    return _cut(doc, limit) if doc else "(no docstring)"


def _first_line(obj: Any) -> str:
    doc = (_inspect.getdoc(obj) or "").strip()
    return _cut(doc.split("\n", 1)[0], 100)


def _member_line(name: str, member: Any) -> str:
    if member is _NOT_LOADED:
        return f"  {name} (not loaded yet: the module creates it when it is first used)"
    if type(member) is property:
        line = _first_line(member)
        return f"  {name} (property)" + (" — " + line if line else "")
    if _inspect.isroutine(member) or is_class(member):
        prefix = "class " if is_class(member) else ""
        line = _first_line(member)
        return "  " + _cut(prefix + name + _signature(member), 160) + (" — " + line if line else "")
    return "  " + _cut(f"{name}: {summarize(member)}", 160)


def _module_members(module: Any) -> tuple[str, list[tuple[str, Any]]]:
    """From the module's ``__dict__`` (never its ``__getattr__``, which may import)."""
    namespace = instance_dict(module) or {}
    listed: Any = namespace.get("__all__")
    names: list[str] = (
        list(listed)
        if type(listed) in (list, tuple) and all(type(n) is str for n in listed)
        else sorted(n for n in namespace if type(n) is str and not n.startswith("_"))
    )
    members = [(n, namespace.get(n, _NOT_LOADED)) for n in names]
    members = [(n, m) for n, m in members if not issubclass(type(m), types.ModuleType)]
    return str(namespace.get("__file__") or "built-in"), members


def _describe_api_object(obj: Any, name: str, limit: int) -> str:
    out: list[str] = []
    members: list[tuple[str, Any]] = []
    if issubclass(type(obj), types.ModuleType):
        where, members = _module_members(obj)
        out.append(f"module {(instance_dict(obj) or {}).get('__name__', name)} ({where})")
        out.append(_doc(obj, limit // 3))
    elif is_class(obj):
        out.append(f"class {class_label(obj)}{_signature(obj)}")
        out.append(_doc(obj, limit // 3))
        members = [(n, _unwrap(m)) for n, m in _live_class_members(obj) if not n.startswith("_")]
    else:
        module = getattr(obj, "__module__", None) or "?"
        qual = f"{module}.{getattr(obj, '__qualname__', name)}"
        kind = "function" if _inspect.isroutine(obj) else _type_name(obj)
        out.append(f"{kind} {qual}{_signature(obj)}")
        out.append(_doc(obj, limit // 2))
    if members:
        out.append(f"public members ({len(members)}):")
        out.extend(_member_line(n, m) for n, m in members[:_MAX_MEMBERS])
        if len(members) > _MAX_MEMBERS:
            out.append(f"  ... and {len(members) - _MAX_MEMBERS} more")
    return _cut("\n".join(out), limit)


def _resolve_api(name: str, cache: IndexCache) -> Any:
    """A user variable path; else the longest prefix already imported (walked without
    running code); else the module's source. Nothing is ever imported."""
    found, value = _resolve_variable(name)
    if found:
        return value
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        if module in sys.modules:
            return resolve_path(sys.modules[module], module, parts[i:], cache)
    return source_lookup(parts[0], parts[1:], cache)


def describe_api(name: str, limit: int) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cache = IndexCache()
            found = _resolve_api(name, cache)
            if isinstance(found, SourceItem):
                text = describe_source(found, limit, cache)
            elif isinstance(found, Unevaluated):
                text = found.describe()
            else:
                text = _describe_api_object(found, name, limit)
            return {"ok": True, "text": _cut(text, limit)}
    except Exception as exc:
        error = f"{type(exc).__name__}: {_cut(str(exc), 300)}"
        return {"ok": False, "text": f"Cannot describe {name!r}: {error}"}
