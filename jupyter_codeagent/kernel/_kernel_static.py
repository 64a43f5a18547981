"""Kernel-side helpers, part 0: which objects we may call, and look-ups that call nothing.

Sent to the kernel first, into the private helper module (see ``helpers.py``). Looking
at a variable must not run the notebook's own code: a ``__repr__``, ``__len__``, a
property, a ``__getattr__`` or a module-level ``__getattr__`` written by the user can do
anything (count, write a file, open a connection). So values whose *type* comes from a
well-known library (builtins, the standard containers, numpy, pandas, ...) are described
with their own methods, and everything else from type information only: the class
dictionaries along the MRO and the instance ``__dict__`` read through its C-level
descriptor. Even a class's name and module are read through ``type``'s own descriptors,
so a metaclass cannot intercept them.

Standard library only; Python >= 3.8 syntax; nothing here raises to the caller.
"""

from __future__ import annotations

import collections
import types
from typing import Any

# Top-level packages whose types' methods (repr, len, shape, head...) we call.
_TRUSTED_ROOTS = frozenset(
    {
        "builtins",
        "collections",
        "datetime",
        "decimal",
        "fractions",
        "uuid",
        "pathlib",
        "re",
        "array",
        "abc",
        "enum",
        "typing",
        "numpy",
        "pandas",
        "scipy",
        "sklearn",
        "statsmodels",
        "polars",
        "pyarrow",
        "torch",
        "xarray",
        "matplotlib",
    }
)
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_ITEMS_SHOWN = 6
_C_DESCRIPTORS = (types.GetSetDescriptorType, types.MemberDescriptorType)
# Scalars whose repr is their value and runs no user code (exact types only).
_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, range, type(Ellipsis))
_SEQUENCES = (list, tuple, set, frozenset, collections.deque)
_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict, collections.Counter)
# Builtin bases whose C-level __len__ may be called on a user subclass.
_SIZED_BASES = (dict, list, tuple, set, frozenset, str, bytes, bytearray)


def class_module(cls: type) -> str:
    try:
        module = _TYPE_MODULE.__get__(cls)
    except Exception:
        return ""
    return module if type(module) is str else ""


def class_name(cls: type) -> str:
    try:
        name = _TYPE_NAME.__get__(cls)
    except Exception:
        return "?"
    return name if type(name) is str else "?"


def class_label(cls: type) -> str:
    """``module.Qualname`` of a class (``int`` for builtins)."""
    try:
        qualname = _TYPE_QUALNAME.__get__(cls)
    except Exception:
        qualname = "?"
    qualname = qualname if type(qualname) is str else "?"
    module = class_module(cls)
    return qualname if module in ("builtins", "") else f"{module}.{qualname}"


def class_mro(cls: type) -> tuple[type, ...]:
    try:
        mro = _TYPE_MRO.__get__(cls)
    except Exception:
        return (cls,)
    return mro if type(mro) is tuple else (cls,)


def class_dict(cls: type) -> Any:
    """The class's own namespace (a mappingproxy), without asking the metaclass."""
    try:
        return _TYPE_DICT.__get__(cls)
    except Exception:
        return {}


def is_class(value: Any) -> bool:
    return issubclass(type(value), type)


def trusted_type(cls: type) -> bool:
    return class_module(cls).split(".", 1)[0] in _TRUSTED_ROOTS


def trusted(value: Any) -> bool:
    """True when calling the value's own methods runs only well-known library code."""
    return trusted_type(type(value))


def instance_dict(value: Any) -> dict[str, Any] | None:
    """The instance ``__dict__`` when it is the ordinary C-level slot; None otherwise."""
    for klass in class_mro(type(value)):
        namespace = class_dict(klass)
        if "__dict__" in namespace:
            descriptor = namespace["__dict__"]
            if type(descriptor) not in _C_DESCRIPTORS:
                return None  # a Python-level __dict__ property: user code
            try:
                found = descriptor.__get__(value)
            except Exception:
                return None
            return found if type(found) is dict else None
    return None


