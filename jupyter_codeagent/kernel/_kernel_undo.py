"""Kernel-side helpers, part 3: what undo needs of an agent cell, kept while it is useful.

Sent after ``_kernel_namespace.py`` into the same private module (the relative import
below is stripped when sending). Before an agent cell runs, ``undo_prepare`` keeps:

- a *reference* to every name's object (free; rebinding and deleting are undone by
  putting the old object back);
- a *copy* of the objects the cell may change in place: a pandas object under
  copy-on-write gets a shallow copy (no data is copied: the first write to either side
  copies only what it writes), others a real copy when they fit ``copy_limit`` bytes;
- the bytes of the files the cell writes, when they fit ``file_limit``.

``undo_commit`` (after the run) keeps only what the cell touched and records how the
namespace looked after it; ``undo_cells`` checks that nothing changed since, then puts
everything back, all or nothing. The last ``_UNDO_KEEP`` cells are kept.
"""

from __future__ import annotations

import copy as _copy_module
import hashlib
import json
import os
import sys
from collections import OrderedDict
from typing import Any

from ._kernel_namespace import (  # stripped when sent: one module in the kernel
    _IPYTHON_NAMES,
    _fingerprint,
    _namespace,
    _size,
)

_UNDO_KEEP = 10
_UNDO_PENDING: dict[str, dict[str, Any]] = {}
_UNDO_RECORDS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_SIZE_WALK = 20_000  # objects visited to estimate a container's size


def _undo_names() -> dict[str, Any]:
    """The names undo tracks: the user's, modules and functions included (``import``
    and ``def`` are undone too), IPython's own and private names excluded."""
    user_ns, hidden = _namespace()
    return {
        name: value
        for name, value in list(user_ns.items())
        if not name.startswith("_")
        and name not in _IPYTHON_NAMES
        and not (name in hidden and hidden[name] is value)
    }


def _pandas_kind(value: Any) -> str | None:
    cls = type(value)
    if (cls.__module__ or "").startswith("pandas") and cls.__name__ in (
        "DataFrame",
        "Series",
        "Index",
    ):
        return cls.__name__
    return None


def _copy_on_write() -> bool:
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return False
    try:
        if int(str(pandas.__version__).split(".")[0]) >= 3:
            return True  # always on (reading the old option would warn)
        return pandas.options.mode.copy_on_write is True
    except Exception:
        return False


def _approx_bytes(value: Any) -> int:
    """A quick estimate of the memory a copy of ``value`` takes (bounded walk)."""
    seen: set[int] = set()
    stack = [value]
    total = visited = 0
    while stack and visited < _SIZE_WALK:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        visited += 1
        nbytes = getattr(type(item), "nbytes", None)
        if nbytes is not None and not callable(nbytes):
            try:
                total += int(item.nbytes)
                continue
            except Exception:
                pass
        if _pandas_kind(item):
            try:
                usage = item.memory_usage(deep=False)
                total += int(usage.sum() if hasattr(usage, "sum") else usage)
            except Exception:
                total += sys.getsizeof(item)
            continue
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())
    if stack:  # too many objects to visit: extrapolate
        total = total * (visited + len(stack)) // max(visited, 1)
    return total


def _copy(value: Any, limit: int) -> tuple[Any, str | None]:
    """``(copy, None)`` or ``(None, why no copy was kept)``."""
    kind = _pandas_kind(value)
    if kind is not None and _copy_on_write():
        return value.copy(deep=False), None
    try:
        size = _approx_bytes(value)
    except Exception:
        size = limit + 1
    if size > limit:
        return None, f"is {_size(size)}, over the {_size(limit)} copy limit"
    try:
        if kind is not None:
            return value.copy(deep=True), None
        if type(value).__module__ == "numpy" and type(value).__name__ == "ndarray":
            return value.copy(), None
        return _copy_module.deepcopy(value), None
    except Exception as exc:
        return None, f"cannot be copied ({type(exc).__name__}: {exc})"


