"""Usage with cached prompt tokens, read from both APIs and priced from genai-prices,
with the local price table as an override."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from jupyter_codeagent.models import (
    ChatModel,
    ModelResponse,
    RetryPolicy,
    StreamFinished,
    Usage,
    UserMessage,
    build_chat_model,
    cost_for,
    pricing,
)
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply

FAST = RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.005)
PROMPT = [UserMessage(content="Hello?")]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
# USD per 1M tokens (input, cached read, cache write, output) as genai-prices lists them.
RATES = {
    "gpt-4o-mini": (0.15, 0.075, 0.15, 0.60),
    "claude-haiku-4-5": (1.00, 0.10, 1.25, 5.00),
}


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def model(provider: str, server: FakeModelServer) -> AsyncIterator[ChatModel]:
    settings = ModelSettings(
        provider=provider,
        model=MODELS[provider],
        openai_base_url=server.openai_base_url,
        anthropic_base_url=server.anthropic_base_url,
        openai_api_key="sk-test-0123456789",
        anthropic_api_key="sk-test-0123456789",
    )
    chat = build_chat_model(settings, "coder", retry=FAST)
    yield chat
    await chat.aclose()


async def answer(model: ChatModel, streamed: bool) -> ModelResponse:
    if not streamed:
        return await model.complete(PROMPT)
    async with contextlib.aclosing(model.stream(PROMPT)) as events:
        last: Any = None
        async for event in events:
            last = event
    assert isinstance(last, StreamFinished)
    return last.response


def expected_cost(model: str, fresh: int, read: int, write: int, output: int) -> float:
    rate_in, rate_read, rate_write, rate_out = RATES[model]
    return (fresh * rate_in + read * rate_read + write * rate_write + output * rate_out) / 1e6


def test_usage_adds_cached_tokens() -> None:
    total = Usage(input_tokens=10, cache_read_tokens=6, cost_usd=0.1) + Usage(
        input_tokens=5, cache_read_tokens=1, cache_write_tokens=4, output_tokens=2
    )
    assert total == Usage(
        input_tokens=15, output_tokens=2, cache_read_tokens=7, cache_write_tokens=4, cost_usd=0.1
    )


def test_cached_input_is_priced_as_such() -> None:
    plain = Usage(input_tokens=1_000_000, output_tokens=0)
    cached = Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000)
    assert cost_for("gpt-4o-mini", plain) == pytest.approx(0.15)
    assert cost_for("gpt-4o-mini", cached) == pytest.approx(0.075)
    written = Usage(input_tokens=1_000_000, cache_write_tokens=1_000_000)
    assert cost_for("claude-haiku-4-5", written, provider="anthropic") == pytest.approx(1.25)


def test_the_local_table_overrides_the_maintained_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing, "PRICES", {})
    usage = Usage(input_tokens=2_000_000, cache_read_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_for("house-model-7b", usage) is None
    pricing.set_price("house-model-7b", 1.0, 2.0, cache_read_per_mtok=0.5)
    assert cost_for("house-model-7b", usage) == pytest.approx(1.0 + 0.5 + 2.0)
    pricing.set_price("gpt-4o-mini", 0.0, 0.0)  # e.g. a free local model of that name
    assert cost_for("gpt-4o-mini-2024-07-18", usage) == 0.0


def test_a_provider_known_by_its_url_is_priced_as_it_sells() -> None:
    usage = Usage(input_tokens=1_000_000)
    routed = cost_for("openai/gpt-4o-mini", usage, base_url="https://openrouter.ai/api/v1")
    assert routed == pytest.approx(0.15)
    # A local server the list does not know: looked up by the model name and provider.
    local = cost_for("gpt-4o-mini", usage, provider="openai", base_url="http://127.0.0.1:1/v1")
    assert local == pytest.approx(0.15)
    assert cost_for("llama3.1", usage, provider="openai", base_url="http://localhost/v1") is None


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_cached_tokens_are_read_and_priced(
    model: ChatModel, server: FakeModelServer, provider: str, streamed: bool
) -> None:
    write = 100_000 if provider == "anthropic" else 0  # OpenAI reports no cache writes
    server.enqueue(
        FakeReply(
            text="ok",
            input_tokens=1_000_000,
            cache_read_tokens=600_000,
            cache_write_tokens=write,
            output_tokens=2_000,
        )
    )
    usage = (await answer(model, streamed)).usage
    assert (usage.input_tokens, usage.output_tokens) == (1_000_000, 2_000)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (600_000, write)
    fresh = 1_000_000 - 600_000 - write
    expected = expected_cost(model.model, fresh, 600_000, write, 2_000)
    assert usage.cost_usd == pytest.approx(expected)


@pytest.mark.asyncio
async def test_a_server_that_ignores_stream_options(
    server: FakeModelServer, model: ChatModel, provider: str
) -> None:
    if provider != "openai":
        pytest.skip("stream_options is an OpenAI parameter")
    server.enqueue(FakeReply(text="no usage here", stream_usage=False))
    response = await answer(model, streamed=True)
    assert response.message.content == "no usage here"
    assert response.usage.total_tokens == 0
    assert server.requests[0].body["stream_options"] == {"include_usage": True}
