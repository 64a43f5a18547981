"""The neutral conversation format every agent speaks, whatever the provider.

Agents build lists of these messages and hand them to a ``ChatModel``; each provider
module maps them to its SDK's wire format and maps the answer back. Keeping one
format means the memory tiers, the session store and the tests never see SDK types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class SystemMessage:
    """Instructions for the model (OpenAI: a system message; Anthropic: ``system``)."""

    content: str


@dataclass(frozen=True, kw_only=True)
class ImagePart:
    """An image shown to the model (a chart a cell drew): base64 ``data`` of type ``mime``.

    ``width`` and ``height`` (pixels, 0 when unknown) size its token estimate.
    """

    mime: str
    data: str = field(repr=False)
    width: int = 0
    height: int = 0

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.data}"


@dataclass(frozen=True, kw_only=True)
class UserMessage:
    """What the user (or the agents' harness) says; ``images`` go along for a model that
    sees images (text-only callers never set them)."""

    content: str
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """One function call the model asked for.

    ``raw_arguments`` is what the model sent. ``arguments`` is its parsed JSON object,
    or None when it was not one, in which case ``error`` says why: model output is
    data, and a bad call goes back to the model as an error result instead of
    crashing the run.
    """

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssistantMessage:
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ToolResultMessage:
    """The outcome of one ``ToolCall``, answered by ``tool_call_id``."""

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    #: Images of the result (a cell's charts), for a model that sees images.
    images: tuple[ImagePart, ...] = ()


Message = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A function offered to the model; ``parameters`` is the JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Tokens spent by one or more calls, and their price when the model's is known.

    ``input_tokens`` counts the whole prompt. Of it, ``cache_read_tokens`` were served
    from the provider's prompt cache (OpenAI ``prompt_tokens_details.cached_tokens``,
    Anthropic ``cache_read_input_tokens``) and ``cache_write_tokens`` were written to
    it (Anthropic ``cache_creation_input_tokens``); both are priced differently.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        # An unknown price counts as zero once the other side is priced: a session
        # mixing a priced and an unpriced model still shows what it knows.
        if self.cost_usd is None and other.cost_usd is None:
            cost = None
        else:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=cost,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, kw_only=True)
class ModelResponse:
    """A finished model turn.

    ``stop_reason`` is normalised to ``end_turn``, ``tool_use``, ``max_tokens`` or
    ``refusal`` when the provider's reason maps to one, else kept as sent.
    ``dropped_tool_calls`` are the calls beyond the model's ``max_tool_calls`` cap: they
    are not in ``message`` (so no result is owed for them), and the agent loop can tell
    the model they were not run.
    """

    message: AssistantMessage
    usage: Usage
    model: str
    stop_reason: str
    dropped_tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TextDelta:
    """A piece of the assistant's text, as it arrives."""

    text: str


@dataclass(frozen=True, kw_only=True)
class ToolCallReady:
    """A tool call whose arguments are complete (parsed, or with ``error`` set)."""

    tool_call: ToolCall


@dataclass(frozen=True, kw_only=True)
class StreamFinished:
    """The last event of a stream: the whole turn, as ``complete()`` would return it."""

    response: ModelResponse


StreamEvent = TextDelta | ToolCallReady | StreamFinished
