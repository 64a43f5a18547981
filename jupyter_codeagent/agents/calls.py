"""One model call of a role: step accounting, streamed deltas as events, usage recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from jupyter_codeagent.models import (
    AssistantMessage,
    Message,
    ModelResponse,
    StreamFinished,
    TextDelta,
    ToolSpec,
)

from .runtime import RunContext


async def call_model(
    ctx: RunContext,
    role: str,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    *,
    stream: bool = True,
) -> AssistantMessage:
    """Ask the role's model for the next message; deltas are emitted as they arrive."""
    ctx.take_step()
    model = ctx.models(role)
    response: ModelResponse | None = None
    if stream:
        # aclosing: any early exit closes the HTTP response at once, not at GC time.
        async with contextlib.aclosing(model.stream(messages, tools)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    if event.text:
                        ctx.emit("delta", {"agent": role, "text": event.text})
                elif isinstance(event, StreamFinished):
                    response = event.response
    else:
        response = await model.complete(messages, tools)
    if response is None:  # a provider bug: the stream ended without its final event
        return AssistantMessage(content="")
    record_usage(ctx, role, response)
    return response.message


def record_usage(ctx: RunContext, role: str, response: ModelResponse) -> None:
    usage = response.usage
    ctx.store.add_usage(
        ctx.session_id,
        role=role,
        model=response.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
    )
    totals = ctx.store.usage_totals(ctx.session_id)
    event = {"input_tokens": totals["input_tokens"], "output_tokens": totals["output_tokens"]}
    if totals.get("cost_usd") is not None:
        event["cost_usd"] = totals["cost_usd"]
    ctx.emit("usage", event)
