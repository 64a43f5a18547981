"""What a tool can reach: the application's services and the run it is called in.

``AppContext`` is built once (by the server extension, or by the headless CLI) and
shared by every session. ``RunContext`` is one run's working state: its settings,
the user who started it, its plan and progress, and the ways it reaches the person
at the keyboard (approvals, questions) and the reviewer agent. The agents create the
``RunContext``; the tools receive it as their first argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import StepLimitReached
from ..events import Event, PlanChanged, PlanTask
from ..kernel import KernelBridge
from ..knowledge import KnowledgeIndex
from ..memory import SessionMemory
from ..models import ChatModel, ImagePart
from ..models.registry import ModelRegistry
from ..notebook import NotebookWriter
from ..notebook.live_hub import LiveNotebookHub
from ..sandbox import KernelIsolation
from ..settings import Settings
from ..store import SessionStore
from .plan import Plan
from .redaction import Redactor
from .review import CellReview, ReviewRequest


@dataclass(frozen=True, kw_only=True)
class AppContext:
    """The services every session shares, built once."""

    store: SessionStore
    bridge: KernelBridge
    writer: NotebookWriter
    models: ModelRegistry
    knowledge: KnowledgeIndex | None
    root_dir: str
    #: Browsers that have a notebook open (None for the headless CLI: files only).
    live_hub: LiveNotebookHub | None = None
    #: How a running kernel was started (sandboxed or not), by kernel id.
    kernel_isolation: Callable[[str], KernelIsolation] = lambda kernel_id: KernelIsolation(
        sandboxed=False
    )
    #: Kernels run on a Kernel/Enterprise Gateway: this server's sandbox does not apply.
    remote_kernels: bool = False
    #: The administrator vouches that the gateway's kernel containers isolate kernels, so
    #: unattended policies may run cells there (``remote_kernels_isolated``).
    remote_kernels_isolated: bool = False
    #: The server's contents manager (sync or async), to ask whether a notebook exists.
    contents_manager: Any = None


@dataclass(frozen=True, kw_only=True)
class UserDecision:
    """The user's answer to a proposed cell."""

    action: Literal["approve", "reject"]
    source: str | None = None
    reason: str | None = None
    #: The authenticated user who decided (jupyter_server's identity), if known.
    user: str | None = None


class HumanChannel(Protocol):
    """How a run waits for the person at the keyboard (the session implements it)."""

    async def cell_decision(self, cell_id: str) -> UserDecision: ...

    async def ask(self, question: str) -> str: ...


@dataclass(kw_only=True)
class SessionFactsLog:
    """What the session's cells read, wrote and created so far (for the analyzer's
    data-loss findings); kept by the session across its runs."""

    files_read: set[str] = field(default_factory=set)
    files_written: set[str] = field(default_factory=set)
    agent_names: set[str] = field(default_factory=set)


@dataclass(frozen=True, kw_only=True)
class CellResult:
    """What one executed cell of the run gave: for honest bookkeeping and partial answers."""

    cell_id: str
    task_id: str | None
    ok: bool
    output: str  # as the model was shown it (truncated, secrets scrubbed)
    #: The images of its outputs, downscaled (only when the coder's model sees images).
    images: tuple[ImagePart, ...] = ()
    #: The code that ran (the user's edit of it, if any).
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Revision:
    """A proposal the reviewer sent back for changes, as the coder made it."""

    code: str
    explanation: str
    task_id: str | None
    replaces: str | None
    review: CellReview


EventSink = Callable[[Event], object]
Reviewer = Callable[["RunContext", ReviewRequest], Awaitable[CellReview]]


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass(kw_only=True)
class RunContext:
    """One run: mutable, because it *is* the run's working state."""

    app: AppContext
    settings: Settings
    session_id: str
    notebook_path: str
    emit: EventSink
    human: HumanChannel
    kernel_id: Callable[[], Awaitable[str]]
    #: The reviewer agent, handed in by the agents (tools sit below them).
    review: Reviewer
    user: str | None = None
    redact: Redactor = field(default_factory=Redactor)
    turn: int = 0
    request: str = ""
    plan: Plan = field(default_factory=Plan)
    steps_used: int = 0
    summary: str | None = None
    last_cell_id: str | None = None
    executing_kernel: str | None = None
    #: The cells this run executed, in order.
    results: list[CellResult] = field(default_factory=list)
    #: Tasks a cell was proposed for in this run (whether it ran or not).
    tried: set[str] = field(default_factory=set)
    #: Goes up with every change of a cell or the plan: a step that did not move it made
    #: no progress (the loop guards count those).
    progress: int = 0
    #: Small-model profile: fewer tools, shorter prompts, low temperature.
    compact: bool = False
    #: Input tokens per model call, fitted to the model's context window (0: the setting).
    prompt_budget: int = 0
    #: Failed tasks the planner has not revised yet ("t2 (Load data): FileNotFoundError").
    failed_tasks: list[str] = field(default_factory=list)
    finished: bool = False
    #: Review rounds of the cell being proposed (a revision sends it back to the coder).
    review_rounds: int = 0
    #: Code turned down in this run, whitespace-normalised → (why, the reviewer's
    #: "revise" when that was all): proposed again unchanged, it is not reviewed again.
    declined: dict[str, tuple[str, CellReview | None]] = field(default_factory=dict)
    #: Files the session read and wrote, names its agent cells created.
    facts: SessionFactsLog = field(default_factory=SessionFactsLog)
    #: The session's memory tiers, prepared when the run starts.
    memory: SessionMemory | None = None
    #: Where ``submit_review`` leaves the reviewer's answer for the reviewer agent.
    submitted_review: CellReview | None = None
    #: The cell the reviewer sent back for changes, until the coder proposes again: if
    #: the coder gives up on it instead, the user decides (``settle_revision``).
    open_revision: Revision | None = None

    @property
    def root_dir(self) -> str:
        return self.app.root_dir

    def model(self, role: str) -> ChatModel:
        return self.app.models.for_role(self.settings.models, role)

    def take_step(self) -> None:
        limit = self.settings.agents.max_steps
        if self.steps_used >= limit:
            raise StepLimitReached(
                f"The run reached its limit of {limit} model calls (CODEAGENT_MAX_STEPS)."
            )
        self.steps_used += 1

    def ran_ok(self, task_id: str | None = None) -> bool:
        """Whether a cell (of ``task_id``, or any) executed without error in this run."""
        return any(r.ok and (task_id is None or r.task_id == task_id) for r in self.results)

    @property
    def budget(self) -> int:
        return self.prompt_budget or self.settings.agents.prompt_token_budget

    def set_plan(self, plan: Plan, *, progress: bool = True) -> None:
        """``progress=False``: only a note changed (a small model rewriting the note of
        a task it does not move is going round in circles)."""
        if progress:
            self.progress += 1
        self.plan = plan
        self.app.store.save_plan(self.session_id, plan.to_json())
        self.emit(
            PlanChanged(
                tasks=tuple(
                    PlanTask(id=t.id, title=t.title, status=t.status, note=t.note)
                    for t in plan.tasks
                )
            )
        )
