"""Render a ``FakeReply`` as the bytes OpenAI or Anthropic would send.

The shapes follow the providers' public API references: Chat Completions objects
and chunks (with ``stream_options.include_usage``), Anthropic Messages objects and
the ``message_start`` ... ``message_stop`` event sequence, and each provider's error
body. Text is streamed a word at a time and tool-call arguments in small slices, so
the client's delta assembly is exercised like against the real services.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall, RecordedRequest

_OPENAI_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_DEFAULT_MESSAGES = {
    400: "Invalid request.",
    401: "Invalid authentication credentials.",
    403: "Permission denied.",
    404: "The model does not exist or you do not have access to it.",
    429: "Rate limit reached. Please try again later.",
    500: "The server had an error while processing your request.",
    503: "The engine is currently overloaded, please try again later.",
    529: "Overloaded",
}
_WORD = re.compile(r"\s*\S+|\s+$")


@dataclass
class WireResponse:
    """An answer ready to write: a JSON body, or SSE events to stream one by one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: list[bytes] | None = None
    # Streaming only: after this many events, stop (an in-band error or a dropped stream).
    stop_after: int | None = None


def split_text(text: str) -> list[str]:
    """Word-sized pieces (each with its leading whitespace) that join back to ``text``."""
    return _WORD.findall(text)


def split_every(text: str, size: int) -> list[str]:
    """Fixed-size slices of ``text`` (empty list for an empty string)."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def estimate_tokens(value: object) -> int:
    """A rough token count (4 characters a token), never zero."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return max(1, len(text) // 4)


def _usage(request: RecordedRequest, reply: FakeReply) -> tuple[int, int]:
    """``(input, output)`` tokens; input is the whole prompt, cached parts included."""
    input_tokens = reply.input_tokens
    if input_tokens is None:
        prompt = [
            request.body.get("system"),
            request.body.get("messages"),
            request.body.get("tools"),
        ]
        input_tokens = estimate_tokens(prompt)
    output_tokens = reply.output_tokens
    if output_tokens is None:
        args = "".join(call.arguments_json for call in reply.tool_calls)
        output_tokens = estimate_tokens(reply.text + args)
    return input_tokens, output_tokens


