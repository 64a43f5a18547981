"""Anthropic specifics: the Messages request shape (system, tool_use/tool_result,
max_tokens) and Anthropic's own answers (in-stream errors, overload, stop reasons)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from jupyter_codeagent.errors import ModelAuthError, ModelUnavailableError
from jupyter_codeagent.models import (
    AnthropicChatModel,
    AssistantMessage,
    RetryPolicy,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    TextDelta,
    ToolCallReady,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
    build_chat_model,
    make_tool_call,
)
from jupyter_codeagent.models.anthropic_model import DEFAULT_MAX_TOKENS
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply, FakeToolCall

EPHEMERAL = {"type": "ephemeral"}

FAST = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)
SPEC = ToolSpec(
    name="lookup_context",
    description="Search the knowledge index.",
    parameters={"type": "object", "properties": {"query": {"type": "string"}}},
)


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest_asyncio.fixture
async def model(server: FakeModelServer) -> AsyncIterator[AnthropicChatModel]:
    settings = ModelSettings(
        provider="anthropic",
        model="claude-haiku-4-5",
        anthropic_base_url=server.anthropic_base_url,
        anthropic_api_key="sk-ant-test-key",
    )
    chat = build_chat_model(settings, "reviewer", retry=FAST)
    assert isinstance(chat, AnthropicChatModel)
    yield chat
    await chat.aclose()


async def collect(model: AnthropicChatModel) -> list[StreamEvent]:
    async with contextlib.aclosing(model.stream([UserMessage(content="hi")])) as events:
        return [event async for event in events]


@pytest.mark.asyncio
async def test_request_body(model: AnthropicChatModel, server: FakeModelServer) -> None:
    conversation = [
        SystemMessage(content="You review code."),
        UserMessage(content="Check this."),
        AssistantMessage(
            content="Looking.",
            tool_calls=(
                make_tool_call("toolu_1", "lookup_context", '{"query": "pandas"}'),
                make_tool_call("toolu_2", "lookup_context", '{"query": "numpy"}'),
            ),
        ),
        ToolResultMessage(tool_call_id="toolu_1", name="lookup_context", content="A"),
        ToolResultMessage(tool_call_id="toolu_2", name="lookup_context", content="B"),
        SystemMessage(content="Be strict."),
    ]
    server.enqueue(FakeReply(text="ok"))
    await model.complete(conversation, [SPEC], temperature=0.0)
    body = server.requests[0].body
    # Prompt caching (on by default): the system parts are blocks with breakpoints.
    assert body["system"] == [
        {"type": "text", "text": "You review code.", "cache_control": EPHEMERAL},
        {"type": "text", "text": "Be strict.", "cache_control": EPHEMERAL},
    ]
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["temperature"] == 0.0
    assert body["tools"] == [
        {
            "name": "lookup_context",
            "description": "Search the knowledge index.",
            "input_schema": SPEC.parameters,
            "cache_control": EPHEMERAL,
        }
    ]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    results = body["messages"][2]["content"]
    assert [(r["type"], r["tool_use_id"]) for r in results] == [
        ("tool_result", "toolu_1"),
        ("tool_result", "toolu_2"),
    ]
    assert results[-1]["cache_control"] == EPHEMERAL  # the end of the growing exchange
    headers = server.requests[0].headers
    assert "anthropic-version" in headers
    assert "sk-ant-test-key" in (headers.get("x-api-key", "") + headers.get("authorization", ""))


@pytest.mark.asyncio
async def test_explicit_max_tokens(model: AnthropicChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="ok"))
    await model.complete([UserMessage(content="hi")], max_tokens=99)
    assert server.requests[0].body["max_tokens"] == 99
    assert "temperature" not in server.requests[0].body


@pytest.mark.asyncio
async def test_tool_call_is_ready_when_its_block_ends(
    model: AnthropicChatModel, server: FakeModelServer
) -> None:
    server.enqueue(
        FakeReply(
            text="Searching both.",
            tool_calls=[
                FakeToolCall("lookup_context", {"query": "a" * 50}),
                FakeToolCall("lookup_context", {"query": "b"}),
            ],
            args_chunk_chars=4,
        )
    )
    events = await collect(model)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TextDelta", "TextDelta", "ToolCallReady", "ToolCallReady", "StreamFinished"]
    first = events[2]
    assert isinstance(first, ToolCallReady) and first.tool_call.arguments == {"query": "a" * 50}


@pytest.mark.asyncio
async def test_overloaded_is_retried(model: AnthropicChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply.error(529), FakeReply(text="back"))
    assert (await model.complete([UserMessage(content="hi")])).message.content == "back"
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_overloaded_event_in_the_stream_before_output_is_retried(
    model: AnthropicChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="x y", status=529, stream_error_after=1), FakeReply(text="fine"))
    events = await collect(model)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "fine"


@pytest.mark.asyncio
async def test_overloaded_event_after_output(
    model: AnthropicChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="x y z", status=529, stream_error_after=4))
    with pytest.raises(ModelUnavailableError, match="overloaded_error"):
        await collect(model)


@pytest.mark.asyncio
async def test_auth_error_event_in_the_stream(
    model: AnthropicChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(status=401, stream_error_after=1))
    with pytest.raises(ModelAuthError, match="ANTHROPIC_API_KEY"):
        await collect(model)


@pytest.mark.asyncio
async def test_stop_reasons_pass_through(
    model: AnthropicChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="cut", stop_reason="max_tokens"))
    events = await collect(model)
    last = events[-1]
    assert isinstance(last, StreamFinished) and last.response.stop_reason == "max_tokens"


@pytest.mark.asyncio
async def test_empty_key_with_a_proxy(server: FakeModelServer) -> None:
    settings = ModelSettings(
        provider="anthropic", model="claude-haiku-4-5", anthropic_base_url=server.anthropic_base_url
    )
    server.enqueue(FakeReply(text="via proxy"))
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        assert (await chat.complete([UserMessage(content="hi")])).message.content == "via proxy"
