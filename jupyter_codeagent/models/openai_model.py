"""``ChatModel`` over the official ``openai`` SDK (Chat Completions with tools).

Chat Completions rather than the Responses API because every OpenAI-compatible
server (Ollama, vLLM, LM Studio, Azure OpenAI) speaks it; only the base URL changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
import openai

from jupyter_codeagent.errors import ModelError, ModelResponseError, ModelStreamInterrupted
from jupyter_codeagent.models.base import ModelOptions, make_tool_call, tool_call_from_value
from jupyter_codeagent.models.context_errors import is_context_length_error
from jupyter_codeagent.models.context_window import ContextWindow, probe_server
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
from jupyter_codeagent.models.retry import (
    PolicyBackoff,
    RetryPolicy,
    is_quota_error,
    observe_retries,
)
from jupyter_codeagent.models.sdk_model import ModelRequest, SdkChatModel, Transient
from jupyter_codeagent.settings import ModelSettings

log = logging.getLogger(__name__)

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers take any key, but the SDK refuses to start without one.
NO_KEY_PLACEHOLDER = "no-key"
_STOP_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


class _Client(PolicyBackoff, openai.AsyncOpenAI):
    """The SDK client, with its retry waits set by our ``RetryPolicy``."""


class OpenAIChatModel(SdkChatModel):
    """OpenAI or any OpenAI-compatible server, chosen by ``settings.openai_base_url``."""

    provider = "openai"
    key_variable = "OPENAI_API_KEY"
    url_variable = "OPENAI_BASE_URL"

    def __init__(
        self,
        *,
        settings: ModelSettings,
        model: str,
        retry: RetryPolicy | None = None,
        options: ModelOptions | None = None,
    ) -> None:
        base_url = settings.openai_base_url or OPENAI_DEFAULT_BASE_URL
        super().__init__(
            settings=settings, model=model, base_url=base_url, retry=retry, options=options
        )
        self._self_hosted = bool(settings.openai_base_url)
        self._api_key = settings.openai_api_key
        # Official OpenAI wants max_completion_tokens (reasoning models reject max_tokens);
        # compatible servers widely understand only max_tokens.
        self._max_tokens_param = "max_tokens" if self._self_hosted else "max_completion_tokens"
        hook = observe_retries(
            label=self.label, max_retries=self._retry.max_retries, clean=self._text
        )
        self._client = _Client(
            api_key=settings.openai_api_key or NO_KEY_PLACEHOLDER,
            base_url=base_url,
            timeout=httpx2.Timeout(
                settings.request_timeout, connect=min(10.0, settings.request_timeout)
            ),
            max_retries=self._retry.max_retries,
            http_client=openai.DefaultAsyncHttpxClient(event_hooks={"response": [hook]}),
        )
        self._client.retry_policy = self._retry

    async def aclose(self) -> None:
        await self._client.close()

    async def _discover_context_window(self) -> ContextWindow:
        if self._self_hosted:
            found = await probe_server(self.base_url, self.model, api_key=self._api_key)
            if found is not None:
                return found
        return await super()._discover_context_window()

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(request.messages),
        }
        if request.tools:
            params["tools"] = to_openai_tools(request.tools)
        if request.max_tokens is not None:
            params[self._max_tokens_param] = request.max_tokens
        if request.temperature is not None:
            params["temperature"] = request.temperature
        return params

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        completion = await self._client.chat.completions.create(**self._params(request))
        if not completion.choices:
            raise ModelResponseError(f"The {self.label} answered without any choice.")
        choice = completion.choices[0]
        message = choice.message
        calls = []
        for index, call in enumerate(message.tool_calls or ()):
            function = getattr(call, "function", None)
            if function is None:
                continue  # a non-function ("custom") tool call: we offer none
            call_id = call.id or f"call_{index}"
            calls.append(tool_call_from_value(call_id, function.name or "", function.arguments))
        return self._response(
            text=message.content or "",
            calls=calls,
            usage=completion.usage,
            model=completion.model,
            finish_reason=choice.finish_reason,
        )

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[StreamEvent, None]:
        # include_usage: the usage arrives in a last chunk; servers that ignore the option
        # send none, and the answer then counts zero tokens rather than failing.
        stream = await self._client.chat.completions.create(
            **self._params(request), stream=True, stream_options={"include_usage": True}
        )
        text: list[str] = []
        calls: dict[int, _PartialCall] = {}
        finish_reason: str | None = None
        usage: Any = None
        model = self.model
        watch = RepetitionWatch()
        cut = False
        try:
            async for chunk in stream:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(text=delta.content)
                    for position, part in enumerate(delta.tool_calls or ()):
                        index = part.index if part.index is not None else position
                        partial = calls.setdefault(index, _PartialCall())
                        partial.add(part.id, part.function)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                    elif watch.looping(_streamed(delta)):
                        log.warning("%s: the answer repeats itself; cut short", self.model)
                        finish_reason = "length"
                        cut = True
                if cut:
                    break  # closing the stream (below) stops the generation
        except Exception as exc:
            raise self._interrupted(exc) from None
        finally:
            await stream.close()
        if finish_reason is None:
            reason = "the stream ended before the model finished its answer"
            raise ModelStreamInterrupted(reason, reason=reason)
        ready = [partial.tool_call(index) for index, partial in sorted(calls.items())]
        for call in ready:
            yield ToolCallReady(tool_call=call)
        response = self._response(
            text="".join(text), calls=ready, usage=usage, model=model, finish_reason=finish_reason
        )
        yield StreamFinished(response=response)

    def _response(
        self,
        *,
        text: str,
        calls: Sequence[ToolCall],
        usage: Any,
        model: str | None,
        finish_reason: str | None,
    ) -> ModelResponse:
        name = model or self.model
        counted = usage_of(usage)
        cost = cost_for(name, counted, provider=self.provider, base_url=self.base_url)
        if cost is None and name != self.model:
            cost = cost_for(self.model, counted, provider=self.provider, base_url=self.base_url)
        reason = finish_reason or "end_turn"
        return ModelResponse(
            message=AssistantMessage(content=text, tool_calls=tuple(calls)),
            usage=replace(counted, cost_usd=cost),
            model=name,
            stop_reason=_STOP_REASONS.get(reason, reason),
        )

    def _classify(self, exc: Exception) -> ModelError | Transient | None:
        if isinstance(exc, openai.APIStatusError):
            body: Any = exc.body
            # LM Studio answers {"error": "<text>"}; the SDK hands over just the text.
            fields = body if isinstance(body, dict) else {"message": body} if body else {}
            message = str(fields.get("message") or exc.message)
            code = fields.get("code") or exc.code
            error_type = fields.get("type") or exc.type
            return self.status_failure(
                exc.status_code,
                message,
                code=code,
                error_type=error_type,
                quota=is_quota_error(code, error_type),
            )
        if isinstance(exc, openai.APITimeoutError):
            return self.connection_failure(exc, timed_out=True)
        if isinstance(exc, openai.APIConnectionError):
            return self.connection_failure(exc, timed_out=False)
        if isinstance(exc, openai.APIResponseValidationError):
            return ModelResponseError(f"The {self.label} sent an answer we cannot read.")
        if isinstance(exc, openai.APIError):
            # An error event inside a stream (the HTTP status was 200).
            body = exc.body if isinstance(exc.body, dict) else {}
            if is_context_length_error(exc.message, code=exc.code, error_type=body.get("type")):
                return self.status_failure(400, exc.message, code="context_length_exceeded")
            return Transient(f"error in the stream: {self._text(exc.message)}")
        if isinstance(exc, httpx2.TimeoutException):
            return self.connection_failure(exc, timed_out=True)
        if isinstance(exc, httpx2.TransportError):
            return self.connection_failure(exc, timed_out=False)
        if isinstance(exc, json.JSONDecodeError):
            return ModelResponseError(f"The {self.label} sent malformed JSON.")
        return None


def _streamed(delta: Any) -> str:
    """The new characters of a streamed delta: its text and tool-call arguments."""
    parts = [delta.content or ""]
    parts.extend(part.function.arguments or "" for part in delta.tool_calls or () if part.function)
    return "".join(parts)


def usage_of(usage: Any) -> Usage:
    """Our ``Usage`` from a Chat Completions ``usage`` object (None: nothing reported)."""
    details = getattr(usage, "prompt_tokens_details", None)
    return Usage(
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cache_read_tokens=int(getattr(details, "cached_tokens", 0) or 0),
    )


@dataclass
class _PartialCall:
    """A streamed tool call being assembled from its deltas."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def add(self, call_id: str | None, function: Any) -> None:
        if call_id and not self.id:
            self.id = call_id
        if function is None:
            return
        if function.name and not self.name:
            self.name = function.name
        if function.arguments:
            self.arguments.append(function.arguments)

    def tool_call(self, index: int) -> ToolCall:
        return make_tool_call(self.id or f"call_{index}", self.name, "".join(self.arguments))


