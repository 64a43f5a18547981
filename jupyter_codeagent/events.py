"""The session events of the public contract: one frozen class per event type.

Building one of these classes is the only way to emit an event (``Session.emit``
takes nothing else), so the wire format is defined here once. The TypeScript types
of the sidebar are generated from them at build time (``events_schema.py``;
a test fails when the committed schema drifts from these classes).

Every event on the wire also carries ``seq`` (1, 2, 3... per session) and ``ts``
(seconds since the epoch), added when the event is stored. Optional fields that are
``None`` are left out of the JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Literal, TypeVar

RunStatus = Literal["done", "stopped", "failed"]
TaskStatus = Literal["pending", "in_progress", "done", "failed", "skipped"]
Verdict = Literal["approve", "revise", "block", "none"]
Risk = Literal["low", "medium", "high"]
Severity = Literal["info", "warning", "high", "block"]
AgentRole = Literal["planner", "coder", "reviewer", "summarizer"]
Output = dict[str, Any]  # an nbformat v4 output, passed through as the kernel produced it
E = TypeVar("E", bound="Event")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One observation of the static analyzer (or the reviewer) on a cell."""

    code: str
    severity: Severity
    message: str
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class Review:
    """What the user is shown next to a proposed cell before deciding."""

    verdict: Verdict
    risk: Risk
    comments: str = ""
    findings: tuple[Finding, ...] = ()
    blocking: bool = False
    #: Who stopped the cell when it is blocked: the static analysis or the reviewer.
    blocked_by: Literal["analyzer", "reviewer"] | None = None


