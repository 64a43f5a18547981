# ruff: noqa: RUF001  (the multiplication sign in summaries is meant)
"""Kernel-side helpers, part 4: bounded descriptions of DataFrames, Series and arrays.

Every description is built from cheap operations — shapes, dtypes, ``head()``,
statistics on a strided row sample when the data is large — and never copies a whole
frame. Columns (and labels) holding arbitrary Python objects are never formatted,
hashed or compared by pandas here: the shown rows are first replaced by bounded
``safe_repr`` text, and top values are counted only for columns of plain values (a
user class's ``__str__``/``__hash__``/``__eq__`` must not run when we look).
"""

from __future__ import annotations

from typing import Any

from ._kernel_namespace import _size  # stripped when sent: one module in the kernel
from ._kernel_static import (  # stripped when sent: one module in the kernel
    _PLAIN_SCALARS,
    class_module,
    class_name,
    holds_python_objects,
    safe_repr,
    trusted,
)

_SAMPLE_ROWS = 100_000  # statistics of larger frames/series use this many rows
_SAMPLE_VALUES = 1_000_000  # ... and of larger arrays this many values
_EXACT_NULLS_CELLS = 10_000_000  # above this, null counts come from the sample
_MAX_COLUMNS = 40
# pandas' infer_dtype kinds whose elements are library values (hash/eq/str are theirs).
_PLAIN_KINDS = frozenset(
    {
        "string",
        "bytes",
        "integer",
        "floating",
        "mixed-integer-float",
        "decimal",
        "complex",
        "boolean",
        "datetime64",
        "datetime",
        "date",
        "timedelta64",
        "timedelta",
        "time",
        "period",
        "interval",
        "empty",
    }
)


def _row_sample(obj: Any) -> tuple[Any, bool]:
    """Evenly spaced rows, or the object itself when small.

    ``take`` copies just the sample into compact memory; reductions on a strided
    view of a large block are several times slower than copying the sample first.
    """
    n = len(obj)
    if n <= _SAMPLE_ROWS:
        return obj, False
    import numpy as np

    return obj.take(np.linspace(0, n - 1, _SAMPLE_ROWS).astype(np.int64)), True


def _num(x: Any) -> str:
    """Whole numbers exactly (ids, counts), others to 6 significant digits."""
    try:
        value = float(x)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
    except (TypeError, ValueError):
        pass
    return f"{x:.6g}"


def _plain_column(series: Any) -> bool:
    """True when the elements' hash/eq/str are library code (so value_counts is safe)."""
    dtype = series.dtype
    if not trusted(dtype):
        return False
    values = series
    if class_name(type(dtype)) == "CategoricalDtype":
        values = dtype.categories
    elif not getattr(dtype, "hasobject", False):
        return True
    from pandas.api.types import infer_dtype

    if infer_dtype(values, skipna=True) in _PLAIN_KINDS:
        return True
    # "mixed": plain only if every element is (one pass over at most the row sample).
    return all(_plain_value(v) is v and type(v) is not tuple for v in values)


def _top_values(series: Any, k: int) -> str:
    if not _plain_column(series):
        return "not counted (the column holds Python objects of other classes)"
    counts = series.value_counts().head(k)
    return ", ".join(f"{safe_repr(key, 50)} ({n})" for key, n in counts.items())


