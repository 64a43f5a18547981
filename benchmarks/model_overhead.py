"""How much time the models layer adds on top of the raw SDK calls.

Run: ``python benchmarks/model_overhead.py [--rounds N] [--deltas N] [--calls N]``

For each provider, against the fake model server on loopback, in the same process:

* per delta, end to end: a streamed answer of many words read through the raw SDK
  stream and through ``ChatModel.stream()``; (median layer time - median SDK time)
  divided by the number of deltas. Rounds alternate SDK/layer to cancel drift.
* per delta, isolated: the same chunks, recorded once, replayed from memory through
  the layer's stream assembly and through a bare loop, with no network at all. This
  is the layer's own cost, free of the server's noise.
* per complete(): a tool-call round (a 10-message conversation, 5 tools offered,
  3 parallel tool calls answered), median layer call minus median SDK call.

Targets (issue 3): under 1 ms per delta and under 5 ms per complete(). The script
prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anthropic
import openai

from jupyter_codeagent.models import (
    AssistantMessage,
    ChatModel,
    SystemMessage,
    TextDelta,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
    build_chat_model,
    make_tool_call,
)
from jupyter_codeagent.models.anthropic_model import to_anthropic_messages, to_anthropic_tools
from jupyter_codeagent.models.openai_model import to_openai_messages, to_openai_tools
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply, FakeToolCall

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
TOOLS = [
    ToolSpec(
        name=f"tool_{i}",
        description=f"Tool number {i}.",
        parameters={
            "type": "object",
            "properties": {"name": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["name"],
        },
    )
    for i in range(5)
]
CONVERSATION = [
    SystemMessage(content="You are the coder agent. " * 20),
    UserMessage(content="Load sales.csv and plot revenue by month."),
    AssistantMessage(
        content="Looking at the variables first.",
        tool_calls=(make_tool_call("call_1", "tool_0", '{"name": "df"}'),),
    ),
    ToolResultMessage(tool_call_id="call_1", name="tool_0", content="DataFrame 1000x5 " * 10),
    AssistantMessage(content="Proposing a cell.", tool_calls=()),
    UserMessage(content="Go on."),
    AssistantMessage(
        tool_calls=(make_tool_call("call_2", "tool_1", '{"name": "plot", "limit": 3}'),)
    ),
    ToolResultMessage(tool_call_id="call_2", name="tool_1", content="ok"),
    AssistantMessage(content="Done with the plot."),
    UserMessage(content="Now the summary please."),
]
TOOL_ROUND = FakeReply(
    text="Three lookups.",
    tool_calls=[FakeToolCall(f"tool_{i}", {"name": f"v{i}", "limit": i}) for i in range(3)],
    input_tokens=900,
    output_tokens=60,
)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def timed(run: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


class RawSdk:
    """The same calls, straight through the SDK with pre-built wire messages."""

    def __init__(self, provider: str, server: FakeModelServer) -> None:
        self.provider = provider
        if provider == "openai":
            self.openai = openai.AsyncOpenAI(
                base_url=server.openai_base_url, api_key="k", max_retries=0
            )
            self.params: dict[str, Any] = {
                "model": MODELS[provider],
                "messages": to_openai_messages(CONVERSATION),
                "tools": to_openai_tools(TOOLS),
            }
        else:
            self.anthropic = anthropic.AsyncAnthropic(
                base_url=server.anthropic_base_url, api_key="k", max_retries=0
            )
            system, messages = to_anthropic_messages(CONVERSATION)
            self.params = {
                "model": MODELS[provider],
                "max_tokens": 4096,
                "system": system,
                "messages": messages,
                "tools": to_anthropic_tools(TOOLS),
            }

    async def complete(self) -> None:
        if self.provider == "openai":
            await self.openai.chat.completions.create(**self.params)
        else:
            await self.anthropic.messages.create(**self.params)

    async def stream_text(self) -> str:
        parts: list[str] = []
        if self.provider == "openai":
            stream = await self.openai.chat.completions.create(
                **self.params, stream=True, stream_options={"include_usage": True}
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
        else:
            events = await self.anthropic.messages.create(**self.params, stream=True)
            async for event in events:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    parts.append(event.delta.text)
        return "".join(parts)

    async def recorded_chunks(self) -> list[Any]:
        """The SDK objects of one streamed answer, for the isolated measurement."""
        if self.provider == "openai":
            stream = await self.openai.chat.completions.create(
                **self.params, stream=True, stream_options={"include_usage": True}
            )
        else:
            stream = await self.anthropic.messages.create(**self.params, stream=True)
        return [item async for item in stream]

    async def aclose(self) -> None:
        await (self.openai if self.provider == "openai" else self.anthropic).close()


async def layer_stream_text(model: ChatModel) -> str:
    parts = [e.text async for e in model.stream(CONVERSATION, TOOLS) if isinstance(e, TextDelta)]
    return "".join(parts)


class _Replay:
    """An SDK stream stand-in: yields recorded chunks from memory."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for item in self._items:
            yield item

    async def close(self) -> None:
        return None