def _file_state(path: str, limit: int) -> Any:
    """What a file is now: None (absent), ``[size, sha256]``, or ``[size, mtime]`` if big."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_size > limit:
        return [stat.st_size, stat.st_mtime_ns]
    with open(path, "rb") as handle:
        return [stat.st_size, hashlib.sha256(handle.read()).hexdigest()]


def _bytes_state(content: bytes | None) -> Any:
    return None if content is None else [len(content), hashlib.sha256(content).hexdigest()]


def undo_prepare(key: str, spec_json: str) -> dict[str, Any]:
    """Keep what undoing the cell ``key`` will need (see the module docstring)."""
    spec = json.loads(spec_json)
    copy_limit, file_limit = int(spec["copy_limit"]), int(spec["file_limit"])
    names = _undo_names()
    record: dict[str, Any] = {
        "before": names,
        "fingerprints": {name: _fingerprint(value) for name, value in names.items()},
        "copies": {},
        "mutates": dict(spec.get("mutates", {})),
        "notes": {},
        "files": {},
        "file_limit": file_limit,
        "problems": [f"`{path}`: {why}" for path, why in spec.get("file_notes", {}).items()],
    }
    cow = _copy_on_write()
    for name in spec.get("names", []):
        value = names.get(name)
        if value is not None and cow and _pandas_kind(value):
            record["copies"][name] = value.copy(deep=False)
    for name in record["mutates"]:
        if name in names and name not in record["copies"]:
            kept, why = _copy(names[name], copy_limit)
            if why is None:
                record["copies"][name] = kept
            else:
                record["notes"][name] = why
    # Other names of a copied object (``original = df``) change with it: same copy.
    by_id = {id(names[name]): kept for name, kept in record["copies"].items()}
    for name, value in names.items():
        if name not in record["copies"] and id(value) in by_id:
            record["copies"][name] = by_id[id(value)]
    for path in spec.get("files", []):
        if os.path.isdir(path):
            record["problems"].append(f"`{path}` is a folder: its files are not kept")
        elif os.path.exists(path):
            size = os.path.getsize(path)
            if size > file_limit:
                record["problems"].append(
                    f"`{path}` is {_size(size)}, over the {_size(file_limit)} file limit: "
                    "its old content is not kept"
                )
            else:
                with open(path, "rb") as handle:
                    record["files"][path] = handle.read()
        else:
            record["files"][path] = None  # the cell creates it: undo removes it
    if len(_UNDO_PENDING) > 4:  # a commit never came (the run was cancelled)
        _UNDO_PENDING.clear()
    _UNDO_PENDING[key] = record
    problems = list(record["problems"]) + [
        f"`{name}` may be changed in place by {record['mutates'][name]} and {why}"
        for name, why in record["notes"].items()
    ]
    return {"undoable": not problems, "problems": problems}


def undo_check(spec_json: str) -> dict[str, Any]:
    """What ``undo_prepare`` would say, without keeping anything (for the proposal's card):
    sizes only, no copy is tried."""
    spec = json.loads(spec_json)
    copy_limit, file_limit = int(spec["copy_limit"]), int(spec["file_limit"])
    names = _undo_names()
    cow = _copy_on_write()
    problems = [f"`{path}`: {why}" for path, why in spec.get("file_notes", {}).items()]
    for name, where in spec.get("mutates", {}).items():
        value = names.get(name)
        if value is None or (cow and _pandas_kind(value)):
            continue
        size = _approx_bytes(value)
        if size > copy_limit:
            problems.append(
                f"`{name}` may be changed in place by {where} and is {_size(size)}, "
                f"over the {_size(copy_limit)} copy limit"
            )
    for path in spec.get("files", []):
        if os.path.isdir(path):
            problems.append(f"`{path}` is a folder: its files are not kept")
        elif os.path.exists(path) and os.path.getsize(path) > file_limit:
            problems.append(
                f"`{path}` is {_size(os.path.getsize(path))}, over the {_size(file_limit)} "
                "file limit: its old content is not kept"
            )
    return {"undoable": not problems, "problems": problems}


def _frame_data_changed(before: Any, after: Any) -> bool:
    """Whether a pandas object no longer shares its data with its shallow copy."""
    try:
        old, new = list(before._mgr.arrays), list(after._mgr.arrays)
    except Exception:
        return False
    if len(old) != len(new):
        return True
    for index in range(len(old)):  # the kernel may run Python 3.8: no zip(strict=)
        a = getattr(old[index], "_ndarray", old[index])
        b = getattr(new[index], "_ndarray", new[index])
        pointer = getattr(type(a), "__array_interface__", None)
        if pointer is None:
            continue  # not a numpy buffer: cannot tell cheaply
        if a.__array_interface__["data"] != b.__array_interface__["data"] or a.shape != b.shape:
            return True
    return False


def undo_commit(key: str) -> dict[str, Any] | None:
    """After the cell ``key`` ran: keep what it touched, note what cannot be put back."""
    record = _UNDO_PENDING.pop(key, None)
    if record is None:
        return None
    now = _undo_names()
    before, copies = record["before"], record["copies"]
    created = sorted(n for n in now if n not in before)
    deleted = sorted(n for n in before if n not in now)
    rebound = sorted(n for n in before if n in now and now[n] is not before[n])
    mutated: list[str] = []  # names to restore from a copy
    problems = list(record["problems"])
    for name in sorted(before):
        # Whether the name was rebound, deleted or kept: did its old object change?
        old = before[name]
        same = record["fingerprints"][name] == _fingerprint(old)
        flagged = name in record["mutates"]
        if name in copies:
            if flagged or not same or _frame_data_changed(copies[name], old):
                mutated.append(name)  # restored from the copy
            continue
        if same and not flagged:
            continue  # the old object is as it was: a reference puts it back
        why = record["notes"].get(name, "no copy was kept")
        if not same:
            problems.append(f"`{name}` was changed in place and {why}")
        else:
            problems.append(
                f"`{name}` may have been changed in place by {record['mutates'][name]} and {why}"
            )
    rebound = [n for n in rebound if n not in mutated]
    deleted_refs = [n for n in deleted if n not in mutated]
    kept = {
        "created": created,
        "before": {n: before[n] for n in rebound + deleted_refs},
        "copies": {n: copies[n] for n in mutated},
        "after": {n: _fingerprint(now[n]) for n in created + rebound + mutated if n in now},
        "deleted": deleted,
        "files": record["files"],
        "files_after": {path: _file_state(path, record["file_limit"]) for path in record["files"]},
        "file_limit": record["file_limit"],
        "problems": problems,
    }
    _UNDO_RECORDS[key] = kept
    while len(_UNDO_RECORDS) > _UNDO_KEEP:
        _UNDO_RECORDS.popitem(last=False)
    return {"undoable": not problems, "problems": problems}


def _order_problems(keys: list[str]) -> list[str]:
    missing = [k for k in keys if k not in _UNDO_RECORDS]
    if missing:
        return [
            f"no undo data for cell {k} in this kernel (it restarted since, or more than "
            f"{_UNDO_KEEP} agent cells ran after it)"
            for k in missing
        ]
    order = list(_UNDO_RECORDS)
    oldest = min(order.index(k) for k in keys)
    later = [k for k in order[oldest:] if k not in keys]
    if later:
        return [f"agent cell(s) {', '.join(later)} ran after it: undo them first"]
    if keys != sorted(keys, key=order.index, reverse=True):
        return ["cells must be undone newest first"]
    return []


def undo_cells(keys_json: str) -> dict[str, Any]:
    """Undo the cells ``keys`` (newest first), all or nothing: first on a view of the
    namespace and the files, checking each cell's after-state; then for real."""
    keys = list(json.loads(keys_json))
    problems = _order_problems(keys)
    if problems:
        return {"ok": False, "problems": problems}
    view = _undo_names()
    files: dict[str, Any] = {}  # path -> content to write (None: remove)
    fresh: set[str] = set()  # names the view got from a copy (a new object)
    touched: set[str] = set()
    per_cell: dict[str, dict[str, list[str]]] = {}
    for key in keys:
        record = _UNDO_RECORDS[key]
        problems += record["problems"]
        for name, after in record["after"].items():
            if name not in view:
                if name not in record["created"]:
                    problems.append(f"`{name}` was deleted after cell {key} ran")
                continue
            now = _fingerprint(view[name])
            if (now[1:] if name in fresh else now) != (after[1:] if name in fresh else after):
                problems.append(f"`{name}` was changed after cell {key} ran")
        for name in record["deleted"]:
            if name in view:
                problems.append(f"`{name}` was bound again after cell {key} ran")
        for path, after in record["files_after"].items():
            if path in files:
                state = _bytes_state(files[path])
            else:
                state = _file_state(path, record["file_limit"])
            if state != after:
                problems.append(f"`{path}` was changed after cell {key} ran")
        per_cell[key] = {
            "restored": sorted(set(record["before"]) | set(record["copies"])),
            "removed": [n for n in record["created"] if n in view],
            "files_restored": sorted(p for p, c in record["files"].items() if c is not None),
            "files_removed": sorted(p for p, c in record["files"].items() if c is None),
        }
        for name in record["created"]:
            view.pop(name, None)
        view.update(record["before"])
        view.update(record["copies"])
        fresh.update(record["copies"])
        touched.update(record["created"], record["before"], record["copies"])
        files.update(record["files"])
    if problems:
        return {"ok": False, "problems": list(dict.fromkeys(problems))}
    user_ns, _hidden = _namespace()
    restored, removed = [], []
    for name in sorted(touched):
        if name in view:
            user_ns[name] = view[name]
            restored.append(name)
        elif name in user_ns:
            del user_ns[name]
            removed.append(name)
    files_restored, files_removed = [], []
    for path, content in sorted(files.items()):
        if content is None:
            if os.path.exists(path):
                os.remove(path)
                files_removed.append(path)
        else:
            with open(path, "wb") as handle:
                handle.write(content)
            files_restored.append(path)
    for key in keys:
        del _UNDO_RECORDS[key]
    return {
        "ok": True,
        "restored": restored,
        "removed": removed,
        "files_restored": files_restored,
        "files_removed": files_removed,
        "cells": per_cell,
    }
