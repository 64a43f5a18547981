"""Render an execution result as compact text for a language model.

The notebook keeps every output whole; the model gets: a status line, stream text,
``text/plain`` of results (other mime types only noted with their size, e.g.
``[image/png 34 kB]``), errors with their traceback — ANSI colours stripped, secrets
redacted, and the whole cut to a character budget keeping head *and* tail (the end
of a traceback or a log is usually what matters).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .secrets import scrub
from .types import ExecutionResult

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TEXT_MIMES = ("text/plain",)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def human_size(n: int) -> str:
    """Decimal units like the product's summaries: ``512 B``, ``3.2 kB``, ``34 kB``."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def _mime_size(mime: str, value: Any) -> int:
    if isinstance(value, list):
        value = "".join(value)
    if isinstance(value, str):
        if mime.startswith(("image/", "application/pdf")) and mime != "image/svg+xml":
            return len(value) * 3 // 4  # base64 → bytes
        return len(value.encode("utf-8", "replace"))
    return len(json.dumps(value, default=str))


def _as_text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _render_bundle(label: str, data: dict[str, Any]) -> str:
    parts = [f"[{label}]"]
    if "text/plain" in data:
        parts.append(_as_text(data["text/plain"]))
    notes = [
        f"[{mime} {human_size(_mime_size(mime, value))}]"
        for mime, value in data.items()
        if mime not in _TEXT_MIMES
    ]
    if notes:
        parts.append(("also: " if "text/plain" in data else "") + " ".join(notes))
    return "\n".join(parts)


def _render_output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"[{output.get('name', 'stdout')}]\n{_as_text(output.get('text', ''))}".rstrip("\n")
    if kind == "execute_result":
        return _render_bundle(f"Out[{output.get('execution_count')}]", output.get("data", {}))
    if kind == "display_data":
        return _render_bundle("display", output.get("data", {}))
    if kind == "error":
        traceback = "\n".join(output.get("traceback") or [])
        head = f"[error] {output.get('ename', '')}: {output.get('evalue', '')}"
        return head + ("\n" + traceback if traceback else "")
    return f"[{kind}]"


def _status_line(result: ExecutionResult) -> str:
    line = f"status: {result.status}"
    if result.execution_count is not None:
        line += f", execution_count {result.execution_count}"
    line += f", {result.duration:.2f} s"
    if result.status == "error" and result.error_name:
        line += f"\nerror: {result.error_name}: {result.error_value or ''}".rstrip()
    if not result.outputs:
        line += "\n(no output)"
    return line


def truncate_middle(text: str, limit: int) -> str:
    """Keep the head and the tail, with ``... [N characters cut] ...`` in between."""
    if limit <= 0 or len(text) <= limit:
        return text
    marker_room = 40
    keep = max(limit - marker_room, 2)
    head = keep // 2
    tail = keep - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n... [{cut:,} characters cut] ...\n{text[len(text) - tail :]}"


def render_result(result: ExecutionResult, *, limit: int, secrets: tuple[str, ...]) -> str:
    """The model's view of ``result`` (see the module docstring)."""
    pieces = [_status_line(result)]
    pieces.extend(_render_output(o) for o in result.outputs)
    text = strip_ansi("\n".join(pieces))
    # Scrub before cutting so a secret straddling the cut is never half-shown.
    return truncate_middle(scrub(text, secrets), limit)
