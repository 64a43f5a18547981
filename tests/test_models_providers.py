"""The ChatModel contract, for both providers, through the real SDKs against the fake
model server: replies, streaming, tool calls, usage, retries, cancellation, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from jupyter_codeagent.errors import (
    ModelAuthError,
    ModelContextLengthError,
    ModelError,
    ModelUnavailableError,
)
from jupyter_codeagent.models import (
    ChatModel,
    ModelResponse,
    RetryPolicy,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    TextDelta,
    ToolCallReady,
    ToolSpec,
    UserMessage,
    build_chat_model,
    validate_tool_arguments,
)
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply, FakeToolCall

FAST = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)
SECRET = "sk-test-SECRET-0123456789abcdefXYZ"
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
PROMPT = [SystemMessage(content="Be brief."), UserMessage(content="Hello?")]
SPEC = ToolSpec(
    name="inspect_variable",
    description="Describe a variable.",
    parameters={
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    },
)


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def settings_for(provider: str, server: FakeModelServer, **changes: Any) -> ModelSettings:
    values: dict[str, Any] = {
        "provider": provider,
        "model": MODELS[provider],
        "openai_base_url": server.openai_base_url,
        "anthropic_base_url": server.anthropic_base_url,
        "openai_api_key": SECRET,
        "anthropic_api_key": SECRET,
        "request_timeout": 5.0,
    }
    values.update(changes)
    return ModelSettings(**values)


@pytest_asyncio.fixture
async def model(provider: str, server: FakeModelServer) -> AsyncIterator[ChatModel]:
    chat = build_chat_model(settings_for(provider, server), "coder", retry=FAST)
    yield chat
    await chat.aclose()


async def collect(model: ChatModel, **kwargs: Any) -> list[StreamEvent]:
    async with contextlib.aclosing(model.stream(PROMPT, **kwargs)) as events:
        return [event async for event in events]


def finished(events: list[StreamEvent]) -> ModelResponse:
    last = events[-1]
    assert isinstance(last, StreamFinished)
    assert sum(isinstance(e, StreamFinished) for e in events) == 1
    return last.response


# --- replies ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_plain_reply(model: ChatModel, server: FakeModelServer, provider: str) -> None:
    server.enqueue(FakeReply(text="Hi there.", input_tokens=10, output_tokens=3))
    response = await model.complete(PROMPT)
    assert response.message.content == "Hi there."
    assert response.message.tool_calls == ()
    assert response.stop_reason == "end_turn"
    assert response.model == MODELS[provider]
    (request,) = server.requests
    assert request.api == provider and request.stream is False
    assert request.model == MODELS[provider]


@pytest.mark.asyncio
async def test_streamed_reply(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="One two three four five."))
    events = await collect(model)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 5 and "".join(deltas) == "One two three four five."
    response = finished(events)
    assert response.message.content == "One two three four five."
    assert response.stop_reason == "end_turn"
    assert server.requests[0].stream is True


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_single_tool_call(model: ChatModel, server: FakeModelServer, streamed: bool) -> None:
    server.enqueue(FakeReply(tool_calls=[FakeToolCall("inspect_variable", {"name": "df"})]))
    if streamed:
        events = await collect(model, tools=[SPEC])
        ready = [e.tool_call for e in events if isinstance(e, ToolCallReady)]
        response = finished(events)
        assert list(response.message.tool_calls) == ready
    else:
        response = await model.complete(PROMPT, [SPEC])
    (call,) = response.message.tool_calls
    assert (call.name, call.arguments, call.error) == ("inspect_variable", {"name": "df"}, None)
    assert call.id
    assert response.stop_reason == "tool_use"
    assert validate_tool_arguments(SPEC, call) is None


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_parallel_tool_calls(
    model: ChatModel, server: FakeModelServer, streamed: bool
) -> None:
    arguments = [{"name": "df"}, {"name": "model", "detail": {"deep": [1, 2, 3], "s": "x" * 40}}]
    calls = [FakeToolCall("inspect_variable", args) for args in arguments]
    server.enqueue(FakeReply(text="Let me look.", tool_calls=[*calls, FakeToolCall("finish")]))
    if streamed:
        events = await collect(model, tools=[SPEC])
        response = finished(events)
        kinds = [type(e).__name__ for e in events if not isinstance(e, TextDelta)]
        assert kinds == ["ToolCallReady"] * 3 + ["StreamFinished"]
    else:
        response = await model.complete(PROMPT, [SPEC])
    assert response.message.content == "Let me look."
    got = response.message.tool_calls
    assert [c.arguments for c in got] == [*arguments, {}]
    assert [c.name for c in got] == ["inspect_variable", "inspect_variable", "finish"]
    assert len({c.id for c in got}) == 3


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_usage_and_cost(model: ChatModel, server: FakeModelServer, streamed: bool) -> None:
    server.enqueue(FakeReply(text="ok", input_tokens=1000, output_tokens=500))
    response = finished(await collect(model)) if streamed else await model.complete(PROMPT)
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1000, 500)
    expected = {"gpt-4o-mini": (1000 * 0.15 + 500 * 0.60), "claude-haiku-4-5": 1000 + 500 * 5}
    assert response.usage.cost_usd == pytest.approx(expected[model.model] / 1e6)


@pytest.mark.asyncio
async def test_unpriced_model_has_no_cost(provider: str, server: FakeModelServer) -> None:
    settings = settings_for(provider, server, model="house-model-7b")
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        server.enqueue(FakeReply(text="ok", input_tokens=5, output_tokens=2))
        response = await chat.complete(PROMPT)
    assert response.usage.input_tokens == 5 and response.usage.cost_usd is None


# --- malformed model output -------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_malformed_tool_arguments_become_data(
    model: ChatModel, server: FakeModelServer, streamed: bool
) -> None:
    server.enqueue(
        FakeReply(
            tool_calls=[
                FakeToolCall("inspect_variable", '{"name": "df"'),
                FakeToolCall("inspect_variable", {"name": 42}),
            ]
        )
    )
    response = finished(await collect(model)) if streamed else await model.complete(PROMPT)
    broken, mistyped = response.message.tool_calls
    assert broken.arguments is None and broken.error and "not valid JSON" in broken.error
    assert broken.raw_arguments == '{"name": "df"'
    message = validate_tool_arguments(SPEC, broken)
    assert message and "`inspect_variable`" in message and "not valid JSON" in message
    assert mistyped.error is None
    message = validate_tool_arguments(SPEC, mistyped)
    assert message and "`name`: 42 is not of type 'string'" in message


# --- retries ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
@pytest.mark.asyncio
async def test_retry_then_success(
    model: ChatModel, server: FakeModelServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(FakeReply.error(status), FakeReply(text="finally"))
    with caplog.at_level(logging.WARNING, "jupyter_codeagent.models"):
        response = await model.complete(PROMPT)
    assert response.message.content == "finally"
    assert len(server.requests) == 2
    assert f"HTTP {status}" in caplog.text and "retrying" in caplog.text


@pytest.mark.asyncio
async def test_stream_retries_before_any_delta(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply.error(429), FakeReply(text="a b", drop_after=1), FakeReply(text="a b"))
    events = await collect(model)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "a b"
    assert len(server.requests) == 3


@pytest.mark.asyncio
async def test_retry_after_is_honoured(
    model: ChatModel, server: FakeModelServer, provider: str
) -> None:
    # The SDK runs the retries; our policy sets the waits: the server's retry-after
    # (0.4 s) wins over the tiny test back-off, which the 503 then gets.
    server.enqueue(
        FakeReply.error(429, retry_after=0.4), FakeReply.error(503), FakeReply(text="ok")
    )
    started = time.monotonic()
    assert (await model.complete(PROMPT)).message.content == "ok"
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 2.0
    counts = [r.headers.get("x-stainless-retry-count") for r in server.requests]
    assert counts == ["0", "1", "2"]


def test_retry_after_is_capped_and_the_back_off_grows() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=60.0)
    assert policy.delay(0, retry_after=7200.0) == 60.0  # a bad header cannot stall a run
    assert policy.delay(0, retry_after=0.0) == 0.0
    assert 0.25 <= policy.delay(0) <= 0.5 and 2.0 <= policy.delay(3) <= 4.0


@pytest.mark.asyncio
async def test_give_up_after_the_bound(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(*[FakeReply.error(500, "engine on fire")] * 5)
    with pytest.raises(ModelUnavailableError) as info:
        await model.complete(PROMPT)
    assert len(server.requests) == 3  # max_retries=2: three attempts in all
    message = info.value.message
    assert "gave up after 3 attempts" in message and "engine on fire" in message
    assert model.model in message
    assert server.pending_replies == 2


@pytest.mark.asyncio
async def test_stream_give_up_after_the_bound(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(*[FakeReply(text="x y", drop_after=1)] * 3)
    with pytest.raises(ModelUnavailableError, match="gave up after 3 attempts"):
        await collect(model)


@pytest.mark.asyncio
async def test_stream_broken_after_deltas_is_not_restarted(
    model: ChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="one two three four five six", drop_after=4))
    seen: list[StreamEvent] = []
    with pytest.raises(ModelUnavailableError, match="broke off after it had started"):
        async with contextlib.aclosing(model.stream(PROMPT)) as events:
            async for event in events:
                seen.append(event)
    assert seen and all(isinstance(e, TextDelta) for e in seen)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_unreachable_server_gives_up_with_a_connection_reason(provider: str) -> None:
    with FakeModelServer() as gone:
        settings = settings_for(provider, gone)
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        with pytest.raises(ModelUnavailableError, match="connection problem"):
            await chat.complete(PROMPT)


@pytest.mark.asyncio
async def test_timeout_is_retried(provider: str, server: FakeModelServer) -> None:
    settings = settings_for(provider, server, request_timeout=0.2)
    server.enqueue(FakeReply(text="late", delay=2.0), FakeReply(text="on time"))
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        assert (await chat.complete(PROMPT)).message.content == "on time"


# --- typed errors -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_auth_error_is_not_retried(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply.error(401), FakeReply(text="never"))
    with pytest.raises(ModelAuthError) as info:
        await model.complete(PROMPT)
    assert "API_KEY" in info.value.message and info.value.code == "model_auth"
    assert len(server.requests) == 1


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_context_length_error(
    model: ChatModel, server: FakeModelServer, streamed: bool
) -> None:
    server.enqueue(FakeReply.context_overflow())
    with pytest.raises(ModelContextLengthError, match="too long"):
        if streamed:
            await collect(model)
        else:
            await model.complete(PROMPT)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_other_client_errors_are_model_errors(
    model: ChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply.error(400, "tools[0].name: bad name"), FakeReply.error(404))
    with pytest.raises(ModelError, match=r"rejected the request \(HTTP 400: tools"):
        await model.complete(PROMPT)
    with pytest.raises(ModelError, match="CODEAGENT_MODEL"):
        await model.complete(PROMPT)


@pytest.mark.asyncio
async def test_no_secret_in_errors_or_logs(
    model: ChatModel, server: FakeModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    leaky = f"Incorrect API key provided: {SECRET}. Masked: {SECRET[:8]}...{SECRET[-8:]}"
    server.enqueue(
        FakeReply.error(401, leaky),
        FakeReply.error(403, leaky),
        FakeReply.error(400, leaky),
        *[FakeReply.error(500, leaky)] * 3,
        FakeReply(text="a b c", drop_after=3, stream_error_after=None),
    )
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(4):
            with pytest.raises(ModelError) as info:
                await model.complete(PROMPT)
            texts += [str(info.value), info.value.message, repr(info.value)]
            assert info.value.__cause__ is None
        with pytest.raises(ModelError) as info:
            await collect(model)
        texts.append(str(info.value))
    texts += [record.getMessage() for record in caplog.records]
    assert len(texts) > 10
    for text in texts:
        assert SECRET not in text
        assert SECRET[:8] not in text and SECRET[-8:] not in text


# --- keys and URLs -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_empty_key_with_a_custom_base_url(
    provider: str, server: FakeModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-the-environment")
    settings = settings_for(provider, server, openai_api_key="", anthropic_api_key="")
    server.enqueue(FakeReply(text="local model here"))
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        assert (await chat.complete(PROMPT)).message.content == "local model here"
    headers = server.requests[0].headers
    assert "sk-from-the-environment" not in str(headers)


# --- cancellation -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_cancelling_the_consumer_closes_the_stream(
    model: ChatModel, server: FakeModelServer
) -> None:
    server.enqueue(FakeReply(text="word " * 200, chunk_delay=0.05))
    received: list[StreamEvent] = []
    two_deltas = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(model.stream(PROMPT)) as events:
            async for event in events:
                received.append(event)
                if len(received) >= 2:
                    two_deltas.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(two_deltas.wait(), 5)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2  # not the 10 s the stream would still take
    deadline = time.monotonic() + 3
    while not server.aborted and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert len(server.aborted) == 1, "the server never saw the connection close"
    assert len(received) < 20


@pytest.mark.asyncio
async def test_abandoning_the_stream_closes_it(model: ChatModel, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="word " * 200, chunk_delay=0.02))
    async with contextlib.aclosing(model.stream(PROMPT)) as events:
        async for _event in events:
            break
    deadline = time.monotonic() + 3
    while not server.aborted and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert len(server.aborted) == 1
