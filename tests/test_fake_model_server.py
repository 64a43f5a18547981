"""The scripted fake model server, exercised with the real openai and anthropic SDKs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest

from jupyter_codeagent.testing import (
    FakeModelServer,
    FakeReply,
    FakeToolCall,
    RecordedRequest,
    echo_responder,
    load_script,
)

CLAUDE = "claude-haiku-4-5"
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture
def oai(server: FakeModelServer) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    yield client
    client.close()


@pytest.fixture
def claude(server: FakeModelServer) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(
        base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    )
    yield client
    client.close()


# --- lifecycle ----------------------------------------------------------------------


def test_lifecycle_and_urls() -> None:
    server = FakeModelServer()
    with pytest.raises(RuntimeError):
        _ = server.port
    server.start()
    try:
        assert server.port > 0
        assert server.openai_base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.anthropic_base_url == f"http://127.0.0.1:{server.port}"
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{server.port}/v1/models")


def test_stop_with_a_stream_in_flight(server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="slow " * 100, chunk_delay=0.2))
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)
    try:
        stream = client.chat.completions.create(model="m", messages=USER, stream=True)  # type: ignore[arg-type]
        next(iter(stream))
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(openai.APIConnectionError):
            list(stream)
    finally:
        client.close()


# --- OpenAI -------------------------------------------------------------------------


def test_openai_plain_reply_and_record(server: FakeModelServer, oai: openai.OpenAI) -> None:
    server.enqueue(FakeReply(text="Hello!", input_tokens=11, output_tokens=2))
    completion = oai.chat.completions.create(model="gpt-test", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "Hello!"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-test"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 2)
    (request,) = server.requests
    assert request == RecordedRequest(
        api="openai",
        method="POST",
        path="/v1/chat/completions",
        headers=request.headers,
        body={"model": "gpt-test", "messages": USER},
        stream=False,
    )
    assert request.headers["authorization"] == "Bearer sk-test"
    assert server.requests_for("openai") == [request] and server.requests_for("anthropic") == []


def test_openai_parallel_tool_calls(server: FakeModelServer, oai: openai.OpenAI) -> None:
    server.enqueue(
        FakeReply(tool_calls=[FakeToolCall("a", {"x": 1}), FakeToolCall("b", "{bad", id="c9")])
    )
    message = oai.chat.completions.create(model="m", messages=USER).choices[0].message  # type: ignore[arg-type]
    assert message.content is None
    calls = message.tool_calls or []
    functions = [(c.function.name, c.function.arguments) for c in calls]  # type: ignore[union-attr]
    assert functions == [("a", '{"x": 1}'), ("b", "{bad")]
    assert calls[1].id == "c9"


@pytest.mark.parametrize("include_usage", [True, False])
def test_openai_stream(server: FakeModelServer, oai: openai.OpenAI, include_usage: bool) -> None:
    calls = [FakeToolCall("first", {"query": "a longer argument value"}), FakeToolCall("second")]
    server.enqueue(FakeReply(text="Two calls:", tool_calls=calls, output_tokens=9))
    options = {"include_usage": include_usage}
    chunks = list(
        oai.chat.completions.create(model="m", messages=USER, stream=True, stream_options=options)  # type: ignore[arg-type]
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Two calls:"
    pieces: dict[int, list[str]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for part in choice.delta.tool_calls or ():
                assert part.function is not None
                pieces.setdefault(part.index, []).append(part.function.arguments or "")
    assert "".join(pieces[0]) == '{"query": "a longer argument value"}'
    assert len(pieces[0]) > 3  # arguments arrive in several chunks
    assert "".join(pieces[1]) == "{}"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "tool_calls" and set(finishes[:-1]) == {None}
    usage = [c.usage for c in chunks if c.usage is not None]
    if include_usage:
        assert chunks[-1].choices == [] and usage[0].completion_tokens == 9
    else:
        assert usage == []
    assert server.requests[0].stream is True


def test_openai_models_list(server: FakeModelServer, oai: openai.OpenAI) -> None:
    server.models = ("gpt-a", "gpt-b")
    assert [m.id for m in oai.models.list()] == ["gpt-a", "gpt-b"]
    assert server.requests[0].method == "GET" and server.pending_replies == 0


# --- Anthropic ----------------------------------------------------------------------


def test_anthropic_reply_with_tool_use(
    server: FakeModelServer, claude: anthropic.Anthropic
) -> None:
    server.enqueue(FakeReply(text="Checking.", tool_calls=[FakeToolCall("look", {"q": "x"})]))
    message = claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER)  # type: ignore[arg-type]
    assert message.stop_reason == "tool_use"
    text, tool = message.content
    assert text.type == "text" and text.text == "Checking."
    assert tool.type == "tool_use" and (tool.name, tool.input) == ("look", {"q": "x"})
    (request,) = server.requests_for("anthropic")
    assert request.path == "/v1/messages" and request.body["max_tokens"] == 50


def test_anthropic_stream_event_sequence(
    server: FakeModelServer, claude: anthropic.Anthropic
) -> None:
    server.enqueue(
        FakeReply(
            text="Two tools.",
            tool_calls=[FakeToolCall("a", {"k": "v" * 20}), FakeToolCall("b", {})],
            input_tokens=30,
            output_tokens=12,
        )
    )
    events = list(claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER, stream=True))  # type: ignore[arg-type]
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    starts = [e for e in events if e.type == "content_block_start"]
    assert [b.content_block.type for b in starts] == ["text", "tool_use", "tool_use"]
    assert kinds.count("content_block_stop") == 3
    deltas = [e.delta for e in events if e.type == "content_block_delta"]
    assert {d.type for d in deltas} == {"text_delta", "input_json_delta"}
    json_parts = [d.partial_json for d in deltas if d.type == "input_json_delta"]
    assert len(json_parts) > 4
    assert events[0].message.usage.input_tokens == 30  # type: ignore[union-attr]
    assert events[-2].usage.output_tokens == 12  # type: ignore[union-attr]


def test_anthropic_sdk_assembles_the_stream(
    server: FakeModelServer, claude: anthropic.Anthropic
) -> None:
    server.enqueue(FakeReply(text="Done here.", tool_calls=[FakeToolCall("f", {"n": [1, 2]})]))
    with claude.messages.stream(model=CLAUDE, max_tokens=50, messages=USER) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"n": [1, 2]}  # type: ignore[union-attr]


def test_anthropic_models_list(server: FakeModelServer, claude: anthropic.Anthropic) -> None:
    assert [m.id for m in claude.models.list()] == ["fake-model"]
    assert server.requests[0].api == "anthropic"


# --- errors -------------------------------------------------------------------------


def test_error_replies_in_each_format(
    server: FakeModelServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.enqueue(FakeReply.error(429, retry_after=3), FakeReply.error(429, retry_after=0.5))
    with pytest.raises(openai.RateLimitError) as oai_error:
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert oai_error.value.response.headers["retry-after"] == "3"
    assert oai_error.value.code == "rate_limit_exceeded"
    with pytest.raises(anthropic.RateLimitError) as claude_error:
        claude.messages.create(model=CLAUDE, max_tokens=5, messages=USER)  # type: ignore[arg-type]
    assert claude_error.value.response.headers["retry-after"] == "0.5"
    assert claude_error.value.type == "rate_limit_error"

    server.enqueue(FakeReply.error(401), FakeReply.error(529), FakeReply.error(500, "boom"))
    with pytest.raises(openai.AuthenticationError):
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    with pytest.raises(anthropic.OverloadedError):
        claude.messages.create(model=CLAUDE, max_tokens=5, messages=USER)  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError, match="boom"):
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]


def test_context_length_shapes(
    server: FakeModelServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.enqueue(FakeReply.context_overflow(), FakeReply.context_overflow())
    with pytest.raises(openai.BadRequestError) as oai_error:
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert oai_error.value.code == "context_length_exceeded"
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        claude.messages.create(model=CLAUDE, max_tokens=5, messages=USER)  # type: ignore[arg-type]


def test_exhausted_script_answers_500(server: FakeModelServer, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError, match="script ran out of replies"):
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert "script ran out" in server.errors[0]


def test_responder_when_the_queue_is_empty(server: FakeModelServer, oai: openai.OpenAI) -> None:
    server.responder = echo_responder
    server.enqueue(FakeReply(text="queued first"))
    first = oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    second = oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert first.choices[0].message.content == "queued first"
    assert second.choices[0].message.content == "echo: hi"

    def broken(request: RecordedRequest) -> FakeReply:
        raise ValueError("no idea")

    server.responder = broken
    with pytest.raises(openai.InternalServerError, match="responder raised"):
        oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]


def test_unknown_route_is_404(server: FakeModelServer) -> None:
    response = httpx2.post(f"{server.base_url}/v1/embeddings", json={})
    assert response.status_code == 404
    assert "no route" in response.json()["error"]["message"]


def test_dropped_streams(
    server: FakeModelServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.enqueue(FakeReply(text="a b c d e", drop_after=3), FakeReply(text="a b c", drop_after=2))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oai.chat.completions.create(model="m", messages=USER, stream=True):  # type: ignore[arg-type]
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "a b"
    kinds: list[str] = []
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        for event in claude.messages.create(
            model=CLAUDE,
            max_tokens=5,
            messages=USER,  # type: ignore[arg-type]
            stream=True,
        ):
            kinds.append(event.type)
    assert kinds == ["message_start", "content_block_start"]


def test_error_event_inside_a_stream(server: FakeModelServer, claude: anthropic.Anthropic) -> None:
    server.enqueue(FakeReply(text="a b c", status=529, stream_error_after=3))
    with pytest.raises(anthropic.APIStatusError) as info:
        list(claude.messages.create(model=CLAUDE, max_tokens=5, messages=USER, stream=True))  # type: ignore[arg-type]
    assert info.value.type == "overloaded_error"


def test_delays(server: FakeModelServer, oai: openai.OpenAI) -> None:
    server.enqueue(FakeReply(text="late", delay=0.3), FakeReply(text="a b c", chunk_delay=0.1))
    started = time.monotonic()
    oai.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    list(oai.chat.completions.create(model="m", messages=USER, stream=True))  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.3  # role chunk, 3 words, finish, [DONE]: 5 gaps


# --- from any thread and any loop ----------------------------------------------------


def test_concurrent_requests_from_threads(server: FakeModelServer) -> None:
    server.responder = lambda request: FakeReply(text=str(request.messages[0]["content"]))

    def ask(index: int) -> str:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0) as client:
            reply = client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": f"n{index}"}],
            )
            return reply.choices[0].message.content or ""

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(40)))
    assert answers == [f"n{i}" for i in range(40)]
    assert len(server.requests) == 40


def test_a_reply_held_back_does_not_hold_up_the_others(server: FakeModelServer) -> None:
    """A responder that waits (a test holding one reply back) must not stall the server:
    another client's request is answered meanwhile, and the held one when released."""
    release = threading.Event()

    def responder(request: RecordedRequest) -> FakeReply:
        text = str(request.messages[0]["content"])
        if text == "held":
            release.wait(30)
        return FakeReply(text=f"answer to {text}")

    server.responder = responder

    def ask(text: str) -> str:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0) as client:
            reply = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": text}], timeout=20
            )
            return reply.choices[0].message.content or ""

    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(ask, "held")
        assert server.wait_until(lambda s: len(s.requests) == 1, timeout=10)
        assert ask("free") == "answer to free"  # served while the other is held
        assert not held.done()
        release.set()
        assert held.result(timeout=20) == "answer to held"