def class_attribute(cls: type, name: str) -> tuple[bool, Any]:
    """``name`` in the class dictionaries along the MRO (nothing is evaluated)."""
    for klass in class_mro(cls):
        namespace = class_dict(klass)
        if name in namespace:
            return True, namespace[name]
    return False, None


def is_data_descriptor(value: Any) -> bool:
    kind = type(value)
    return class_attribute(kind, "__set__")[0] or class_attribute(kind, "__delete__")[0]


def static_attribute(obj: Any, name: str) -> tuple[bool, Any, bool]:
    """``(found, value, evaluated)`` for ``obj.name`` without running the object's code.

    Trusted objects use ``getattr``. For others: a class's own dictionaries, a module's
    ``__dict__`` (never its ``__getattr__``), an instance's ``__dict__``; a descriptor
    found on the class (a property...) is returned itself with ``evaluated=False``.
    """
    if is_class(obj):
        if trusted(obj):
            try:
                return True, getattr(obj, name), True
            except AttributeError:
                return False, None, True
        found, value = class_attribute(obj, name)
        return found, value, True
    if issubclass(type(obj), types.ModuleType):
        module_dict = instance_dict(obj) or {}
        return (name in module_dict), module_dict.get(name), True
    if trusted(obj):
        try:
            return True, getattr(obj, name), True
        except AttributeError:
            return False, None, True
    found, value = class_attribute(type(obj), name)
    if found and is_data_descriptor(value):
        return True, value, False
    namespace = instance_dict(obj)
    if namespace is not None and name in namespace:
        return True, namespace[name], True
    if found:
        plain = (
            type(value) in (types.FunctionType, staticmethod, classmethod)
            or not (class_attribute(type(value), "__get__")[0])
        )
        return True, value, plain
    return False, None, True


def slot_values(value: Any) -> dict[str, Any]:
    """Values of ``__slots__`` attributes, read through their C member descriptors."""
    found: dict[str, Any] = {}
    for klass in class_mro(type(value)):
        for name, member in list(class_dict(klass).items()):
            if type(member) is types.MemberDescriptorType and name not in found:
                try:
                    found[name] = member.__get__(value)
                except AttributeError:  # a slot never assigned
                    continue
    return found


def builtin_size(value: Any) -> tuple[str, int] | None:
    """``(base name, length)`` of a user subclass of a builtin container, counted by the
    builtin's own C ``__len__`` (the subclass's methods are not called)."""
    for base in _SIZED_BASES:
        if issubclass(type(value), base):
            try:
                return base.__name__, base.__len__(value)
            except Exception:
                return None
    return None


def _clip_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def _plain_repr(value: Any, limit: int) -> str:
    kind = type(value)
    if kind is int and value.bit_length() > 256:  # repr of a huge int is quadratic
        return f"<int of {value.bit_length()} bits>"
    if kind in (str, bytes):
        return _clip_text(repr(value[: limit + 1]), limit)
    return _clip_text(repr(value), limit)


