"""The one agent loop: ask the model, run the tools it calls, give it the results, repeat.

Planner, coder and reviewer all run through ``run_agent``; what differs is a ``Role``
(instructions, tools, streaming) and what the caller hands in: how the prompt is
assembled, when the role is done, and what to do with a reply that calls no tool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..events import MessagePosted, RunUsage, TextDelta, ToolAnswered, ToolCalled, UsageUpdated
from ..memory import AssembledPrompt
from ..models import (
    AssistantMessage,
    Message,
    ModelResponse,
    StreamFinished,
    ToolResultMessage,
    Usage,
    UserMessage,
)
from ..models import TextDelta as ModelTextDelta
from ..settings import Role as RoleName
from ..tools import RunContext, Tool
from ..tools.base import unknown_tool
from .budget import check_budgets

SUMMARY_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class Role:
    """A specialist: its name, its standing instructions and the tools it may call."""

    name: RoleName
    instructions: str
    tools: tuple[Tool, ...]
    #: Stream text as it is written (the sidebar shows it) or wait for the whole reply.
    stream: bool = True
    #: Show text written beside tool calls as a message at once (the coder's narration).
    narrates: bool = False


@dataclass(frozen=True, kw_only=True)
class Nudge:
    """What to tell the model after a reply that called no tool."""

    text: str


@dataclass(kw_only=True)
class AgentTurn:
    """How ``run_agent`` ended, and the role's exchange so far (resumable)."""

    exchange: list[Message] = field(default_factory=list)
    ended: Literal["done", "text", "calls"] = "done"
    text: str = ""


PromptBuilder = Callable[[Sequence[Message]], "AssembledPrompt | Sequence[Message]"]


async def run_agent(
    run: RunContext,
    role: Role,
    turn: AgentTurn,
    *,
    prompt: PromptBuilder,
    done: Callable[[], bool],
    on_text: Callable[[AssistantMessage], Nudge | None] = lambda reply: None,
    max_calls: int | None = None,
) -> AgentTurn:
    """Run ``role`` until ``done()``, a reply without tool calls that ``on_text`` does
    not answer with a ``Nudge``, or ``max_calls`` model calls."""
    calls = 0
    while max_calls is None or calls < max_calls:
        calls += 1
        built = prompt(turn.exchange)
        response = await call_model(run, role, built)
        reply = response.message
        turn.exchange.append(reply)
        text = reply.content.strip()
        if not reply.tool_calls:
            nudge = on_text(reply)
            if nudge is None:
                turn.ended, turn.text = "text", text
                return turn
            turn.exchange.append(UserMessage(content=nudge.text))
            continue
        if text and role.narrates:
            run.emit(MessagePosted(role="assistant", agent=role.name, text=text))
        turn.exchange.extend(await run_tool_calls(run, role, reply))
        if done():
            turn.ended, turn.text = "done", text
            return turn
    turn.ended = "calls"
    return turn


async def call_model(
    run: RunContext, role: Role, built: AssembledPrompt | Sequence[Message]
) -> ModelResponse:
    """One model call: counted against the run's steps, streamed as deltas, usage kept."""
    run.take_step()
    model = run.model(role.name)
    messages = built.messages if isinstance(built, AssembledPrompt) else list(built)
    tools = [t.spec for t in role.tools]
    check_budgets(run, model, built, tools)  # BudgetExceeded stops the run before the call
    response: ModelResponse | None = None
    if role.stream:
        # aclosing: any early exit closes the HTTP response at once, not at GC time.
        async with contextlib.aclosing(model.stream(messages, tools)) as events:
            async for event in events:
                if isinstance(event, ModelTextDelta):
                    if event.text:
                        run.emit(TextDelta(agent=role.name, text=event.text))
                elif isinstance(event, StreamFinished):
                    response = event.response
    else:
        response = await model.complete(messages, tools)
    if response is None:  # a provider bug: the stream ended without its final event
        response = ModelResponse(
            message=AssistantMessage(), usage=Usage(), model=model.model, stop_reason="error"
        )
    record_usage(run, role.name, response)
    if isinstance(built, AssembledPrompt) and run.memory is not None:
        run.memory.calibrate(built, response.usage.input_tokens)
    return response


def record_usage(run: RunContext, role: str, response: ModelResponse) -> None:
    store = run.app.store
    usage = response.usage
    store.add_usage(
        run.session_id,
        role=role,
        model=response.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        turn=run.turn,
    )
    totals = store.usage_totals(run.session_id)
    run.emit(
        UsageUpdated(
            input_tokens=totals["input_tokens"],
            output_tokens=totals["output_tokens"],
            cost_usd=totals.get("cost_usd"),
            cache_read_tokens=totals["cache_read_tokens"],
            cache_write_tokens=totals["cache_write_tokens"],
            run=RunUsage(**store.run_usage(run.session_id, run.turn)),
        )
    )


async def run_tool_calls(
    run: RunContext, role: Role, reply: AssistantMessage
) -> list[ToolResultMessage]:
    """Every call of ``reply`` in order; each answered, mistakes included."""
    by_name = {t.name: t for t in role.tools}
    results: list[ToolResultMessage] = []
    for call in reply.tool_calls:
        run.emit(
            ToolCalled(
                agent=role.name,
                call_id=call.id,
                name=call.name,
                arguments=dict(call.arguments or {}),
            )
        )
        chosen = by_name.get(call.name)
        result = await chosen(run, call) if chosen else unknown_tool(call, role.tools)
        run.emit(
            ToolAnswered(
                agent=role.name,
                call_id=call.id,
                name=call.name,
                ok=not result.is_error,
                summary=_summary(result.content),
            )
        )
        results.append(result)
    return results


def _summary(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1] + "…"
