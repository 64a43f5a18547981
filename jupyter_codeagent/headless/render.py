"""Session events as terminal text: the plan, each cell and its outcome, the summary.

Plain ASCII markers only: the output is as often a CI log or a pipe as a terminal,
and an encoding error while printing must never end a run.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from ..store import EventRecord

_PLAN_MARKS = {
    "pending": "[ ]",
    "in_progress": "[>]",
    "done": "[x]",
    "failed": "[!]",
    "skipped": "[-]",
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
SHORT_OUTPUT_LINES = 8
SHORT_OUTPUT_CHARS = 600
RULE_WIDTH = 72


def plan_text(tasks: Sequence[dict[str, Any]]) -> str:
    if not tasks:
        return "Plan: (empty)"
    lines = ["Plan:"]
    for task in tasks:
        mark = _PLAN_MARKS.get(str(task.get("status")), "[?]")
        line = f"  {mark} {task.get('id', '')} {task.get('title', '')}"
        if task.get("note"):
            line += f" -- {task['note']}"
        lines.append(line)
    return "\n".join(lines)


def proposal_text(data: dict[str, Any]) -> str:
    """The cell as the user must see it before deciding: code, why, and the review."""
    heading = f"--- cell {data.get('cell_id', '?')}"
    if data.get("task_id"):
        heading += f" (task {data['task_id']})"
    lines = [heading + " " + "-" * max(3, RULE_WIDTH - len(heading) - 1)]
    lines.append(textwrap.indent(str(data.get("source", "")).rstrip("\n"), "    ", lambda _: True))
    if data.get("explanation"):
        lines.append(f"  why: {data['explanation']}")
    lines.extend(review_lines(data.get("review") or {}))
    return "\n".join(lines)


def review_lines(review: dict[str, Any]) -> list[str]:
    lines = [f"  review: {review.get('verdict', 'none')}, risk {review.get('risk', '?')}"]
    if review.get("comments"):
        lines[0] += f" -- {review['comments']}"
    for finding in review.get("findings") or ():
        if isinstance(finding, dict):
            lines.append(f"    ! [{finding.get('severity', '?')}] {finding.get('message', '')}")
    return lines


def short_output(outputs: Sequence[dict[str, Any]]) -> str:
    """A few lines of what a cell printed or returned; the notebook has the rest."""
    parts: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_joined(output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") or {}
            if "text/plain" in data:
                parts.append(_joined(data["text/plain"]))
            elif data:
                parts.append(f"[{', '.join(sorted(data))}]")
        elif kind == "error":
            parts.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    text = _ANSI.sub("", "\n".join(p.rstrip("\n") for p in parts if p)).strip("\n")
    lines = text.splitlines()
    hidden = len(lines) - SHORT_OUTPUT_LINES
    text = "\n".join(lines[:SHORT_OUTPUT_LINES])
    if len(text) > SHORT_OUTPUT_CHARS:
        text = text[:SHORT_OUTPUT_CHARS] + "..."
    if hidden > 0:
        text += f"\n... ({hidden} more lines in the notebook)"
    return text


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class EventPrinter:
    """Prints each event worth a line; remembers what the final report needs."""

    def __init__(self, out: TextIO, err: TextIO, *, verbose: bool = False) -> None:
        self.out = out
        self.err = err
        #: Also stream the agents' text as it is written, and their tool calls.
        self.verbose = verbose
        self._streaming: str | None = None  # the agent whose text is being streamed
        self._plan: list[dict[str, Any]] | None = None
        self._last_message = ""
        self.usage: dict[str, Any] = {}
        self.cells: dict[str, str] = {}  # cell id -> last status, for the final line

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        self.out.flush()  # keep the two streams in order on a shared terminal
        self.err.write(text + "\n")
        self.err.flush()

    def show(self, event: EventRecord) -> None:
        data = event.data
        kind = event.type
        if kind == "delta":
            if self.verbose:
                self._delta(str(data.get("agent", "")), str(data.get("text", "")))
            return
        self._end_stream()
        if kind in ("tool_call", "tool_result"):
            if self.verbose:
                self.line(_tool_line(kind, data))
            return
        if kind == "plan":
            tasks = list(data.get("tasks") or [])
            if tasks != self._plan:  # only when it changes: update_task repeats it
                self._plan = tasks
                self.line(plan_text(tasks))
        elif kind == "message" and data.get("role") != "user":
            streamed = self._last_streamed == data.get("agent") and self.verbose
            self._last_message = str(data.get("text", ""))
            if not streamed:  # verbose already showed it as it was written
                self.line(f"[{data.get('agent') or data.get('role')}] {self._last_message}")
        elif kind == "cell_proposed":
            self.cells[data["cell_id"]] = "proposed"
            self.line(proposal_text(data))
        elif kind == "cell_executing":
            self.cells[data["cell_id"]] = "running"
            self.line(f"  running {data['cell_id']} ...")
        elif kind == "cell_executed":
            self._executed(data)
        elif kind == "cell_rejected":
            self.cells[data["cell_id"]] = "rejected"
            self.line(f"  => rejected: {data.get('reason') or '(no reason given)'}")
        elif kind == "cell_blocked":
            self.cells[data["cell_id"]] = "blocked"
            self.line(f"  => blocked, will not run: {data.get('reason', '')}")
        elif kind == "error":
            self.warn(f"error ({data.get('code', 'error')}): {data.get('message', '')}")
        elif kind == "usage":
            self.usage = dict(data)
        elif kind == "run_finished":
            self._finished(data)

    _last_streamed: str | None = None

    def _delta(self, agent: str, text: str) -> None:
        if self._streaming != agent:
            self._end_stream()
            self.out.write(f"[{agent}] ")
            self._streaming = agent
        self.out.write(text)
        self.out.flush()

    def _end_stream(self) -> None:
        if self._streaming is not None:
            self.out.write("\n")
            self._last_streamed = self._streaming
            self._streaming = None
        else:
            self._last_streamed = None

    def _executed(self, data: dict[str, Any]) -> None:
        ok = data.get("status") == "ok"
        self.cells[data["cell_id"]] = "done" if ok else "error"
        count = data.get("execution_count")
        label = f"  => {'ok' if ok else 'error'}" + (f" [{count}]" if count is not None else "")
        output = short_output(data.get("outputs") or [])
        if not output:
            self.line(label)
        elif "\n" in output:
            self.line(label + ":\n" + textwrap.indent(output, "     ", lambda _: True))
        else:
            self.line(f"{label}: {output}")

    def _finished(self, data: dict[str, Any]) -> None:
        status = data.get("status", "failed")
        summary = str(data.get("summary") or "")
        self.line("")
        self.line(f"Run {status}." + (" No code ran." if data.get("no_code_ran") else ""))
        if summary and summary != self._last_message:  # the coder already said it
            self.line(summary)
        if self.usage:
            tokens = (
                f"tokens: {self.usage.get('input_tokens', 0)} in, "
                f"{self.usage.get('output_tokens', 0)} out"
            )
            if self.usage.get("cost_usd") is not None:
                tokens += f", ${float(self.usage['cost_usd']):.4f}"
            self.line(tokens)


def _tool_line(kind: str, data: dict[str, Any]) -> str:
    agent = data.get("agent", "?")
    if kind == "tool_call":
        arguments = ", ".join(
            f"{key}={_short(value)}" for key, value in (data.get("arguments") or {}).items()
        )
        return f"  ({agent}) -> {data.get('name', '?')}({arguments})"
    mark = "ok" if data.get("ok") else "error"
    return f"  ({agent}) <- {data.get('name', '?')} {mark}: {_short(data.get('summary', ''))}"


def _short(value: Any, limit: int = 80) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "..."
