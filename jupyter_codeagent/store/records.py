"""The immutable rows the session store hands out.

Records are frozen so a value read from the store can be shared between the run task,
the event fan-out and the HTTP handlers without anyone mutating it behind the store's
back. ``to_json()`` gives exactly the shape the public API serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionRecord:
    """One agent session bound to a notebook (and, usually, its kernel)."""

    id: str
    notebook_path: str
    kernel_id: str | None
    title: str
    status: str
    created: float
    updated: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "notebook_path": self.notebook_path,
            "kernel_id": self.kernel_id,
            "title": self.title,
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRecord:
    """One entry of a session's event log; ``seq`` is 1, 2, 3... per session."""

    seq: int
    ts: float
    type: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        # ``append_event`` refuses payloads using these keys, so the spread cannot
        # overwrite the envelope.
        return {"seq": self.seq, "ts": self.ts, "type": self.type, **self.data}


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageRecord:
    """An essential chat message; ``turn`` is the index of the user request it belongs to."""

    id: int
    turn: int
    role: str
    agent: str | None
    text: str
    ts: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "turn": self.turn,
            "role": self.role,
            "agent": self.agent,
            "text": self.text,
            "ts": self.ts,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class CellRecord:
    """The latest state of one agent-proposed cell."""

    cell_id: str
    task_id: str | None
    source: str
    explanation: str
    review: dict[str, Any]
    status: str
    outputs: list[Any]
    execution_count: int | None
    created: float
    updated: float

    def to_json(self) -> dict[str, Any]:
        return {
            "cell_id": self.cell_id,
            "task_id": self.task_id,
            "source": self.source,
            "explanation": self.explanation,
            "review": self.review,
            "status": self.status,
            "outputs": self.outputs,
            "execution_count": self.execution_count,
            "created": self.created,
            "updated": self.updated,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditRecord:
    """One execution decision (ran, blocked, rejected...) with everything that led to it."""

    id: int
    session_id: str
    cell_id: str
    code: str
    approved_by: str | None
    policy: str
    findings: list[Any]
    verdict: str | None
    reviewer_risk: str | None
    outcome: str
    detail: str
    started: float
    finished: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_id": self.session_id,
            "cell_id": self.cell_id,
            "code": self.code,
            "approved_by": self.approved_by,
            "policy": self.policy,
            "findings": self.findings,
            "verdict": self.verdict,
            "reviewer_risk": self.reviewer_risk,
            "outcome": self.outcome,
            "detail": self.detail,
            "started": self.started,
            "finished": self.finished,
        }
