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
from ..memory.budget import keep_last_images
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
from ..models.text_tool_calls import recover_in_response
from ..models.vision import sees_images
from ..settings import Role as RoleName
from ..tools import RunContext, Tool
from ..tools.base import error_result, unknown_tool
from .budget import check_budgets, with_usage_estimated
from .guards import MAX_IDLE_REPLIES, RepeatGuard, dropped_note

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
    ended: Literal["done", "text", "calls", "idle"] = "done"
    text: str = ""


PromptBuilder = Callable[[Sequence[Message]], "AssembledPrompt | Sequence[Message]"]
#: Turns what a model wrote into what it meant (a ```python block into a proposal...).
Interpreter = Callable[[AssistantMessage], AssistantMessage]


async def run_agent(
    run: RunContext,
    role: Role,
    turn: AgentTurn,
    *,
    prompt: PromptBuilder,
    done: Callable[[], bool],
    on_text: Callable[[AssistantMessage], Nudge | None] = lambda reply: None,
    interpret: Interpreter | None = None,
    max_calls: int | None = None,
) -> AgentTurn:
    """Run ``role`` until ``done()``, a reply without tool calls that ``on_text`` does
    not answer with a ``Nudge``, ``max_calls`` model calls, or ``MAX_IDLE_REPLIES``
    replies in a row that changed nothing (``ended == "idle"``)."""
    calls = idle = 0
    guard = RepeatGuard()
    while max_calls is None or calls < max_calls:
        calls += 1
        progress = run.progress
        response = await call_model(run, role, prompt(turn.exchange))
        reply = interpret(response.message) if interpret else response.message
        turn.exchange.append(reply)
        text = reply.content.strip()
        if not reply.tool_calls:
            nudge = on_text(reply)
            if nudge is None:
                turn.ended, turn.text = "text", text
                return turn
            turn.exchange.append(UserMessage(content=nudge.text))
        else:
            if text and role.narrates:
                run.emit(MessagePosted(role="assistant", agent=role.name, text=text))
            results = await run_tool_calls(run, role, reply, guard)
            kept = len(reply.tool_calls)
            turn.exchange.extend(dropped_note(results, response.dropped_tool_calls, kept))
            if done():
                turn.ended, turn.text = "done", text
                return turn
        idle = idle + 1 if run.progress == progress else 0
        if idle >= MAX_IDLE_REPLIES:
            turn.ended = "idle"
            return turn
    turn.ended = "calls"
    return turn


async def call_model(
    run: RunContext, role: Role, built: AssembledPrompt | Sequence[Message]
) -> ModelResponse:
    """One model call: counted against the run's steps, streamed as deltas, usage kept.
    A tool call the model wrote as text (JSON, ``<tool_call>``) becomes a real one."""
    run.take_step()
    model = run.model(role.name)
    messages = built.messages if isinstance(built, AssembledPrompt) else list(built)
    messages = _images_for(run, role.name, messages)
    # Every request passes here: no secret reaches a model, whatever built the prompt.
    messages = run.redact.messages(messages)
    tools = [t.spec for t in role.tools]
    check_budgets(run, model, built, tools)  # BudgetExceeded stops the run before the call
    # Small models follow instructions better at a low temperature.
    temperature = 0.2 if run.compact else None
    response: ModelResponse | None = None
    if role.stream:
        # aclosing: any early exit closes the HTTP response at once, not at GC time.
        stream = model.stream(messages, tools, temperature=temperature)
        async with contextlib.aclosing(stream) as events:
            async for event in events:
                if isinstance(event, ModelTextDelta):
                    if event.text:
                        run.emit(TextDelta(agent=role.name, text=event.text))
                elif isinstance(event, StreamFinished):
                    response = event.response
    else:
        response = await model.complete(messages, tools, temperature=temperature)
    if response is None:  # a provider bug: the stream ended without its final event
        response = ModelResponse(
            message=AssistantMessage(), usage=Usage(), model=model.model, stop_reason="error"
        )
    if isinstance(built, AssembledPrompt) and run.memory is not None:
        run.memory.calibrate(built, response.usage.input_tokens)  # reported tokens only
    response = with_usage_estimated(model, built, tools, response)
    record_usage(run, role.name, response)
    return recover_in_response(response, tools) if tools else response


def _images_for(run: RunContext, role: str, messages: Sequence[Message]) -> list[Message]:
    """Only a model that sees images gets them, and then the most recent few."""
    models = run.settings.models
    if sees_images(models, role):
        return list(keep_last_images(tuple(messages), models.vision_max_images))
    return list(keep_last_images(tuple(messages), 0, note=False))


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
    run: RunContext, role: Role, reply: AssistantMessage, guard: RepeatGuard | None = None
) -> list[ToolResultMessage]:
    """Every call of ``reply`` in order; each answered, mistakes and repeats included."""
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
        refusal = guard.refusal(run, call) if guard is not None and chosen else None
        if refusal is not None:
            result = error_result(call, refusal)
        elif chosen is not None:
            result = await chosen(run, call)
        else:
            result = unknown_tool(call, role.tools)
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