@pytest.mark.asyncio
async def test_async_clients_and_abort_detection(server: FakeModelServer) -> None:
    server.enqueue(FakeReply(text="tick " * 100, chunk_delay=0.05))
    async with openai.AsyncOpenAI(
        base_url=server.openai_base_url, api_key="k", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(model="m", messages=USER, stream=True)  # type: ignore[arg-type]
        async for _chunk in stream:
            break
        await stream.close()
    found = await asyncio.to_thread(server.wait_until, lambda s: len(s.aborted) == 1, 3.0)
    assert found and server.aborted[0].stream


def test_wait_until_times_out(server: FakeModelServer) -> None:
    assert not server.wait_until(lambda s: len(s.requests) > 0, timeout=0.05)
    waiter = threading.Timer(0.05, lambda: httpx2.get(f"{server.openai_base_url}/models"))
    waiter.start()
    assert server.wait_until(lambda s: len(s.requests) == 1, timeout=3)
    waiter.join()


# --- scripts and the command line ------------------------------------------------------


def test_script_format() -> None:
    replies = load_script(
        json.dumps(
            [
                {"text": "hi"},
                {"tool_calls": [{"name": "f", "arguments": {"a": 1}}, {"name": "g"}]},
                {"status": 429, "retry_after": 1},
            ]
        )
    )
    assert replies[0] == FakeReply(text="hi")
    assert replies[1].tool_calls == (FakeToolCall("f", {"a": 1}), FakeToolCall("g", {}))
    assert replies[2].is_error and replies[2].retry_after == 1
    with pytest.raises(ValueError, match="unknown reply keys"):
        load_script('[{"txt": "typo"}]')
    with pytest.raises(ValueError, match="needs at least a name"):
        load_script('{"tool_calls": [{"arguments": {}}]}')


def test_command_line(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([{"text": "from the script"}]))
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "jupyter_codeagent.testing.fake_model_server"),
            *("--port", "0", "--script", str(script), "--echo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert process.stdout is not None
        openai_line = process.stdout.readline().strip()
        anthropic_line = process.stdout.readline().strip()
        assert openai_line.startswith("OPENAI_BASE_URL=http://127.0.0.1:")
        assert anthropic_line.startswith("ANTHROPIC_BASE_URL=http://127.0.0.1:")
        base_url = openai_line.split("=", 1)[1]
        with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
            first = client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
            second = client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        assert first.choices[0].message.content == "from the script"
        assert second.choices[0].message.content == "echo: hi"
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