def _container_repr(value: Any, limit: int, depth: int) -> str:
    kind = type(value)
    if kind in _MAPPINGS:
        items = []
        for i, pair in enumerate(value.items()):
            if i >= _ITEMS_SHOWN:
                break
            items.append(pair)
        parts = [
            safe_repr(k, max(limit // 2, 40), depth + 1)
            + ": "
            + safe_repr(v, max(limit // 2, 40), depth + 1)
            for k, v in items
        ]
        more = ", ..." if len(value) > _ITEMS_SHOWN else ""
        open_, close = "{", "}"
    else:
        items = []
        for i, item in enumerate(value):
            if i > _ITEMS_SHOWN:
                break
            items.append(item)
        parts = [safe_repr(v, max(limit // 2, 40), depth + 1) for v in items[:_ITEMS_SHOWN]]
        more = ", ..." if len(value) > _ITEMS_SHOWN else ""
        open_, close = {list: "[]", tuple: "()"}.get(kind, "{}")  # type: ignore[call-overload]
        if kind is tuple and len(value) == 1:
            more = ","
    prefix = "" if kind in (dict, list, tuple, set) else class_name(kind) + "("
    suffix = ")" if prefix else ""
    if not parts and kind in (set, frozenset):
        return f"{class_name(kind)}()"
    return _clip_text(prefix + open_ + ", ".join(parts) + more + close + suffix, limit)


def holds_python_objects(value: Any) -> bool:
    """A numpy/pandas value whose elements (or labels) are arbitrary Python objects."""
    kind = type(value)
    module = class_module(kind)
    try:
        if module.startswith("numpy") and class_name(kind) == "ndarray":
            return bool(value.dtype.hasobject)
        name = class_name(kind)
        if module.startswith("pandas") and name in ("DataFrame", "Series"):
            dtypes = list(value.dtypes) if name == "DataFrame" else [value.dtype]
            dtypes.append(value.index.dtype)
            if name == "DataFrame":
                dtypes.append(value.columns.dtype)
            return any(getattr(d, "hasobject", False) or not trusted(d) for d in dtypes)
        if module.startswith("pandas") and name.endswith("Index"):
            return bool(getattr(value.dtype, "hasobject", False)) or not trusted(value.dtype)
    except Exception:
        return True
    return False


def _estimator_repr(value: Any, limit: int, depth: int) -> str:
    """``LogisticRegression(C=0.5)`` like scikit-learn's own repr, with every parameter
    through ``safe_repr`` (a meta-estimator's repr would call its estimators' reprs)."""
    import inspect

    name = class_name(type(value))
    if depth >= 4:
        return f"{name}(...)"
    try:
        defaults = {
            p.name: p.default for p in inspect.signature(type(value).__init__).parameters.values()
        }
    except (TypeError, ValueError):
        defaults = {}
    shown = []
    for key, param in value.get_params(deep=False).items():
        default = defaults.get(key, inspect.Parameter.empty)
        plain = type(param) in _PLAIN_SCALARS and type(param) is type(default)
        if param is default or (plain and param == default):
            continue
        shown.append(f"{key}={safe_repr(param, limit // 2, depth + 1)}")
    return _clip_text(f"{name}({', '.join(shown)})", limit)


def safe_repr(value: Any, limit: int = 200, depth: int = 0) -> str:
    """A bounded repr that calls ``repr`` only where no user code can run."""
    kind = type(value)
    try:
        if kind in _PLAIN_SCALARS:
            return _plain_repr(value, limit)
        if kind in _SEQUENCES or kind in _MAPPINGS:
            if depth >= 2:
                return f"<{class_name(kind)} of {len(value):,}>"
            return _container_repr(value, limit, depth)
        if is_class(value):
            return repr(value) if kind is type else f"<class '{class_label(value)}'>"
        if kind is types.FunctionType:
            return f"<function {value.__module__}.{value.__qualname__}>"
        if not trusted_type(kind) or holds_python_objects(value):
            return f"<{class_label(kind)} object>"
        if class_module(kind).startswith("sklearn") and class_attribute(kind, "get_params")[0]:
            return _estimator_repr(value, limit, depth)
        return _clip_text(repr(value), limit)
    except Exception:
        return f"<{class_label(kind)} object>"


def user_class_summary(value: Any) -> str:
    """One line for an instance of an untrusted class, from type information only."""
    name = class_name(type(value))
    member = (instance_dict(value) or {}).get("_name_")
    if type(member) is str:  # an Enum member
        return f"{name}.{member}"
    sized = builtin_size(value)
    if sized is not None:
        base, size = sized
        unit = "keys" if base == "dict" else "items"
        return f"{name} ({base} subclass) {size:,} {unit}"
    return f"{name} instance"
