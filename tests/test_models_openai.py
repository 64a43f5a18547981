"""OpenAI specifics: what goes on the wire for Chat Completions and how OpenAI's
own answers (finish reasons, in-stream errors, quota) are read."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from jupyter_codeagent.errors import ModelUnavailableError
from jupyter_codeagent.models import (
    AssistantMessage,
    OpenAIChatModel,
    RetryPolicy,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    TextDelta,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
    build_chat_model,
    make_tool_call,
)
from jupyter_codeagent.models.sdk_model import ModelRequest
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply, FakeToolCall

FAST = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)
SPEC = ToolSpec(
    name="finish",
    description="End the task.",
    parameters={"type": "object", "properties": {"summary": {"type": "string"}}},
)


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest_asyncio.fixture
async def model(server: FakeModelServer) -> AsyncIterator[OpenAIChatModel]:
    settings = ModelSettings(
        provider="openai",
        model="gpt-4.1-mini",
        openai_base_url=server.openai_base_url,
        openai_api_key="sk-test-key",
    )
    chat = build_chat_model(settings, "coder", retry=FAST)
    assert isinstance(chat, OpenAIChatModel)
    yield chat
    await chat.aclose()


async def collect(model: OpenAIChatModel) -> list[StreamEvent]:
    async with contextlib.aclosing(model.stream([UserMessage(content="hi")])) as events:
        return [event async for event in events]


@pytest.mark.asyncio
async def test_request_body(model: OpenAIChatModel, server: FakeModelServer) -> None:
    conversation = [
        SystemMessage(content="sys"),
        UserMessage(content="go"),
        AssistantMessage(tool_calls=(make_tool_call("call_9", "finish", '{"summary": "s"}'),)),
        ToolResultMessage(tool_call_id="call_9", name="finish", content="done"),
    ]
    server.enqueue(FakeReply(text="ok"))
    await model.complete(conversation, [SPEC], max_tokens=123, temperature=0.2)
    body = server.requests[0].body
    assert body["model"] == "gpt-4.1-mini"
    assert body["max_tokens"] == 123 and "max_completion_tokens" not in body
    assert body["temperature"] == 0.2
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "finish",
                "description": "End the task.",
                "parameters": SPEC.parameters,
            },
        }
    ]
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["content"] is None
    assert body["messages"][2]["tool_calls"][0]["id"] == "call_9"
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_9", "content": "done"}
    assert server.requests[0].headers["authorization"] == "Bearer sk-test-key"


@pytest.mark.asyncio
async def test_stream_asks_for_usage(model: OpenAIChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="ok", input_tokens=7, output_tokens=1))
    events = await collect(model)
    body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    last = events[-1]
    assert isinstance(last, StreamFinished) and last.response.usage.input_tokens == 7


def test_official_api_uses_max_completion_tokens() -> None:
    settings = ModelSettings(provider="openai", model="o4-mini", openai_api_key="k")
    chat = OpenAIChatModel(settings=settings, model="o4-mini")
    request = ModelRequest(messages=(), tools=(), max_tokens=50, temperature=None)
    params = chat._params(request)
    assert params["max_completion_tokens"] == 50 and "max_tokens" not in params
    assert chat.base_url == "https://api.openai.com/v1"


@pytest.mark.asyncio
async def test_empty_key_sends_a_placeholder(server: FakeModelServer) -> None:
    settings = ModelSettings(
        provider="openai", model="llama3.1", openai_base_url=server.openai_base_url
    )
    server.enqueue(FakeReply(text="hello from ollama"))
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        assert (await chat.complete([UserMessage(content="hi")])).message.content
    assert server.requests[0].headers["authorization"] == "Bearer no-key"


@pytest.mark.parametrize(
    ("finish", "expected"),
    [("length", "max_tokens"), ("content_filter", "refusal"), ("weird", "weird")],
)
@pytest.mark.asyncio
async def test_finish_reasons_are_normalised(
    model: OpenAIChatModel, server: FakeModelServer, finish: str, expected: str
) -> None:
    server.enqueue(FakeReply(text="cut", stop_reason=finish))
    assert (await model.complete([UserMessage(content="hi")])).stop_reason == expected


@pytest.mark.asyncio
async def test_error_inside_the_stream_is_retried_before_output(
    model: OpenAIChatModel, server: FakeModelServer
) -> None:
    server.enqueue(
        FakeReply(text="a b", status=500, stream_error_after=1), FakeReply(text="second try")
    )
    events = await collect(model)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "second try"


@pytest.mark.asyncio
async def test_error_inside_the_stream_after_output(
    model: OpenAIChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="a b c d", status=500, stream_error_after=3))
    with pytest.raises(ModelUnavailableError, match="broke off"):
        await collect(model)


@pytest.mark.asyncio
async def test_exhausted_quota_is_not_retried(
    model: OpenAIChatModel, server: FakeModelServer
) -> None:
    server.enqueue(
        FakeReply.error(429, "You exceeded your current quota.", error_code="insufficient_quota"),
        FakeReply(text="never"),
    )
    with pytest.raises(ModelUnavailableError, match="quota is used up") as info:
        await model.complete([UserMessage(content="hi")])
    assert "gave up" not in info.value.message
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_tool_call_deltas_split_across_chunks(
    model: OpenAIChatModel, server: FakeModelServer
) -> None:
    arguments = {"summary": "a fairly long summary " * 5}
    server.enqueue(FakeReply(tool_calls=[FakeToolCall("finish", arguments)], args_chunk_chars=3))
    events = await collect(model)
    last = events[-1]
    assert isinstance(last, StreamFinished)
    assert last.response.message.tool_calls[0].arguments == arguments
