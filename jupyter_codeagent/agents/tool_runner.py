"""Execute a model's tool calls. The model's mistakes come back to it as tool results."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from jupyter_codeagent.models import AssistantMessage, ToolResultMessage, ToolSpec
from jupyter_codeagent.models.base import validate_tool_arguments

log = logging.getLogger(__name__)

ToolHandler = Callable[[dict[str, Any]], Awaitable[str]]


class ToolFailure(Exception):
    """A tool could not do what the model asked (unknown task, bad name...).

    Not a bug of ours: the message goes back to the model so it can correct itself.
    """


async def run_tool_calls(
    message: AssistantMessage,
    specs: Sequence[ToolSpec],
    handlers: Mapping[str, ToolHandler],
) -> list[ToolResultMessage]:
    """Run every tool call of ``message`` in order and return their results."""
    by_name = {spec.name: spec for spec in specs}
    results: list[ToolResultMessage] = []
    for call in message.tool_calls:
        spec = by_name.get(call.name)
        handler = handlers.get(call.name)
        if spec is None or handler is None:
            known = ", ".join(sorted(by_name))
            results.append(_error(call.id, call.name, f"Unknown tool '{call.name}'. Use: {known}."))
            continue
        problem = validate_tool_arguments(spec, call)
        if problem is not None:
            results.append(_error(call.id, call.name, problem))
            continue
        try:
            text = await handler(dict(call.arguments or {}))
        except ToolFailure as failure:
            results.append(_error(call.id, call.name, str(failure)))
            continue
        results.append(ToolResultMessage(tool_call_id=call.id, name=call.name, content=text))
    return results


def _error(call_id: str, name: str, text: str) -> ToolResultMessage:
    return ToolResultMessage(
        tool_call_id=call_id, name=name, content=f"Error: {text}", is_error=True
    )


def as_json(value: Any) -> str:
    """Compact JSON for tool results the model reads."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
