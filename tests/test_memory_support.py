"""In-process doubles for the memory unit tests: a scripted model, a kernel bridge, a context.

(No tests here; the module is shared by ``test_memory_*.py``.)
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_codeagent.agents.coder import CODER
from jupyter_codeagent.agents.loop import Role, call_model
from jupyter_codeagent.agents.orchestrator import memory_sources
from jupyter_codeagent.agents.planner import PLANNER
from jupyter_codeagent.agents.reviewer import new_reviewer
from jupyter_codeagent.kernel.types import ToolText, VariableSummary
from jupyter_codeagent.memory import AssembledPrompt, CurrentStep, SessionMemory
from jupyter_codeagent.models import (
    AssistantMessage,
    ChatModel,
    Message,
    ModelResponse,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from jupyter_codeagent.settings import AgentSettings, Settings
from jupyter_codeagent.store import SessionStore
from jupyter_codeagent.tools import AppContext, RunContext, UserDecision

ROLES = {"coder": CODER, "planner": PLANNER}


class ScriptedModel(ChatModel):
    """Answers with ``reply(messages)``; records every prompt it was given."""

    def __init__(self, reply: Callable[[Sequence[Message]], str], *, ratio: float = 1.0) -> None:
        self.provider = "fake"
        self.model = "scripted"
        self.reply = reply
        self.ratio = ratio
        self.calls: list[list[Message]] = []

    async def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ModelResponse:
        self.calls.append(list(messages))
        chars = sum(len(getattr(m, "content", "")) for m in messages)
        return ModelResponse(
            message=AssistantMessage(content=self.reply(messages)),
            usage=Usage(input_tokens=int(chars / 4 * self.ratio) + 1, output_tokens=10),
            model=self.model,
            stop_reason="end_turn",
        )

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        yield StreamFinished(response=await self.complete(messages, tools))


class FailingModel(ScriptedModel):
    async def complete(self, *args: Any, **kwargs: Any) -> ModelResponse:
        from jupyter_codeagent.errors import ModelUnavailableError

        raise ModelUnavailableError("the summarizer's server is down")


@dataclass
class StubBridge:
    """The kernel bridge's read side, from plain dicts."""

    variables: dict[str, tuple[str, str]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    async def list_variables(self, kernel_id: str) -> list[VariableSummary]:
        return [
            VariableSummary(name=name, type=type_, summary=summary)
            for name, (type_, summary) in sorted(self.variables.items())
        ]

    async def inspect_variable(
        self, kernel_id: str, name: str, *, limit: int | None = None
    ) -> ToolText:
        if name in self.details:
            return ToolText(text=self.details[name])
        return ToolText(text=f"No variable named '{name}'.", ok=False)


@dataclass
class RoleModels:
    """The model registry's role look-up, answered from the world's scripted models."""

    models: dict[str, ScriptedModel]

    def for_role(self, settings: Any, role: str) -> ScriptedModel:
        return self.models[role]


class NoHuman:
    async def cell_decision(self, cell_id: str) -> UserDecision:
        raise AssertionError("no cell decisions in memory tests")

    async def ask(self, question: str) -> str:
        raise AssertionError("no questions in memory tests")


def summary_reply(messages: Sequence[Message]) -> str:
    """The fake summarizer: names the turns it was given, so tests can follow them."""
    text = messages[-1].content if isinstance(messages[-1], UserMessage) else ""
    turns = [line.split(":")[0] for line in text.splitlines() if line.startswith("Turn ")]
    return "SUMMARY covering " + ", ".join(turns)


@dataclass
class MemoryWorld:
    """A store with one session, the models per role, and a way to make run contexts."""

    store: SessionStore
    session_id: str
    models: dict[str, ScriptedModel]
    bridge: StubBridge
    settings: AgentSettings
    knowledge: Any = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # An empty folder as the server root: no stray data files in the context.
    root_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="memory-world-"))

    def context(self, turn: int, request: str) -> RunContext:
        async def kernel_id() -> str:
            return "k1"

        app = AppContext(
            store=self.store,
            bridge=self.bridge,  # type: ignore[arg-type]
            writer=None,  # type: ignore[arg-type]
            models=RoleModels(self.models),  # type: ignore[arg-type]
            knowledge=self.knowledge,
            root_dir=self.root_dir,
        )
        return RunContext(
            app=app,
            settings=Settings(agents=self.settings),
            session_id=self.session_id,
            notebook_path="analysis.ipynb",
            emit=lambda event: self.events.append((event.type, event.to_json())),
            human=NoHuman(),
            kernel_id=kernel_id,
            review=new_reviewer(),
            turn=turn,
            request=request,
        )

    def add_turns(self, count: int, start: int = 0) -> None:
        """Finished turns ``start .. start+count-1`` with recognisable texts."""
        for turn in range(start, start + count):
            self.store.add_message(
                self.session_id, turn=turn, role="user", text=f"question number {turn + 1}"
            )
            self.store.add_message(
                self.session_id,
                turn=turn,
                role="assistant",
                agent="coder",
                text=f"answer number {turn + 1}",
            )

    def ask(self, turn: int, text: str) -> RunContext:
        """The user's message of ``turn`` as the session stores it, and the run's context."""
        self.store.add_message(self.session_id, turn=turn, role="user", text=text)
        return self.context(turn, text)