def _plain_value(value: Any) -> Any:
    """The value itself when pandas may format it; else its bounded ``safe_repr``."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is tuple and all(type(v) in _PLAIN_SCALARS for v in value):
        return value  # MultiIndex labels
    if trusted(value) and class_module(kind) != "builtins" and not holds_python_objects(value):
        return value
    return safe_repr(value, 40)


def _plain_labels(labels: Any) -> list[Any] | None:
    if not getattr(labels.dtype, "hasobject", False):
        return None
    shown = [_plain_value(v) for v in labels]
    changed = any(shown[i] is not v for i, v in enumerate(labels))
    return shown if changed else None


def _shown_head(obj: Any, rows: int = 5) -> Any:
    """``obj.head(rows)`` with every non-plain element and label replaced by text."""
    head = obj.head(rows)
    if not holds_python_objects(head):
        return head
    head = head.copy()
    if class_name(type(head)) == "DataFrame":
        for j in range(head.shape[1]):
            column = head.iloc[:, j]
            if getattr(column.dtype, "hasobject", False):
                shown = [_plain_value(v) for v in column]
                if hasattr(head, "isetitem"):
                    head.isetitem(j, shown)
                else:  # pandas < 1.5
                    head.iloc[:, j] = shown
        columns = _plain_labels(head.columns)
        if columns is not None:
            head.columns = columns
    elif getattr(head.dtype, "hasobject", False):
        import pandas as pd

        head = pd.Series([_plain_value(v) for v in head], index=head.index, dtype=object)
    index = _plain_labels(head.index)
    if index is not None:
        head.index = index
    return head


def describe_frame(df: Any, out: list[str]) -> None:
    rows, cols = df.shape
    mem = int(df.memory_usage(index=True, deep=False).sum())
    out.append(f"DataFrame: {rows:,} rows × {cols:,} columns, memory {_size(mem)} (shallow)")
    sample, sampled = _row_sample(df)
    note = f" (on a sample of {len(sample):,} rows)" if sampled else ""
    exact = rows * cols <= _EXACT_NULLS_CELLS
    shown = df.iloc[:, :_MAX_COLUMNS]
    nulls = (shown if exact else sample.iloc[:, :_MAX_COLUMNS]).isna().sum()
    out.append("columns: dtype, nulls" + ("" if exact else " estimated" + note))
    labels = [safe_repr(c, 50) for c in shown.columns]
    for i, dtype in enumerate(shown.dtypes):
        out.append(f"  {labels[i]}  {dtype}  nulls {int(nulls.iloc[i]):,}")
    if cols > _MAX_COLUMNS:
        out.append(f"  ... and {cols - _MAX_COLUMNS:,} more columns")
    positions = [i for i, dtype in enumerate(shown.dtypes) if dtype.kind in "iuf"]
    if positions:
        import numpy as np

        out.append("numeric ranges" + note + ":")
        # One float64 matrix and numpy's nan-reductions: ~3x faster than DataFrame.agg.
        numeric = sample.iloc[:, positions]
        values = numeric.to_numpy(dtype="float64", na_value=np.nan)
        lows, highs, means = np.nanmin(values, 0), np.nanmax(values, 0), np.nanmean(values, 0)
        for i, position in enumerate(positions):
            stats = f"min {_num(lows[i])}  max {_num(highs[i])}  mean {_num(means[i])}"
            out.append(f"  {labels[position]}  {stats}")
    others = [i for i in range(shown.shape[1]) if i not in positions]
    for i in others[:8]:
        try:
            top = _top_values(sample.iloc[:, i], 3)
        except Exception:
            continue
        out.append(f"  {labels[i]}  top values{note}: {top}")
    out.append("head:")
    out.append(_shown_head(df).to_string(max_cols=12, max_colwidth=40))


def describe_series(s: Any, out: list[str]) -> None:
    mem = _size(int(s.memory_usage(deep=False)))
    name = safe_repr(s.name, 50)
    out.append(f"Series {name}: {len(s):,} values, dtype {s.dtype}, memory {mem}")
    sample, sampled = _row_sample(s)
    note = f" (on a sample of {len(sample):,})" if sampled else ""
    out.append(f"nulls{note}: {int(sample.isna().sum()):,}")
    if s.dtype.kind in "biuf":
        lo, hi, mean = sample.min(), sample.max(), sample.mean()
        out.append(f"min {_num(lo)}  max {_num(hi)}  mean {_num(mean)}{note}")
    else:
        out.append(f"top values{note}: {_top_values(sample, 5)}")
    out.append("head:")
    out.append(_shown_head(s).to_string())


def describe_array(a: Any, out: list[str]) -> None:
    import numpy as np

    out.append(f"ndarray: shape {tuple(a.shape)}, dtype {a.dtype}, {_size(a.nbytes)}")
    if a.dtype.hasobject:
        first = [safe_repr(a.flat[i], 80) for i in range(min(10, a.size))]
        out.append(f"first elements ({len(first)} of {a.size:,}): " + ", ".join(first))
        return
    if a.size and a.dtype.kind in "biufc":
        sample, note = a, ""
        if a.size > _SAMPLE_VALUES:  # a strided view along every axis, then a small copy
            step = int((a.size / _SAMPLE_VALUES) ** (1.0 / a.ndim)) + 1
            sample = a[tuple(slice(None, None, step) for _ in range(a.ndim))]
            note = f" (on a strided sample of {sample.size:,} values)"
        if a.dtype.kind in "fc":
            out.append(f"NaN{note}: {int(np.isnan(sample).sum()):,}")
        if a.dtype.kind != "c":
            lo, hi, mean = np.nanmin(sample), np.nanmax(sample), np.nanmean(sample)
            out.append(f"min {_num(lo)}  max {_num(hi)}  mean {_num(mean)}{note}")
    out.append(np.array2string(a, threshold=60, edgeitems=3, max_line_width=100))