# --- neutral messages -> Chat Completions ------------------------------------------


def to_openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The Chat Completions ``messages`` list for a neutral conversation.

    A tool message carries text only, so the images of tool results follow the run of
    tool messages they belong to in one user message, each group named by its call.
    """
    out: list[dict[str, Any]] = []
    waiting: list[ToolResultMessage] = []  # tool results whose images are still owed

    def flush() -> None:
        if waiting:
            parts: list[dict[str, Any]] = []
            for result in waiting:
                parts.append(
                    {
                        "type": "text",
                        "text": f"Images of the `{result.name}` result ({result.tool_call_id}):",
                    }
                )
                parts.extend(_image_part(image) for image in result.images)
            out.append({"role": "user", "content": parts})
            waiting.clear()

    for message in messages:
        if not isinstance(message, ToolResultMessage):
            flush()
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            if message.images:
                content: Any = [
                    {"type": "text", "text": message.content},
                    *(_image_part(image) for image in message.images),
                ]
            else:
                content = message.content
            out.append({"role": "user", "content": content})
        elif isinstance(message, AssistantMessage):
            item: dict[str, Any] = {"role": "assistant", "content": message.content or None}
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            # Malformed arguments are not replayed: some servers reject them.
                            "arguments": json.dumps(call.arguments or {}),
                        },
                    }
                    for call in message.tool_calls
                ]
            out.append(item)
        elif isinstance(message, ToolResultMessage):
            # Chat Completions has no error flag on tool results: say it in the text.
            text = f"[error] {message.content}" if message.is_error else message.content
            out.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": text})
            if message.images:
                waiting.append(message)
        else:
            raise TypeError(f"not a message: {message!r}")
    flush()
    return out


def _image_part(image: ImagePart) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": image.data_url()}}


def to_openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """The ``tools`` parameter (function tools) for tool specs."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
    ]
