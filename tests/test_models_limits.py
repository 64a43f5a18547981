"""Output caps (max_tokens by default, tool calls per reply) and Anthropic prompt-cache
breakpoints."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_codeagent.models import (
    AssistantMessage,
    ChatModel,
    ModelOptions,
    RetryPolicy,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    ToolCallReady,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
    build_chat_model,
    make_tool_call,
)
from jupyter_codeagent.models.anthropic_cache import (
    MAX_BREAKPOINTS,
    add_cache_breakpoints,
    count_breakpoints,
)
from jupyter_codeagent.models.anthropic_model import DEFAULT_MAX_TOKENS
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply, FakeToolCall

FAST = RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.005)
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
SPEC = ToolSpec(
    name="inspect_variable",
    description="Describe a variable.",
    parameters={"type": "object", "properties": {"name": {"type": "string"}}},
)
EPHEMERAL = {"type": "ephemeral"}


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(provider: str, server: FakeModelServer, **options: Any) -> ChatModel:
    settings = ModelSettings(
        provider=provider,
        model=MODELS[provider],
        openai_base_url=server.openai_base_url,
        anthropic_base_url=server.anthropic_base_url,
    )
    return build_chat_model(settings, "coder", retry=FAST, options=ModelOptions(**options))


async def collect(model: ChatModel, messages: Any, tools: Any = ()) -> list[StreamEvent]:
    async with contextlib.aclosing(model.stream(messages, tools)) as events:
        return [event async for event in events]


# --- max_tokens ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_max_output_tokens_is_the_default(provider: str, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="a"), FakeReply(text="b"), FakeReply(text="c"))
    async with make(provider, server, max_output_tokens=512) as chat:
        await chat.complete([UserMessage(content="hi")])
        await chat.complete([UserMessage(content="hi")], max_tokens=64)  # the call wins
    async with make(provider, server) as chat:
        await chat.complete([UserMessage(content="hi")])
    sent = [r.body.get("max_tokens") for r in server.requests]
    unset = DEFAULT_MAX_TOKENS if provider == "anthropic" else None  # Anthropic requires one
    assert sent == [512, 64, unset]


# --- tool calls per reply -------------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_extra_tool_calls_are_dropped_and_reported(
    provider: str, server: FakeModelServer, streamed: bool
) -> None:
    calls = [FakeToolCall("inspect_variable", {"name": f"v{i}"}) for i in range(5)]
    server.enqueue(FakeReply(text="Looking.", tool_calls=calls))
    async with make(provider, server, max_tool_calls=2) as chat:
        prompt = [UserMessage(content="look")]
        if streamed:
            events = await collect(chat, prompt, [SPEC])
            ready = [e.tool_call for e in events if isinstance(e, ToolCallReady)]
            last = events[-1]
            assert isinstance(last, StreamFinished)
            response = last.response
            assert ready == list(response.message.tool_calls)
        else:
            response = await chat.complete(prompt, [SPEC])
    kept = [c.arguments for c in response.message.tool_calls]
    dropped = [c.arguments for c in response.dropped_tool_calls]
    assert kept == [{"name": "v0"}, {"name": "v1"}]
    assert dropped == [{"name": "v2"}, {"name": "v3"}, {"name": "v4"}]
    assert response.message.content == "Looking."


@pytest.mark.asyncio
async def test_no_cap_keeps_every_call(provider: str, server: FakeModelServer) -> None:
    server.enqueue(FakeReply(tool_calls=[FakeToolCall("inspect_variable")] * 3))
    async with make(provider, server) as chat:
        response = await chat.complete([UserMessage(content="look")], [SPEC])
    assert len(response.message.tool_calls) == 3 and response.dropped_tool_calls == ()


# --- Anthropic prompt caching -------------------------------------------------------------


def exchange(steps: int) -> list[Any]:
    """A coder conversation: role prompt, session context, then ``steps`` tool rounds."""
    messages: list[Any] = [
        SystemMessage(content="You are the coder."),
        SystemMessage(content="Data objects: df (891 rows)."),
        UserMessage(content="Count the rows."),
    ]
    for step in range(steps):
        call = make_tool_call(f"toolu_{step}", "inspect_variable", '{"name": "df"}')
        messages.append(AssistantMessage(content=f"Step {step}.", tool_calls=(call,)))
        messages.append(
            ToolResultMessage(tool_call_id=call.id, name=call.name, content="DataFrame")
        )
    return messages


@pytest.mark.asyncio
async def test_breakpoints_on_the_wire(server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="a"), FakeReply(text="b"))
    async with make("anthropic", server) as chat:
        await chat.complete(exchange(1), [SPEC])
        await chat.complete(exchange(2), [SPEC])
    first, second = (r.body for r in server.requests)
    assert count_breakpoints(first) == MAX_BREAKPOINTS
    assert [b.get("cache_control") for b in first["system"]] == [EPHEMERAL, EPHEMERAL]
    assert first["tools"][-1]["cache_control"] == EPHEMERAL
    assert first["messages"][-1]["content"][-1]["cache_control"] == EPHEMERAL
    # The next call starts with the same blocks (breakpoint aside): it reads the cache.
    written = first["messages"][-1]["content"][-1]
    again = second["messages"][len(first["messages"]) - 1]["content"][-1]
    assert {k: v for k, v in written.items() if k != "cache_control"} == again


@pytest.mark.asyncio
async def test_caching_can_be_switched_off(server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="a"))
    async with make("anthropic", server, prompt_caching=False) as chat:
        await chat.complete(exchange(1), [SPEC])
    body = server.requests[0].body
    assert body["system"] == "You are the coder.\n\nData objects: df (891 rows)."
    assert count_breakpoints(body) == 0


def test_breakpoints_stay_within_the_limit_and_leave_the_input_alone() -> None:
    tools = [{"name": "a"}, {"name": "b"}]
    system = [{"type": "text", "text": t} for t in ("role", "context", "more")]
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    new_tools, new_system, new_messages = add_cache_breakpoints(tools, system, messages)
    marked = count_breakpoints({"tools": new_tools, "system": new_system, "messages": new_messages})
    assert marked == MAX_BREAKPOINTS
    assert "cache_control" not in new_system[1]  # the middle block is covered by the last
    assert count_breakpoints({"tools": tools, "system": system, "messages": messages}) == 0
    only_messages = add_cache_breakpoints([], [], messages)
    assert only_messages[2][0]["content"][0]["cache_control"] == EPHEMERAL


# --- an answer that loops ---------------------------------------------------------------

LOOP = "Let me check the data again.\n"


@pytest.mark.asyncio
async def test_a_looping_answer_is_cut_short(server: FakeModelServer, provider: str) -> None:
    """A small local model repeating one line until max_tokens: the stream is closed once
    the repetition is certain, the answer keeps what came before it."""
    looping = "The file has 40 rows.\n" + LOOP * 2_000  # 58,000 characters
    server.enqueue(FakeReply(text=looping), FakeReply(text="fine"))
    async with make(provider, server) as chat:
        events = await collect(chat, [UserMessage(content="rows?")])
        last = events[-1]
        assert isinstance(last, StreamFinished)
        answer = last.response.message.content
        assert answer.startswith("The file has 40 rows.\n" + LOOP)
        assert len(answer) < 2_000  # cut within a few hundred characters of certainty
        assert last.response.stop_reason == "max_tokens"
        # The connection is usable for the next call.
        assert (await chat.complete([UserMessage(content="again")])).message.content == "fine"


@pytest.mark.asyncio
async def test_a_looping_tool_call_is_cut_short(server: FakeModelServer, provider: str) -> None:
    code = "import pandas as pd\n" + "df = df.dropna()\n" * 3_000
    server.enqueue(FakeReply(tool_calls=[FakeToolCall("propose_cell", {"code": code})]))
    async with make(provider, server) as chat:
        events = await collect(chat, [UserMessage(content="clean")], [SPEC])
    last = events[-1]
    assert isinstance(last, StreamFinished)
    assert last.response.stop_reason == "max_tokens"
    assert len(server.requests) == 1
    # The cut call is handed over (its arguments are not valid JSON: the model is told).
    (call,) = last.response.message.tool_calls
    assert call.name == "propose_cell"
    assert call.raw_arguments.startswith('{"code": "import pandas as pd')
    assert len(call.raw_arguments) < 5_000
    assert [e.tool_call for e in events if isinstance(e, ToolCallReady)] == [call]


def test_repetition_is_told_from_ordinary_text() -> None:
    from jupyter_codeagent.models.repetition import WINDOW, repeats

    assert repeats((LOOP * 100)[-WINDOW:])
    assert repeats(("0, " * 400)[-WINDOW:])
    ordinary = [
        "\n".join(f"df['c{i}'] = df['c{i}'].fillna({i})" for i in range(60)),
        " " * WINDOW,  # indentation and blank lines are not a loop
        "\n".join(f"| {i} | {i * i} |" for i in range(80)),
        "x" * 3 + "\n" + "The mean age is 31.2, the median 30, and 14 passengers survived. " * 3,
    ]
    for text in ordinary:
        assert not repeats(text[-WINDOW:]), text[:60]
