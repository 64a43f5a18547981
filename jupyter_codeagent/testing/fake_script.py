"""What the fake model server says and what it heard: replies, tool calls, recorded requests.

These are plain frozen dataclasses so a test can build its whole script up front and
compare what the server received with ``==``. ``FakeReply.from_dict`` reads the same
shape from JSON, for the command line (``--script replies.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["openai", "anthropic"]

_REPLY_KEYS = frozenset(
    {
        "text",
        "tool_calls",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "stream_usage",
        "stop_reason",
        "status",
        "error_message",
        "error_type",
        "error_code",
        "error_body",
        "retry_after",
        "context_length_exceeded",
        "stream_error_after",
        "delay",
        "chunk_delay",
        "drop_after",
        "args_chunk_chars",
        "model",
    }
)


@dataclass(frozen=True)
class FakeToolCall:
    """One function call in a reply.

    ``arguments`` given as a dict is JSON-encoded; given as a str it is sent verbatim,
    which is how a test feeds the client malformed JSON.
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        """The arguments exactly as they go on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True, kw_only=True)
class FakeReply:
    """One scripted answer, for whichever API the next request speaks.

    Success: ``text`` and/or ``tool_calls`` (several = parallel calls), optional
    token counts (defaults are rough estimates from the sizes) and ``stop_reason``
    (default: the provider's natural one, e.g. ``tool_calls`` / ``tool_use``).
    ``input_tokens`` is the whole prompt; ``cache_read_tokens``/``cache_write_tokens``
    say how much of it the provider's prompt cache served / stored (OpenAI
    ``prompt_tokens_details.cached_tokens``; Anthropic ``cache_read_input_tokens`` and
    ``cache_creation_input_tokens``, with ``input_tokens`` then only the rest).
    ``stream_usage=False`` acts like a server that ignores ``stream_options``.

    Failure: ``status`` >= 400 answers with an error body in the provider's real
    format (``error_message``/``error_type``, and OpenAI's ``error_code`` such as
    ``insufficient_quota``, override the defaults; ``retry_after`` sets the
    ``retry-after`` header); ``error_body`` is sent verbatim instead (another
    server's real error JSON); ``context_length_exceeded=True`` answers 400 in
    the provider's context-window shape. ``stream_error_after=N`` instead starts a
    streamed 200 answer and sends the error as an in-stream event after N chunks.

    Timing: ``delay`` seconds before answering, ``chunk_delay`` between stream chunks,
    ``drop_after=N`` closes the connection after N stream chunks (no clean end).
    """

    text: str = ""
    tool_calls: Sequence[FakeToolCall] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    stream_usage: bool = True
    stop_reason: str | None = None
    status: int = 200
    error_message: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    error_body: Any = None
    retry_after: float | None = None
    context_length_exceeded: bool = False
    stream_error_after: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop_after: int | None = None
    args_chunk_chars: int = 7
    model: str | None = None

    def __post_init__(self) -> None:
        # Accept lists for convenience but keep the dataclass immutable.
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.args_chunk_chars < 1:
            raise ValueError("args_chunk_chars must be at least 1")

    @property
    def is_error(self) -> bool:
        """Whether the reply is an HTTP error (not a streamed in-band error)."""
        return (self.status >= 400 or self.context_length_exceeded) and (
            self.stream_error_after is None
        )

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
        delay: float = 0.0,
    ) -> FakeReply:
        """An HTTP error reply (429, 500, 401, 400...) in the provider's format."""
        return cls(
            status=status,
            error_message=message,
            retry_after=retry_after,
            error_type=error_type,
            error_code=error_code,
            delay=delay,
        )

    @classmethod
    def error_json(cls, status: int, body: Any) -> FakeReply:
        """An HTTP error whose JSON body is ``body`` exactly (a server's real error)."""
        return cls(status=status, error_body=body)

    @classmethod
    def context_overflow(cls) -> FakeReply:
        """The provider's "prompt is longer than the context window" 400 answer."""
        return cls(status=400, context_length_exceeded=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FakeReply:
        """Build a reply from JSON data (the CLI's script format); unknown keys fail."""
        unknown = set(data) - _REPLY_KEYS
        if unknown:
            raise ValueError(f"unknown reply keys: {sorted(unknown)}")
        values = dict(data)
        calls = []
        for call in values.pop("tool_calls", ()):
            if not isinstance(call, Mapping) or "name" not in call:
                raise ValueError(f"a tool call needs at least a name: {call!r}")
            calls.append(
                FakeToolCall(
                    name=str(call["name"]),
                    arguments=call.get("arguments", {}),
                    id=call.get("id"),
                )
            )
        return cls(tool_calls=tuple(calls), **values)


def load_script(text: str) -> list[FakeReply]:
    """Parse a JSON script: a list of reply objects (or one object)."""
    data = json.loads(text)
    items = data if isinstance(data, list) else [data]
    return [FakeReply.from_dict(item) for item in items]


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    """One request as the server received it (header names lower-cased)."""

    api: Api
    method: str
    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    stream: bool

    @property
    def model(self) -> str | None:
        """The model the client asked for, if any."""
        value = self.body.get("model")
        return value if isinstance(value, str) else None

    @property
    def messages(self) -> list[Any]:
        """The ``messages`` list of the body (empty if absent)."""
        value = self.body.get("messages")
        return list(value) if isinstance(value, list) else []


def echo_responder(request: RecordedRequest) -> FakeReply:
    """Answer ``echo: <last user text>``: a responder for manual runs and smoke tests."""
    for message in reversed(request.messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                texts = [block.get("text", "") for block in content if isinstance(block, dict)]
                content = " ".join(text for text in texts if text)
            return FakeReply(text=f"echo: {content}")
    return FakeReply(text="echo: (no user message)")
