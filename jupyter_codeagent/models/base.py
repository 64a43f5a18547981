"""The ``ChatModel`` interface agents program against, and tool-call argument checks.

Agents receive a ``ChatModel`` and never build SDK clients: that keeps the provider
choice, retries and secrets in one place, and lets tests substitute a model.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from types import TracebackType
from typing import Any

from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from jupyter_codeagent.models.context_window import ContextWindow
from jupyter_codeagent.models.messages import (
    Message,
    ModelResponse,
    StreamEvent,
    ToolCall,
    ToolSpec,
)

_MAX_SCHEMA_ERRORS = 5
_MAX_ERROR_CHARS = 300


@dataclass(frozen=True, kw_only=True)
class ModelOptions:
    """Per-model limits and switches (settings for the lead to expose).

    - ``max_output_tokens``: ``max_tokens`` sent when a call gives none (Anthropic
      requires one and uses 4096 when this is None too).
    - ``max_tool_calls``: at most this many tool calls are kept from one reply; the
      rest go to ``ModelResponse.dropped_tool_calls`` (None: no cap).
    - ``context_window``: the model's window in tokens, overriding what the server or
      the model list says (None: ask them, see ``ChatModel.context_window``).
    - ``prompt_caching``: Anthropic ``cache_control`` breakpoints (``anthropic_cache``).
    """

    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    context_window: int | None = None
    prompt_caching: bool = True


class ChatModel(ABC):
    """One configured model of one provider.

    ``stream()`` yields ``TextDelta`` and ``ToolCallReady`` events as they arrive and
    ends with exactly one ``StreamFinished``. Consume it inside
    ``contextlib.aclosing(...)`` (or to the end) so that an abandoned stream closes its
    HTTP response at once; cancelling the consuming task does the same.
    """

    provider: str
    model: str

    @abstractmethod
    async def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ModelResponse:
        """One model turn, waited for as a whole."""

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """One model turn as events; the last one is ``StreamFinished``."""

    async def context_window(self) -> ContextWindow:
        """How many tokens one request may hold (asked once, then cached)."""
        return ContextWindow.unknown()

    async def aclose(self) -> None:
        """Release connections (the default model holds none)."""
        return None

    async def __aenter__(self) -> ChatModel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self.provider!r} model={self.model!r}>"


# --- tool-call arguments ------------------------------------------------------------


def parse_tool_arguments(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(arguments, None)`` if ``raw`` is a JSON object, else ``(None, reason)``.

    An empty string counts as ``{}``: several servers send it for tools without
    parameters.
    """
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw, strict=False)  # raw newlines in code strings are common
    except ValueError as exc:
        return None, f"the arguments are not valid JSON ({exc})"
    if not isinstance(value, dict):
        return None, f"the arguments must be a JSON object, not {_json_type(value)}"
    return value, None


def make_tool_call(call_id: str, name: str, raw_arguments: str) -> ToolCall:
    """A ``ToolCall`` from the model's raw argument text."""
    arguments, error = parse_tool_arguments(raw_arguments)
    return ToolCall(
        id=call_id, name=name, arguments=arguments, raw_arguments=raw_arguments, error=error
    )


def tool_call_from_value(call_id: str, name: str, value: object) -> ToolCall:
    """A ``ToolCall`` from arguments the SDK already decoded (Anthropic's ``input``)."""
    if isinstance(value, dict):
        return ToolCall(id=call_id, name=name, arguments=value, raw_arguments=json.dumps(value))
    raw = value if isinstance(value, str) else json.dumps(value)
    return make_tool_call(call_id, name, raw)


def cap_tool_calls(response: ModelResponse, limit: int | None) -> ModelResponse:
    """``response`` keeping at most ``limit`` tool calls; the rest become ``dropped_tool_calls``.

    A runaway small model may send dozens of identical calls in one reply; running the
    first few and telling the model the rest were dropped keeps the step bounded.
    """
    calls = response.message.tool_calls
    if limit is None or len(calls) <= limit:
        return response
    kept, dropped = calls[: max(0, limit)], calls[max(0, limit) :]
    return replace(
        response,
        message=replace(response.message, tool_calls=kept),
        dropped_tool_calls=response.dropped_tool_calls + dropped,
    )


def validate_tool_arguments(spec: ToolSpec, call: ToolCall) -> str | None:
    """None if ``call`` fits ``spec``; else a message to send back to the model.

    The message names the tool and every problem (up to a few), so the model can
    correct itself on its next step. An invalid *schema* is our bug and raises.
    """
    if call.error is not None or call.arguments is None:
        reason = call.error or "the arguments are missing"
        return (
            f"The call to `{call.name}` was not run: {reason}. Call `{call.name}` again "
            "with a single JSON object that matches its parameter schema."
        )
    validator = _validator(json.dumps(spec.parameters, sort_keys=True))
    errors = sorted(validator.iter_errors(call.arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    problems = [_describe(error.absolute_path, error.message) for error in errors]
    if len(problems) > _MAX_SCHEMA_ERRORS:
        problems = [
            *problems[:_MAX_SCHEMA_ERRORS],
            f"and {len(problems) - _MAX_SCHEMA_ERRORS} more",
        ]
    return (
        f"The call to `{call.name}` was not run: its arguments do not match the schema: "
        + "; ".join(problems)
        + f". Call `{call.name}` again with corrected arguments."
    )


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Validator:
    schema = json.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _describe(path: Sequence[Any], message: str) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if len(message) > _MAX_ERROR_CHARS:
        message = message[: _MAX_ERROR_CHARS - 1] + "…"
    return f"`{where}`: {message}" if where else message


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else type(value).__name__