def make_world(
    db_path: str = ":memory:",
    *,
    history_turns: int = 6,
    budget: int = 12_000,
    session_id: str | None = None,
) -> MemoryWorld:
    store = SessionStore(db_path)
    if session_id is None or store.find_session(session_id) is None:
        session_id = store.create_session(
            notebook_path="analysis.ipynb", kernel_id="k1", session_id=session_id
        ).id
    models = {
        role: ScriptedModel(lambda messages: "ok") for role in ("planner", "coder", "reviewer")
    }
    models["summarizer"] = ScriptedModel(summary_reply)
    return MemoryWorld(
        store=store,
        session_id=session_id,
        models=models,
        bridge=StubBridge(),
        settings=AgentSettings(history_turns=history_turns, prompt_token_budget=budget),
    )


def text_of(messages: Sequence[Message]) -> str:
    """Everything a prompt says, as one string."""
    parts: list[str] = []
    for message in messages:
        parts.append(getattr(message, "content", ""))
        for call in getattr(message, "tool_calls", ()):
            parts.append(call.raw_arguments)
    return "\n".join(parts)


def system_text(messages: Sequence[Message]) -> str:
    """The role prompt and the session context message that follows it."""
    first = messages[0]
    assert isinstance(first, SystemMessage)
    context = [
        m.content
        for m in messages
        if isinstance(m, UserMessage) and m.content.startswith("# Session context")
    ]
    return "\n\n".join([first.content, *context])


async def memory_for(run: RunContext) -> SessionMemory:
    """The run's memory, prepared as the orchestrator does on first use."""
    if run.memory is None:
        run.memory = await SessionMemory.prepare(memory_sources(run))
    return run.memory


def assemble(
    run: RunContext, role: str, *, system: str, step: CurrentStep, tools: Sequence[Any] = ()
) -> AssembledPrompt:
    """What the role's next prompt would be, with the run's budget (as the agents do)."""
    assert run.memory is not None
    model = run.model(role)
    specs = [t.spec for t in (tools or ROLES[role].tools)]
    return run.memory.assemble(
        system=system,
        step=step,
        tools=specs,
        budget=run.settings.agents.prompt_token_budget,
        model_key=f"{model.provider}:{model.model}",
    )


async def call_assembled(run: RunContext, role: str, prompt: AssembledPrompt) -> Any:
    """One model call as the loop makes it (usage recorded, estimate calibrated)."""
    return (
        await call_model(run, Role(name=role, instructions="", tools=(), stream=False), prompt)
    ).message