def _json(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _error_headers(reply: FakeReply) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if reply.retry_after is not None:
        headers["retry-after"] = f"{reply.retry_after:g}"
    return headers


# --- OpenAI Chat Completions ------------------------------------------------------


def openai_error_body(reply: FakeReply) -> dict[str, Any]:
    """``{"error": {message, type, param, code}}`` as OpenAI sends it."""
    if reply.context_length_exceeded:
        return {
            "error": {
                "message": reply.error_message
                or "This model's maximum context length is 128000 tokens. However, your "
                "messages resulted in 130412 tokens. Please reduce the length of the messages.",
                "type": reply.error_type or "invalid_request_error",
                "param": "messages",
                "code": reply.error_code or "context_length_exceeded",
            }
        }
    status = reply.status if reply.status >= 400 else 500
    default_type, code = _OPENAI_ERROR_TYPES.get(status, ("server_error", None))
    return {
        "error": {
            "message": reply.error_message or _DEFAULT_MESSAGES.get(status, f"Error {status}."),
            "type": reply.error_type or default_type,
            "param": None,
            "code": reply.error_code or code,
        }
    }


def _openai_tool_call(call: FakeToolCall, call_id: str) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def render_openai(request: RecordedRequest, reply: FakeReply, serial: int) -> WireResponse:
    """The HTTP answer to ``POST /v1/chat/completions``."""
    if reply.is_error:
        status = 400 if reply.context_length_exceeded else reply.status
        body = openai_error_body(reply) if reply.error_body is None else reply.error_body
        return WireResponse(status, _error_headers(reply), _json(body))
    model = reply.model or request.model or "fake-model"
    completion_id = f"chatcmpl-fake{serial}"
    call_ids = [call.id or f"call_fake{serial}_{i}" for i, call in enumerate(reply.tool_calls)]
    finish = reply.stop_reason or ("tool_calls" if reply.tool_calls else "stop")
    prompt_tokens, completion_tokens = _usage(request, reply)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0},
    }
    created = int(time.time())
    if not request.stream:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text if reply.text or not reply.tool_calls else None,
            "refusal": None,
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                _openai_tool_call(call, cid)
                for call, cid in zip(reply.tool_calls, call_ids, strict=True)
            ]
        body = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": usage,
        }
        return WireResponse(200, {"content-type": "application/json"}, _json(body))

    options = request.body.get("stream_options")
    include_usage = (
        reply.stream_usage and isinstance(options, Mapping) and bool(options.get("include_usage"))
    )
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            **base,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if include_usage:
            data["usage"] = None
        return data

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"content": piece}) for piece in split_text(reply.text)]
    for index, (call, call_id) in enumerate(zip(reply.tool_calls, call_ids, strict=True)):
        head = {"index": index, "id": call_id, "type": "function"}
        chunks.append(
            chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
        )
        for piece in split_every(call.arguments_json, reply.args_chunk_chars):
            chunks.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    chunks.append(chunk({}, finish))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": usage})
    events = [b"data: " + _json(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
    return _finish_stream(
        events, reply, lambda: b"data: " + _json(openai_error_body(reply)) + b"\n\n"
    )


# --- Anthropic Messages -------------------------------------------------------------


def anthropic_error_body(reply: FakeReply) -> dict[str, Any]:
    """``{"type": "error", "error": {type, message}, "request_id"}`` as Anthropic sends it."""
    if reply.context_length_exceeded:
        error_type = reply.error_type or "invalid_request_error"
        message = reply.error_message or "prompt is too long: 212417 tokens > 200000 maximum"
    else:
        status = reply.status if reply.status >= 400 else 529
        error_type = reply.error_type or _ANTHROPIC_ERROR_TYPES.get(status, "api_error")
        message = reply.error_message or _DEFAULT_MESSAGES.get(status, f"Error {status}.")
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": "req_fake",
    }


def _anthropic_input(call: FakeToolCall) -> object:
    # A JSON body cannot carry malformed JSON: a non-JSON string is sent as a string.
    if not isinstance(call.arguments, str):
        return call.arguments
    try:
        return json.loads(call.arguments)
    except ValueError:
        return call.arguments


def render_anthropic(request: RecordedRequest, reply: FakeReply, serial: int) -> WireResponse:
    """The HTTP answer to ``POST /v1/messages``."""
    if reply.is_error:
        status = 400 if reply.context_length_exceeded else reply.status
        body = anthropic_error_body(reply) if reply.error_body is None else reply.error_body
        return WireResponse(status, _error_headers(reply), _json(body))
    model = reply.model or request.model or "fake-model"
    message_id = f"msg_fake{serial}"
    call_ids = [call.id or f"toolu_fake{serial}_{i}" for i, call in enumerate(reply.tool_calls)]
    stop_reason = reply.stop_reason or ("tool_use" if reply.tool_calls else "end_turn")
    input_tokens, output_tokens = _usage(request, reply)
    cached = reply.cache_read_tokens + reply.cache_write_tokens
    usage = {
        # Anthropic counts the cached parts apart: input_tokens is only the rest.
        "input_tokens": max(0, input_tokens - cached),
        "cache_creation_input_tokens": reply.cache_write_tokens,
        "cache_read_input_tokens": reply.cache_read_tokens,
    }
    with_text = bool(reply.text) or not reply.tool_calls
    if not request.stream:
        content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if with_text else []
        content += [
            {"type": "tool_use", "id": cid, "name": call.name, "input": _anthropic_input(call)}
            for call, cid in zip(reply.tool_calls, call_ids, strict=True)
        ]
        body = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": output_tokens},
        }
        return WireResponse(200, {"content-type": "application/json"}, _json(body))

    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": 1},
                },
            },
        )
    ]
    index = 0
    if with_text:
        events.append(_block_start(index, {"type": "text", "text": ""}))
        events.append(("ping", {"type": "ping"}))
        for piece in split_text(reply.text):
            events.append(_block_delta(index, {"type": "text_delta", "text": piece}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    for call, call_id in zip(reply.tool_calls, call_ids, strict=True):
        block = {"type": "tool_use", "id": call_id, "name": call.name, "input": {}}
        events.append(_block_start(index, block))
        events.append(_block_delta(index, {"type": "input_json_delta", "partial_json": ""}))
        for piece in split_every(call.arguments_json, reply.args_chunk_chars):
            events.append(_block_delta(index, {"type": "input_json_delta", "partial_json": piece}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    encoded = [_sse(name, data) for name, data in events]
    return _finish_stream(encoded, reply, lambda: _sse("error", anthropic_error_body(reply)))


def _block_start(index: int, block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    data = {"type": "content_block_start", "index": index, "content_block": block}
    return "content_block_start", data


def _block_delta(index: int, delta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}


def _sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + _json(data) + b"\n\n"


def _finish_stream(events: list[bytes], reply: FakeReply, error_event: Any) -> WireResponse:
    headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
    if reply.stream_error_after is not None:
        cut = reply.stream_error_after
        return WireResponse(200, headers, events=[*events[:cut], error_event()], stop_after=None)
    return WireResponse(200, headers, events=events, stop_after=reply.drop_after)


# --- model lists ----------------------------------------------------------------------


def render_models(api: str, models: Sequence[str]) -> WireResponse:
    """The answer to ``GET /v1/models`` in the asking SDK's format."""
    body: dict[str, Any]
    if api == "anthropic":
        body = {
            "data": [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in models
            ],
            "has_more": False,
            "first_id": models[0] if models else None,
            "last_id": models[-1] if models else None,
        }
    else:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in models]
        body = {"object": "list", "data": data}
    return WireResponse(200, {"content-type": "application/json"}, _json(body))
