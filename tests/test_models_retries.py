"""Retries are the SDKs' own: our policy only sets their waits, a quota 429 is not
retried, and a stream that breaks before its first delta is tried again by us."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from jupyter_codeagent.errors import (
    CodeAgentError,
    ModelStreamInterrupted,
    ModelUnavailableError,
)
from jupyter_codeagent.models import (
    ChatModel,
    RetryPolicy,
    TextDelta,
    UserMessage,
    build_chat_model,
)
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply

PROMPT = [UserMessage(content="Hello?")]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


@dataclass(frozen=True, kw_only=True)
class RecordingPolicy(RetryPolicy):
    """Tiny waits, and a record of every wait the SDK asked for."""

    asked: list[tuple[int, float | None]] = field(default_factory=list)

    def delay(self, attempt: int, retry_after: float | None = None, **_: Any) -> float:
        self.asked.append((attempt, retry_after))
        return 0.001


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(provider: str, server: FakeModelServer, policy: RetryPolicy, **settings: Any) -> ChatModel:
    values: dict[str, Any] = {
        "provider": provider,
        "model": MODELS[provider],
        "openai_base_url": server.openai_base_url,
        "anthropic_base_url": server.anthropic_base_url,
        **settings,
    }
    return build_chat_model(ModelSettings(**values), "coder", retry=policy)


def test_retry_errors_are_code_agent_errors() -> None:
    assert issubclass(ModelStreamInterrupted, ModelUnavailableError)
    assert issubclass(ModelStreamInterrupted, CodeAgentError)
    assert ModelStreamInterrupted("x", reason="why").reason == "why"


@pytest.mark.asyncio
async def test_the_sdk_asks_our_policy_how_long_to_wait(
    provider: str, server: FakeModelServer
) -> None:
    policy = RecordingPolicy(max_retries=3)
    server.enqueue(
        FakeReply.error(500), FakeReply.error(429, retry_after=0.05), FakeReply(text="ok")
    )
    async with make(provider, server, policy) as chat:
        assert (await chat.complete(PROMPT)).message.content == "ok"
    assert policy.asked == [(0, None), (1, 0.05)]
    assert len(server.requests) == 3


@pytest.mark.asyncio
async def test_connection_failures_wait_as_the_policy_says(provider: str) -> None:
    with FakeModelServer() as gone:
        pass  # its port is closed now
    policy = RecordingPolicy(max_retries=2)
    async with make(provider, gone, policy) as chat:
        with pytest.raises(ModelUnavailableError, match="gave up after 3 attempts"):
            await chat.complete(PROMPT)
    assert policy.asked == [(0, None), (1, None)]


@pytest.mark.asyncio
async def test_no_retries_when_none_are_allowed(provider: str, server: FakeModelServer) -> None:
    server.enqueue(FakeReply.error(503), FakeReply(text="never"))
    async with make(provider, server, RetryPolicy(max_retries=0)) as chat:
        with pytest.raises(ModelUnavailableError, match="gave up after 1 attempt"):
            await chat.complete(PROMPT)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_a_quota_429_is_not_retried_when_streamed(server: FakeModelServer) -> None:
    policy = RecordingPolicy(max_retries=3)
    server.enqueue(
        FakeReply.error(429, "You exceeded your current quota.", error_code="insufficient_quota"),
        FakeReply(text="never"),
    )
    async with make("openai", server, policy) as chat:
        with pytest.raises(ModelUnavailableError, match="quota is used up"):
            async with contextlib.aclosing(chat.stream(PROMPT)) as events:
                async for _event in events:
                    pass
    assert len(server.requests) == 1 and policy.asked == []


@pytest.mark.asyncio
async def test_a_dropped_stream_is_tried_again_with_the_policys_wait(
    provider: str, server: FakeModelServer
) -> None:
    policy = RecordingPolicy(max_retries=2)
    server.enqueue(FakeReply(text="a b", drop_after=1), FakeReply(text="a b"))
    chat = make(provider, server, policy)
    async with chat, contextlib.aclosing(chat.stream(PROMPT)) as events:
        text = "".join([e.text async for e in events if isinstance(e, TextDelta)])
    assert text == "a b"
    assert policy.asked == [(0, None)]
