"""What one run needs: its dependencies, its mutable progress, and the human channel.

The agents receive a ``RunContext``; they never build model clients, open the
database or talk to tornado themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from jupyter_codeagent.config import AgentSettings
from jupyter_codeagent.errors import CodeAgentError
from jupyter_codeagent.models import ChatModel

from .state import Plan

if TYPE_CHECKING:  # the memory package imports this module
    from jupyter_codeagent.memory.session_memory import SessionMemory


class StepLimitReached(CodeAgentError):
    """The run used its allowance of model calls."""

    code = "step_limit"
    status = 409


@dataclass(frozen=True, kw_only=True)
class UserDecision:
    """The user's answer to a proposed cell."""

    action: Literal["approve", "reject"]
    source: str | None = None
    reason: str | None = None


class HumanChannel(Protocol):
    """How a run waits for the person at the keyboard (the session implements it)."""

    async def cell_decision(self, cell_id: str) -> UserDecision: ...

    async def ask(self, question: str) -> str: ...


class EventSink(Protocol):
    def __call__(self, type: str, data: dict[str, Any]) -> object: ...


class KnowledgeLookup(Protocol):
    def lookup(self, query: str) -> str: ...

    def catalog(self) -> str: ...


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass(kw_only=True)
class RunContext:
    """Dependencies and progress of one run (mutable: it *is* the run's working state)."""

    session_id: str
    notebook_path: str
    root_dir: str
    settings: AgentSettings
    models: Callable[[str], ChatModel]
    bridge: Any  # KernelBridge: typed loosely to keep agents importable without a server
    writer: Any  # NotebookWriter
    store: Any  # SessionStore
    emit: EventSink
    human: HumanChannel
    kernel_id: Callable[[], Awaitable[str]]
    knowledge: KnowledgeLookup | None = None
    turn: int = 0
    request: str = ""
    plan: Plan = field(default_factory=Plan)
    steps_used: int = 0
    summary: str | None = None
    last_cell_id: str | None = None
    executing_kernel: str | None = None
    # The session's memory tiers, prepared by ``memory_for(ctx)`` on first use in the run.
    memory: SessionMemory | None = None

    def take_step(self) -> None:
        if self.steps_used >= self.settings.max_steps:
            raise StepLimitReached(
                f"The run reached its limit of {self.settings.max_steps} model calls "
                "(CODEAGENT_MAX_STEPS)."
            )
        self.steps_used += 1

    def set_plan(self, plan: Plan) -> None:
        self.plan = plan
        self.store.save_plan(self.session_id, plan.to_json())
        self.emit("plan", {"tasks": [_public_task(t) for t in plan.to_json()]})


def _public_task(task: dict[str, Any]) -> dict[str, Any]:
    """The contract's task shape: {id, title, status, note?}."""
    body = {"id": task["id"], "title": task["title"], "status": task["status"]}
    if task.get("note"):
        body["note"] = task["note"]
    return body
