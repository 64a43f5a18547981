# ruff: noqa: RUF001, RUF003  (the multiplication sign in "DataFrame 1,204 × 14" is meant)
"""Kernel-side helpers, part 1: the user's namespace (listing, one-line summaries, diff).

This file is never imported by the server. ``helpers.py`` sends its source (together
with the other ``_kernel_*.py`` parts) to the kernel once, where it is executed inside a
private module registered in ``sys.modules``; nothing is bound in the user's namespace.
So: standard library only at import time (pandas/numpy are used only when a value
already comes from them), Python >= 3.8 syntax, and entry points never raise — errors
come back as text for the model. Values of classes that are not from a well-known
library are summarized from type information only (``_kernel_static.py``): listing the
variables after every cell must not run the user's ``__len__`` or ``__repr__``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ._kernel_static import (  # stripped when sent: one module in the kernel
    builtin_size,
    class_label,
    class_module,
    class_name,
    instance_dict,
    is_class,
    safe_repr,
    trusted,
    user_class_summary,
)

# Names IPython puts in the user namespace that are not the user's data.
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
# Bound on what one listing returns, so a pathological namespace stays cheap.
_MAX_VARIABLES = 5000
_SNAPSHOTS: dict[str, dict[str, Any]] = {}


def _namespace() -> tuple[dict[str, Any], dict[str, Any]]:
    """The user namespace and IPython's hidden names (startup names not to list)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        shell = None
    if shell is None:
        return vars(sys.modules["__main__"]), {}
    return shell.user_ns, shell.user_ns_hidden


def _is_user_variable(name: str, value: Any, hidden: dict[str, Any]) -> bool:
    """True for the user's data; False for modules, imports and IPython internals."""
    if name.startswith("_") or name in _IPYTHON_NAMES:
        return False
    if name in hidden and hidden[name] is value:
        return False
    cls = type(value)
    if issubclass(cls, types.ModuleType):
        return False
    if class_module(cls).startswith("typing"):
        return False
    # Functions and classes are the user's when defined in __main__; library callables
    # (numpy dispatchers, builtins) are imports. Callable *instances* (a torch module)
    # are the user's data. Only trusted types' attributes are read.
    if is_class(value):
        return class_module(value) == "__main__"
    if cls is types.FunctionType:
        return value.__module__ == "__main__"
    if callable(value) and trusted(value):
        qualname = getattr(value, "__qualname__", None)
        if isinstance(qualname, str):
            return getattr(value, "__module__", None) == "__main__"
    return True


