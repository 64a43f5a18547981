"""``ChatModel`` over the official ``anthropic`` SDK (Messages with tool use).

Streams are read as raw events (``create(stream=True)``) rather than through the
SDK's ``messages.stream()`` helper: the helper parses partial tool JSON on every
delta, which costs time and raises on the malformed arguments we must hand back to
the model as data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import anthropic
import httpx2

from jupyter_codeagent.errors import ModelError, ModelResponseError, ModelStreamInterrupted
from jupyter_codeagent.models.anthropic_cache import add_cache_breakpoints, system_blocks
from jupyter_codeagent.models.base import ModelOptions, make_tool_call, tool_call_from_value
from jupyter_codeagent.models.messages import (
    AssistantMessage,
    ImagePart,
    Message,
    ModelResponse,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from jupyter_codeagent.models.pricing import cost_for
from jupyter_codeagent.models.repetition import RepetitionWatch
from jupyter_codeagent.models.retry import PolicyBackoff, RetryPolicy, observe_retries
from jupyter_codeagent.models.sdk_model import ModelRequest, SdkChatModel, Transient
from jupyter_codeagent.settings import ModelSettings

log = logging.getLogger(__name__)

ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com"
#: Anthropic requires ``max_tokens``; this is used when the caller gives none.
DEFAULT_MAX_TOKENS = 4096
# A proxy at a custom base URL may need no key, but the SDK wants some credential.
NO_KEY_PLACEHOLDER = "no-key"
_TRANSIENT_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


class _Client(PolicyBackoff, anthropic.AsyncAnthropic):
    """The SDK client, with its retry waits set by our ``RetryPolicy``."""


class AnthropicChatModel(SdkChatModel):
    """Claude through the Messages API (or a compatible proxy at a custom base URL)."""

    provider = "anthropic"
    key_variable = "ANTHROPIC_API_KEY"
    url_variable = "ANTHROPIC_BASE_URL"

    def __init__(
        self,
        *,
        settings: ModelSettings,
        model: str,
        retry: RetryPolicy | None = None,
        options: ModelOptions | None = None,
    ) -> None:
        base_url = settings.anthropic_base_url or ANTHROPIC_DEFAULT_BASE_URL
        super().__init__(
            settings=settings, model=model, base_url=base_url, retry=retry, options=options
        )
        hook = observe_retries(
            label=self.label, max_retries=self._retry.max_retries, clean=self._text
        )
        self._client = _Client(
            api_key=settings.anthropic_api_key or NO_KEY_PLACEHOLDER,
            base_url=base_url,
            timeout=httpx2.Timeout(
                settings.request_timeout, connect=min(10.0, settings.request_timeout)
            ),
            max_retries=self._retry.max_retries,
            http_client=anthropic.DefaultAsyncHttpxClient(event_hooks={"response": [hook]}),
        )
        self._client.retry_policy = self._retry

    async def aclose(self) -> None:
        await self._client.close()

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        parts, messages = split_system(request.messages)
        tools = to_anthropic_tools(request.tools)
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        }
        if self.options.prompt_caching:
            tools, system, messages = add_cache_breakpoints(tools, system_blocks(parts), messages)
            if system:
                params["system"] = system
        elif parts:
            params["system"] = "\n\n".join(parts)
        params["messages"] = messages
        if tools:
            params["tools"] = tools
        if request.temperature is not None:
            # This SDK version no longer lists ``temperature``; the API still takes it.
            params["extra_body"] = {"temperature": request.temperature}
        return params

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        message = await self._client.messages.create(**self._params(request))
        text: list[str] = []
        calls: list[ToolCall] = []
        for block in message.content:
            if block.type == "text":
                text.append(block.text)
            elif block.type == "tool_use":
                calls.append(tool_call_from_value(block.id, block.name, block.input))
        return self._response(
            text="".join(text),
            calls=calls,
            usage=usage_of(message.usage),
            model=message.model,
            stop_reason=message.stop_reason,
        )

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[StreamEvent, None]:
        stream = await self._client.messages.create(**self._params(request), stream=True)
        text: list[str] = []
        calls: list[ToolCall] = []
        blocks: dict[int, _PartialCall] = {}
        usage = Usage()
        model: str | None = None
        stop_reason: str | None = None
        finished = cut = False
        watch = RepetitionWatch()
        try:
            async for event in stream:
                kind = event.type
                if kind == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta":
                        text.append(delta.text)
                        yield TextDelta(text=delta.text)
                        piece = delta.text
                    elif delta.type == "input_json_delta" and event.index in blocks:
                        blocks[event.index].arguments.append(delta.partial_json)
                        piece = delta.partial_json
                    else:
                        piece = ""
                    if watch.looping(piece):
                        log.warning("%s: the answer repeats itself; cut short", self.model)
                        cut = True
                        break  # closing the stream (below) stops the generation
                elif kind == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        blocks[event.index] = _PartialCall(block.id, block.name, block.input)
                    elif block.type == "text" and block.text:
                        text.append(block.text)
                        yield TextDelta(text=block.text)
                elif kind == "content_block_stop":
                    partial = blocks.pop(event.index, None)
                    if partial is not None:
                        call = partial.tool_call()
                        calls.append(call)
                        yield ToolCallReady(tool_call=call)
                elif kind == "message_start":
                    model = event.message.model
                    usage = usage_of(event.message.usage)
                elif kind == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    usage = usage_of(event.usage, usage)
                elif kind == "message_stop":
                    finished = True
        except Exception as exc:
            raise self._interrupted(exc) from None
        finally:
            await stream.close()
        if cut:  # what streamed so far is the answer, as if cut at its token limit
            for index in sorted(blocks):
                call = blocks.pop(index).tool_call()
                calls.append(call)
                yield ToolCallReady(tool_call=call)
            usage = _with_streamed_output(usage, text, calls)
            stop_reason, finished = "max_tokens", True
        if not finished:
            reason = "the stream ended before the model finished its answer"
            raise ModelStreamInterrupted(reason, reason=reason)
        yield StreamFinished(
            response=self._response(
                text="".join(text), calls=calls, usage=usage, model=model, stop_reason=stop_reason
            )
        )

    def _response(
        self,
        *,
        text: str,
        calls: Sequence[ToolCall],
        usage: Usage,
        model: str | None,
        stop_reason: str | None,
    ) -> ModelResponse:
        name = model or self.model
        cost = cost_for(name, usage, provider=self.provider, base_url=self.base_url)
        if cost is None and name != self.model:
            cost = cost_for(self.model, usage, provider=self.provider, base_url=self.base_url)
        return ModelResponse(
            message=AssistantMessage(content=text, tool_calls=tuple(calls)),
            usage=replace(usage, cost_usd=cost),
            model=name,
            stop_reason=stop_reason or "end_turn",
        )

    def _classify(self, exc: Exception) -> ModelError | Transient | None:
        if isinstance(exc, anthropic.APIStatusError):
            error_type = str(getattr(exc, "type", None) or _body_field(exc.body, "type") or "")
            message = str(_body_field(exc.body, "message") or exc.message)
            status = exc.status_code
            if status < 400:
                # An ``error`` event inside a 200 stream: its type says what happened.
                if error_type in _TRANSIENT_TYPES:
                    return Transient(f"{error_type} in the stream: {self._text(message)}")
                status = {"authentication_error": 401, "permission_error": 403}.get(error_type, 400)
            return self.status_failure(status, message, error_type=error_type)
        if isinstance(exc, anthropic.APITimeoutError):
            return self.connection_failure(exc, timed_out=True)
        if isinstance(exc, anthropic.APIConnectionError):
            return self.connection_failure(exc, timed_out=False)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return ModelResponseError(f"The {self.label} sent an answer we cannot read.")
        # The SDK's stream reader lets transport errors through unwrapped.
        if isinstance(exc, httpx2.TimeoutException):
            return self.connection_failure(exc, timed_out=True)
        if isinstance(exc, httpx2.TransportError):
            return self.connection_failure(exc, timed_out=False)
        if isinstance(exc, json.JSONDecodeError):
            return ModelResponseError(f"The {self.label} sent malformed JSON.")
        return None


@dataclass
class _PartialCall:
    """A streamed ``tool_use`` block being assembled from ``input_json_delta`` events."""

    id: str
    name: str
    initial: object = None
    arguments: list[str] = field(default_factory=list)

    def tool_call(self) -> ToolCall:
        raw = "".join(self.arguments)
        if not raw and self.initial:
            return tool_call_from_value(self.id, self.name, self.initial)  # sent whole at start
        return make_tool_call(self.id, self.name, raw)


def _with_streamed_output(usage: Usage, text: Sequence[str], calls: Sequence[ToolCall]) -> Usage:
    """A cut stream never gets its final usage: count what streamed, 4 characters a token."""
    streamed = sum(map(len, text)) + sum(len(call.raw_arguments) for call in calls)
    return replace(usage, output_tokens=max(usage.output_tokens, streamed // 4))


def usage_of(usage: Any, before: Usage | None = None) -> Usage:
    """Our ``Usage`` from a Messages ``usage`` object.

    Anthropic's ``input_tokens`` counts only the prompt after the last cache
    breakpoint; the whole prompt is that plus the cache reads and writes. A
    ``message_delta`` repeats only what changed, so missing fields keep ``before``.
    """
    before = before or Usage()

    def field_or(name: str, default: int) -> int:
        value = getattr(usage, name, None)
        return default if value is None else int(value)

    read = field_or("cache_read_input_tokens", before.cache_read_tokens)
    write = field_or("cache_creation_input_tokens", before.cache_write_tokens)
    fresh = field_or(
        "input_tokens", before.input_tokens - before.cache_read_tokens - before.cache_write_tokens
    )
    return Usage(
        input_tokens=fresh + read + write,
        output_tokens=field_or("output_tokens", before.output_tokens),
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def _body_field(body: object, name: str) -> object:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get(name)
    return None


# --- neutral messages -> Messages API ------------------------------------------------


def to_anthropic_messages(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """``(system, messages)`` for the Messages API (see ``split_system``)."""
    parts, out = split_system(messages)
    return "\n\n".join(parts), out


def split_system(messages: Sequence[Message]) -> tuple[list[str], list[dict[str, Any]]]:
    """``(system parts, messages)`` for the Messages API.

    System messages go to the ``system`` parameter, one part each (the cache
    breakpoints need to tell the static role prompt from the session context); tool
    calls become ``tool_use`` blocks; tool results become ``tool_result`` blocks of a
    user turn. Consecutive turns of one role merge into one message (several tool
    results answer one assistant turn together, as the API expects).
    """
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for message in messages:
        if isinstance(message, SystemMessage):
            system.append(message.content)
        elif isinstance(message, UserMessage):
            # The API rejects empty text blocks.
            add(
                "user",
                [
                    {"type": "text", "text": message.content or "(empty)"},
                    *(_image_block(image) for image in message.images),
                ],
            )
        elif isinstance(message, AssistantMessage):
            blocks: list[dict[str, Any]] = []
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments or {}}
                for c in message.tool_calls
            ]
            if blocks:
                add("assistant", blocks)
        elif isinstance(message, ToolResultMessage):
            content: Any = message.content
            if message.images:  # a tool result may hold image blocks beside its text
                content = [{"type": "text", "text": message.content or "(no text)"}]
                content += [_image_block(image) for image in message.images]
            result: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": content,
            }
            if message.is_error:
                result["is_error"] = True
            add("user", [result])
        else:
            raise TypeError(f"not a message: {message!r}")
    return system, out


def _image_block(image: ImagePart) -> dict[str, Any]:
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": image.mime, "data": image.data},
    }


def to_anthropic_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """The ``tools`` parameter for tool specs."""
    return [
        {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
        for tool in tools
    ]