def _replay_into(model: ChatModel, provider: str, items: list[Any]) -> None:
    """Make the model's SDK client return ``items`` instead of calling the server."""

    async def create(**_: Any) -> _Replay:
        return _Replay(items)

    client: Any = model._client  # type: ignore[attr-defined]
    if provider == "openai":
        client.chat.completions.create = create
    else:
        client.messages.create = create


async def measure(provider: str, rounds: int, deltas: int, calls: int) -> dict[str, float]:
    words = " ".join(f"w{i}" for i in range(deltas))
    with FakeModelServer() as server:
        server.responder = lambda request: FakeReply(text=words) if request.stream else TOOL_ROUND
        settings = ModelSettings(
            provider=provider,
            model=MODELS[provider],
            openai_base_url=server.openai_base_url,
            anthropic_base_url=server.anthropic_base_url,
            openai_api_key="k",
            anthropic_api_key="k",
        )
        model = build_chat_model(settings, "coder")
        raw = RawSdk(provider, server)
        try:
            # warm up connections, imports and caches
            assert await layer_stream_text(model) == await raw.stream_text() == words
            await model.complete(CONVERSATION, TOOLS)
            await raw.complete()

            sdk_stream, layer_stream = [], []
            for _ in range(rounds):
                sdk_stream.append(await timed(raw.stream_text))
                layer_stream.append(await timed(lambda: layer_stream_text(model)))
            sdk_call, layer_call = [], []
            for _ in range(calls):
                sdk_call.append(await timed(raw.complete))
                layer_call.append(await timed(lambda: model.complete(CONVERSATION, TOOLS)))

            items = await raw.recorded_chunks()
            bare, isolated = [], []
            replay = _Replay(items)
            _replay_into(model, provider, items)
            for _ in range(rounds):

                async def bare_loop() -> None:
                    async for _item in replay:
                        pass

                bare.append(await timed(bare_loop))
                isolated.append(await timed(lambda: layer_stream_text(model)))
        finally:
            await model.aclose()
            await raw.aclose()
    return {
        "sdk stream ms": median_ms(sdk_stream),
        "layer stream ms": median_ms(layer_stream),
        "per delta end-to-end us": (median_ms(layer_stream) - median_ms(sdk_stream))
        * 1000
        / deltas,
        "per delta isolated us": (median_ms(isolated) - median_ms(bare)) * 1000 / deltas,
        "sdk complete ms": median_ms(sdk_call),
        "layer complete ms": median_ms(layer_call),
        "per complete ms": median_ms(layer_call) - median_ms(sdk_call),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="streams per side")
    parser.add_argument("--deltas", type=int, default=2000, help="text deltas per stream")
    parser.add_argument("--calls", type=int, default=200, help="complete() calls per side")
    args = parser.parse_args()
    print(
        f"models layer overhead vs raw SDK ({args.rounds} streams of {args.deltas} deltas, "
        f"{args.calls} tool-call rounds per side; medians)"
    )
    for provider in ("openai", "anthropic"):
        figures = asyncio.run(measure(provider, args.rounds, args.deltas, args.calls))
        print(f"\n{provider}:")
        print(
            f"  stream of {args.deltas} deltas: SDK {figures['sdk stream ms']:.1f} ms, "
            f"layer {figures['layer stream ms']:.1f} ms"
        )
        print(
            f"  added per delta: {figures['per delta end-to-end us']:.2f} us end to end, "
            f"{figures['per delta isolated us']:.2f} us isolated (target < 1000 us)"
        )
        print(
            f"  tool-call round: SDK {figures['sdk complete ms']:.2f} ms, "
            f"layer {figures['layer complete ms']:.2f} ms, "
            f"added {figures['per complete ms']:.3f} ms (target < 5 ms)"
        )


if __name__ == "__main__":
    main()