def _size(n: int) -> str:
    """``3.2 kB`` style (decimal units, like the issue's examples)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def _type_name(value: Any) -> str:
    return class_name(type(value))


def _is_estimator(value: Any) -> bool:
    cls = type(value)
    return class_module(cls).startswith("sklearn") and hasattr(cls, "get_params")


def _is_fitted(value: Any) -> bool:
    attrs = instance_dict(value) or {}
    return any(k.endswith("_") and not k.startswith("_") for k in attrs)


class _Shown:
    """Stands for a default value or annotation in a signature: its text is precomputed
    (``str(signature)`` would otherwise call the default's own ``__repr__``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _annotation_text(annotation: Any, empty: Any = None) -> Any:
    if annotation is empty or type(annotation) is str:
        return annotation
    if is_class(annotation):
        return _Shown(class_label(annotation))
    return _Shown(safe_repr(annotation, 80))


def _signature(fn: Any) -> str:
    try:
        import inspect

        sig = inspect.signature(fn)
        empty = inspect.Parameter.empty
        params = [
            p.replace(
                default=p.default if p.default is empty else _Shown(safe_repr(p.default, 60)),
                annotation=_annotation_text(p.annotation, empty),
            )
            for p in sig.parameters.values()
        ]
        ret = _annotation_text(sig.return_annotation, empty)
        return str(sig.replace(parameters=params, return_annotation=ret))
    except Exception:
        return "(...)"


def _summary(value: Any) -> str:
    cls = type(value)
    name = class_name(cls)
    module = class_module(cls)
    if value is None:
        return "None"
    if is_class(value):
        return f"class {class_name(value)}"
    if cls is types.FunctionType:
        return f"function {value.__name__}{_signature(value)}"
    if not trusted(value):
        return user_class_summary(value)
    if isinstance(value, (bool, float, complex)):
        return f"{name} {safe_repr(value, 50)}"
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"int ({value.bit_length()} bits)"
        return f"int {value}"
    if isinstance(value, str):
        return "str " + (safe_repr(value, 50) if len(value) <= 60 else _size(len(value)))
    if isinstance(value, (bytes, bytearray)):
        return f"{name} {_size(len(value))}"
    if isinstance(value, dict):
        return "{} {} keys".format(name, format(len(value), ","))
    if isinstance(value, (list, tuple, set, frozenset)):
        return "{} {} items".format(name, format(len(value), ","))
    if module.startswith("pandas") and name == "DataFrame":
        rows, cols = value.shape
        return "DataFrame {} × {}".format(format(rows, ","), format(cols, ","))
    if module.startswith("pandas") and name == "Series":
        label = "" if value.name is None else f" {safe_repr(value.name, 50)}"
        return "Series{} {} {}".format(label, value.dtype, format(len(value), ","))
    if module == "numpy" and name == "ndarray":
        return f"ndarray {value.dtype} {tuple(value.shape)}"
    if module == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(cls, "item"):
        return f"{name} {safe_repr(value.item(), 50)}"
    if _is_estimator(value):
        return "{} ({})".format(name, "fitted" if _is_fitted(value) else "not fitted")
    # Array-likes of other libraries (torch, xarray, polars...): class-level check so we
    # never trigger a dynamic ``__getattr__``.
    if hasattr(cls, "shape"):
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            dtype = getattr(value, "dtype", None) if hasattr(cls, "dtype") else None
            return " ".join(str(p) for p in (name, dtype, shape) if p is not None)
    if hasattr(cls, "__len__"):
        try:
            return "{} {} items".format(name, format(len(value), ","))
        except Exception:
            pass
    return f"{name} {safe_repr(value, 50)}"


def summarize(value: Any) -> str:
    try:
        return _summary(value)
    except Exception:
        return _type_name(value)


def list_variables() -> str:
    """One ``name<TAB>type<TAB>summary`` line per variable, sorted by name.

    A single string rather than a list of lists: thousands of small containers
    surviving until the reply is serialized would invite a full garbage collection
    pause in the user's kernel.
    """
    user_ns, hidden = _namespace()
    lines = []
    for name in sorted(user_ns):
        value = user_ns[name]
        if _is_user_variable(name, value, hidden):
            summary = " ".join(summarize(value).split())  # no tabs / newlines
            lines.append(f"{name}\t{_type_name(value)}\t{summary}")
            if len(lines) >= _MAX_VARIABLES:
                break
    return "\n".join(lines)


def _fingerprint(value: Any) -> tuple[Any, ...]:
    """Cheap identity of a value: new object, type, shape/length, columns, buffer.

    Deliberately O(1)-ish: it never hashes data, so in-place edits that keep the
    shape (``df.iloc[0, 0] = 1``) are not detected; ``fit()`` is (new ``*_``
    attributes change the instance ``__dict__`` size). Untrusted objects: only their
    instance ``__dict__`` size and the C-level length of a builtin base.
    """
    cls = type(value)
    parts: list[Any] = [id(value), class_label(cls)]
    module = class_module(cls)
    name = class_name(cls)
    try:
        if not trusted(value):
            parts.append(builtin_size(value))
            attrs = instance_dict(value)
            parts.append(None if attrs is None else len(attrs))
        elif module.startswith("pandas") and name == "DataFrame":
            parts.append(value.shape)
            if value.shape[1] <= 2000:
                parts.append(tuple(safe_repr(c, 80) for c in value.columns))
                parts.append(tuple(str(d) for d in value.dtypes))
        elif module.startswith("pandas") and name == "Series":
            parts.extend((value.shape, str(value.dtype), safe_repr(value.name, 80)))
        elif module == "numpy" and name == "ndarray":
            parts.extend((value.shape, str(value.dtype), value.__array_interface__["data"][0]))
        elif isinstance(value, (list, dict, set, bytearray)):
            parts.append(len(value))
        elif not (is_class(value) or cls is types.FunctionType):
            attrs = instance_dict(value)
            if attrs is not None:
                parts.append(len(attrs))
    except Exception:
        pass
    return tuple(parts)


def _user_fingerprints() -> dict[str, tuple[Any, ...]]:
    user_ns, hidden = _namespace()
    return {
        name: _fingerprint(value)
        for name, value in list(user_ns.items())
        if _is_user_variable(name, value, hidden)
    }


def snapshot(token: str) -> bool:
    """Remember the namespace fingerprints before an agent execution."""
    if len(_SNAPSHOTS) > 8:  # an earlier diff never came (e.g. the run was cancelled)
        _SNAPSHOTS.clear()
    _SNAPSHOTS[token] = _user_fingerprints()
    return True


def diff(token: str) -> dict[str, list[str]] | None:
    """``{created, changed, deleted}`` against ``snapshot(token)``; None if unknown."""
    before = _SNAPSHOTS.pop(token, None)
    if before is None:
        return None
    after = _user_fingerprints()
    return {
        "created": sorted(n for n in after if n not in before),
        "changed": sorted(n for n in after if n in before and after[n] != before[n]),
        "deleted": sorted(n for n in before if n not in after),
    }


class _Json:
    """Carries a helper's answer back through ``user_expressions`` as application/json."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def _repr_json_(self) -> dict[str, Any]:
        return {"v": self.value}

    def __repr__(self) -> str:
        return "<codeagent helper result>"


def call(name: str, *args: Any) -> _Json:
    """The one entry point the server evaluates; never raises (except interrupts)."""
    try:
        return _Json({"ok": True, "value": globals()[name](*args)})
    except Exception as exc:
        return _Json({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