@dataclass(frozen=True, kw_only=True)
class PlanTask:
    id: str
    title: str
    status: TaskStatus
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Variable:
    name: str
    type: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; ``type`` is the wire name of the subclass."""

    type: ClassVar[str]

    def map_text(self: E, change: Callable[[str], str]) -> E:
        """A copy with ``change`` applied to every string in it (redacting secrets)."""
        return _map_text(self, change)

    def to_json(self) -> dict[str, Any]:
        """The payload (without ``seq``/``ts``), ``None`` optionals left out."""
        body: dict[str, Any] = {"type": self.type}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None and item.default is None:
                continue
            body[item.name] = _plain(value)
        return body


def _map_text(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if hasattr(value, "__dataclass_fields__"):
        changes = {f.name: _map_text(getattr(value, f.name), change) for f in fields(value)}
        return replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_map_text(v, change) for v in value)
    if isinstance(value, list):
        return [_map_text(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _map_text(v, change) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    # Nested values keep their nulls (``"line": null``): clients read them as given.
    if hasattr(value, "__dataclass_fields__"):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- runs and conversation ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    turn: int


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    """The end of a run; ``summary`` is the closing answer, sent only here."""

    type: ClassVar[str] = "run_finished"
    status: RunStatus
    summary: str | None = None
    #: The agent whose words the summary is (the planner's direct answer, the coder's).
    agent: AgentRole | None = None
    #: True when the run needed to compute something and no cell ran successfully.
    no_code_ran: bool | None = None


@dataclass(frozen=True, kw_only=True)
class MessagePosted(Event):
    type: ClassVar[str] = "message"
    role: Literal["user", "assistant"]
    text: str
    agent: AgentRole | None = None
    #: Set when a user message answers an ``ask_user`` question.
    question_id: str | None = None
    #: True when the text was cut off (the run stopped while it was being written).
    interrupted: bool | None = None
    #: On a reviewer's "revise" comments: the code they are about (the version sent back).
    reviewed_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class TextDelta(Event):
    """A piece of streamed text; folded into its ``message`` once that is complete."""

    type: ClassVar[str] = "delta"
    agent: AgentRole
    text: str


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(Event):
    type: ClassVar[str] = "question"
    question_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ErrorReported(Event):
    type: ClassVar[str] = "error"
    code: str
    message: str
    #: With ``budget_exceeded``: the setting that stopped the run (``budget_day_usd``...).
    budget: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunUsage:
    """Tokens and cost of one run (``turn``: the request it answers) so far."""

    turn: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    #: None while no call of the run had a known price ("unknown", never "free").
    cost_usd: float | None
    calls: int


@dataclass(frozen=True, kw_only=True)
class UsageUpdated(Event):
    """The session's totals after a model call (and the run's, in ``run``)."""

    type: ClassVar[str] = "usage"
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = None
    #: Of ``input_tokens``, served from (read) or written to (write) the prompt cache.
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    run: RunUsage | None = None


# --- plan, data objects, tools --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlanChanged(Event):
    type: ClassVar[str] = "plan"
    tasks: tuple[PlanTask, ...]


@dataclass(frozen=True, kw_only=True)
class VariablesChanged(Event):
    type: ClassVar[str] = "variables"
    variables: tuple[Variable, ...]


@dataclass(frozen=True, kw_only=True)
class ToolCalled(Event):
    type: ClassVar[str] = "tool_call"
    agent: AgentRole
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ToolAnswered(Event):
    type: ClassVar[str] = "tool_result"
    agent: AgentRole
    call_id: str
    name: str
    ok: bool
    summary: str


# --- cells: one event per change of a cell's status ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class CellProposed(Event):
    type: ClassVar[str] = "cell_proposed"
    cell_id: str
    source: str
    explanation: str
    review: Review
    needs_approval: bool
    task_id: str | None = None
    #: Why the cell waits for the user (the approval gate's reason); None when it runs
    #: by policy. Under 'risky'/'never' it says what made the gate ask (no sandbox, the
    #: risk, the review), so the user knows why an unattended policy asks.
    approval_reason: str | None = None
    #: A change of an existing notebook cell (its nbformat id or agent cell id) instead
    #: of a new cell: on approval that cell's code is replaced and it runs there.
    replaces: str | None = None
    #: Whether the cell could be undone if it ran now (None: not known yet); the
    #: ``cell_executing`` event says it again for the code that runs.
    undoable: bool | None = None
    undo_note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CellExecuting(Event):
    type: ClassVar[str] = "cell_executing"
    cell_id: str
    #: The code that runs, when the user edited the proposal before approving it.
    source: str | None = None
    #: Who let the cell run: the authenticated user's name, or ``policy``.
    approved_by: str | None = None
    #: Whether undo can put the kernel back as it was before this cell (known before it
    #: runs; a cell may still turn out not undoable, see ``undo_note``).
    undoable: bool | None = None
    #: What undo could not restore, when ``undoable`` is false.
    undo_note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CellExecuted(Event):
    type: ClassVar[str] = "cell_executed"
    cell_id: str
    status: Literal["ok", "error"]
    execution_count: int | None
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CellRejected(Event):
    type: ClassVar[str] = "cell_rejected"
    cell_id: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CellBlocked(Event):
    type: ClassVar[str] = "cell_blocked"
    cell_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CellStopped(Event):
    """The run stopped while the cell waited for approval or ran."""

    type: ClassVar[str] = "cell_stopped"
    cell_id: str


@dataclass(frozen=True, kw_only=True)
class CellOutput(Event):
    """The outputs of a running cell so far (sent at most a few times a second)."""

    type: ClassVar[str] = "cell_output"
    cell_id: str
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CellDeleted(Event):
    """An agent cell was removed from the notebook by a person (recorded once)."""

    type: ClassVar[str] = "cell_deleted"
    cell_id: str
    #: What the sidebar says, in plain words (which cell, from which notebook).
    text: str


@dataclass(frozen=True, kw_only=True)
class CellUndone(Event):
    """The user undid a cell that ran: its variables and files are as before it ran."""

    type: ClassVar[str] = "cell_undone"
    cell_id: str
    #: Names put back as they were before the cell ran (rebound, deleted or changed).
    restored: tuple[str, ...] = ()
    #: Names the cell created, removed again.
    removed: tuple[str, ...] = ()
    #: Files put back (paths relative to the notebook's folder), and files removed.
    files_restored: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()


EVENT_TYPES: tuple[type[Event], ...] = (
    RunStarted,
    RunFinished,
    MessagePosted,
    TextDelta,
    QuestionAsked,
    ErrorReported,
    UsageUpdated,
    PlanChanged,
    VariablesChanged,
    ToolCalled,
    ToolAnswered,
    CellProposed,
    CellExecuting,
    CellExecuted,
    CellRejected,
    CellBlocked,
    CellStopped,
    CellOutput,
    CellDeleted,
    CellUndone,
)
CELL_EVENTS: tuple[type[Event], ...] = (
    CellProposed,
    CellExecuting,
    CellExecuted,
    CellRejected,
    CellBlocked,
    CellStopped,
    CellOutput,
    CellDeleted,
    CellUndone,
)
BY_TYPE: dict[str, type[Event]] = {cls.type: cls for cls in EVENT_TYPES}
