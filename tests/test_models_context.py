"""The context window, asked from the server or the model list, and every provider's
"the prompt is too long" error recognised from the real error bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_codeagent.errors import ModelContextLengthError, ModelError
from jupyter_codeagent.models import (
    ContextWindow,
    ModelOptions,
    RetryPolicy,
    UserMessage,
    build_chat_model,
)
from jupyter_codeagent.models.context_errors import is_context_length_error
from jupyter_codeagent.models.context_window import server_root
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer, FakeReply

FAST = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)
PROMPT = [UserMessage(content="Hello?")]
MODEL = "qwen2.5-coder"


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer(models=(MODEL,)) as fake:
        yield fake


def local(server: FakeModelServer, **options: Any) -> Any:
    settings = ModelSettings(provider="openai", model=MODEL, openai_base_url=server.openai_base_url)
    return build_chat_model(settings, "coder", retry=FAST, options=ModelOptions(**options))


# --- context windows --------------------------------------------------------------------


def test_server_root() -> None:
    assert server_root("http://localhost:11434/v1") == "http://localhost:11434"
    assert server_root("http://localhost:8080/v1/") == "http://localhost:8080"
    assert server_root("http://proxy/llm") == "http://proxy/llm"


@pytest.mark.asyncio
async def test_llamacpp_props(server: FakeModelServer) -> None:
    # The shape of a real llama.cpp /props (trimmed): n_ctx of one slot.
    server.routes[("GET", "/props")] = {
        "default_generation_settings": {"n_ctx": 8192, "params": {}},
        "total_slots": 1,
        "model_alias": MODEL,
    }
    async with local(server) as chat:
        window = await chat.context_window()
        assert window == ContextWindow(tokens=8192, source="llama.cpp /props")
        assert await chat.context_window() is window  # asked once per model
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/props")]


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ("stop <|im_end|>\nnum_ctx 16384\ntemperature 0.2", (16384, "ollama /api/show")),
        ("num_ctx 65536", (32768, "ollama /api/show")),  # never beyond the trained window
        ("stop <|im_end|>", (4096, "ollama default (assumed)")),
    ],
)
@pytest.mark.asyncio
async def test_ollama_show(
    server: FakeModelServer, parameters: str, expected: tuple[int, str]
) -> None:
    server.routes[("POST", "/api/show")] = {
        "modelfile": "FROM qwen2.5-coder",
        "parameters": parameters,
        "details": {"family": "qwen2", "parameter_size": "494.03M"},
        "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
    }
    async with local(server) as chat:
        window = await chat.context_window()
    assert (window.tokens, window.source) == expected
    show = server.requests_for("openai", "/api/show")[0]
    assert show.body == {"model": MODEL}
    # Ollama's /v1 endpoint drops "options", so num_ctx is never sent (see context_window.py).
    server.enqueue(FakeReply(text="ok"))
    async with local(server) as chat:
        await chat.context_window()
        await chat.complete(PROMPT)
    assert "options" not in server.requests_for("openai", "/v1/chat/completions")[0].body


@pytest.mark.parametrize(
    "entry",
    [
        {"id": MODEL, "object": "model", "max_model_len": 32768},  # vLLM
        {"id": MODEL, "type": "llm", "context_length": 32768},  # LM Studio, OpenRouter
    ],
)
@pytest.mark.asyncio
async def test_models_list_fields(server: FakeModelServer, entry: dict[str, Any]) -> None:
    other = {"id": "other", "max_model_len": 4096}
    server.routes[("GET", "/v1/models")] = {"object": "list", "data": [other, entry]}
    async with local(server) as chat:
        assert await chat.context_window() == ContextWindow(tokens=32768, source="/v1/models")


@pytest.mark.asyncio
async def test_unknown_window_and_the_setting(server: FakeModelServer) -> None:
    async with local(server) as chat:
        assert await chat.context_window() == ContextWindow(tokens=None, source="unknown")
    server.clear()
    async with local(server, context_window=12_000) as chat:
        assert await chat.context_window() == ContextWindow(tokens=12_000, source="setting")
    assert server.requests == []  # the setting wins without asking


@pytest.mark.parametrize(
    ("provider", "model", "tokens"),
    [("openai", "gpt-4o-mini", 128_000), ("anthropic", "claude-haiku-4-5-20251001", 200_000)],
)
@pytest.mark.asyncio
async def test_hosted_models_from_the_model_list(provider: str, model: str, tokens: int) -> None:
    settings = ModelSettings(
        provider=provider, model=model, openai_api_key="k", anthropic_api_key="k"
    )
    async with build_chat_model(settings, "coder") as chat:  # no request is made
        assert await chat.context_window() == ContextWindow(tokens=tokens, source="genai-prices")


# --- context-length errors ----------------------------------------------------------------

# Each server's real 400 body when the prompt does not fit.
LLAMACPP = {  # recorded from llama.cpp (the realmodel server, n_ctx 8192)
    "error": {
        "code": 400,
        "message": "request (9030 tokens) exceeds the available context size (8192 tokens), "
        "try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 9030,
        "n_ctx": 8192,
    }
}
VLLM_MESSAGE = (
    "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
    "(4000 in the messages, 1000 in the completion). Please reduce the length of the messages "
    "or completion."
)
VLLM_OLD = {"object": "error", "message": VLLM_MESSAGE, "type": "BadRequestError", "code": 400}
VLLM_NEW = {"error": {"message": VLLM_MESSAGE, "type": "BadRequestError", "param": None}}
OLLAMA = {
    "error": {
        "message": "the input length exceeds the context length",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}
LMSTUDIO_03 = {
    "error": "Trying to keep the first 5415 tokens when context the overflows. However, the "
    "model is loaded with context length of only 4096 tokens, which is not enough. Try to "
    "load the model with a larger context length, or provide a shorter input"
}
LMSTUDIO_04 = {"error": "Context size has been exceeded."}
BODIES = {
    "llama.cpp": LLAMACPP,
    "vllm-old": VLLM_OLD,
    "vllm-new": VLLM_NEW,
    "ollama": OLLAMA,
    "lmstudio-0.3": LMSTUDIO_03,
    "lmstudio-0.4": LMSTUDIO_04,
}


@pytest.mark.parametrize("name", list(BODIES))
@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.asyncio
async def test_each_servers_context_length_error(
    server: FakeModelServer, name: str, streamed: bool
) -> None:
    server.enqueue(FakeReply.error_json(400, BODIES[name]))
    async with local(server) as chat:
        with pytest.raises(ModelContextLengthError, match="too long"):
            if streamed:
                async for _event in chat.stream(PROMPT):
                    pass
            else:
                await chat.complete(PROMPT)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_anthropic_prompt_too_long(server: FakeModelServer) -> None:
    settings = ModelSettings(
        provider="anthropic", model="claude-haiku-4-5", anthropic_base_url=server.base_url
    )
    body = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "prompt is too long: 212417 tokens > 200000 maximum",
        },
    }
    server.enqueue(FakeReply.error_json(400, body), FakeReply.error(413))
    async with build_chat_model(settings, "coder", retry=FAST) as chat:
        with pytest.raises(ModelContextLengthError):
            await chat.complete(PROMPT)
        with pytest.raises(ModelContextLengthError, match="too large"):
            await chat.complete(PROMPT)


def test_structured_fields_win_over_the_text() -> None:
    assert is_context_length_error("Bad request", code="context_length_exceeded")
    assert is_context_length_error("Bad request", error_type="exceed_context_size_error")
    assert not is_context_length_error("tools[0].name: bad name", code=None)


@pytest.mark.asyncio
async def test_other_400s_are_not_context_errors(server: FakeModelServer) -> None:
    server.enqueue(FakeReply.error_json(400, {"error": {"message": "unknown field 'foo'"}}))
    async with local(server) as chat:
        with pytest.raises(ModelError) as info:
            await chat.complete(PROMPT)
    assert not isinstance(info.value, ModelContextLengthError)
