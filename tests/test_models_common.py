"""Provider-independent parts of the models layer: messages, tool-argument checks,
prices, back-off, redaction, readiness reasons, the factory and the URL probe."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from jupyter_codeagent.errors import ConfigurationError
from jupyter_codeagent.models import (
    AnthropicChatModel,
    AssistantMessage,
    OpenAIChatModel,
    Readiness,
    RetryPolicy,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
    build_chat_model,
    check_configuration,
    cost_for,
    make_tool_call,
    parse_tool_arguments,
    probe_base_url,
    validate_tool_arguments,
)
from jupyter_codeagent.models.anthropic_model import to_anthropic_messages, to_anthropic_tools
from jupyter_codeagent.models.openai_model import to_openai_messages, to_openai_tools
from jupyter_codeagent.models.redact import REDACTED, display_url, scrub
from jupyter_codeagent.models.retry import parse_retry_after
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing import FakeModelServer

PLAN_SPEC = ToolSpec(
    name="create_plan",
    description="Create the plan.",
    parameters={
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "description": {"type": "string"}},
                    "required": ["title"],
                },
            }
        },
        "required": ["tasks"],
        "additionalProperties": False,
    },
)


# --- messages and usage -------------------------------------------------------------


def test_usage_adds_tokens_and_known_costs() -> None:
    assert Usage(input_tokens=1, output_tokens=2) + Usage(input_tokens=3, output_tokens=4) == Usage(
        input_tokens=4, output_tokens=6, cost_usd=None
    )
    total = Usage(input_tokens=1, cost_usd=0.5) + Usage(output_tokens=1) + Usage(cost_usd=0.25)
    assert total == Usage(input_tokens=1, output_tokens=1, cost_usd=0.75)
    assert total.total_tokens == 2
    assert sum((Usage(input_tokens=1) for _ in range(3)), Usage()).input_tokens == 3


def test_messages_are_frozen_and_keyword_only() -> None:
    message = UserMessage(content="hi")
    with pytest.raises(AttributeError):
        message.content = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        UserMessage("hi")  # type: ignore[misc]


# --- tool arguments -----------------------------------------------------------------


def test_parse_tool_arguments() -> None:
    assert parse_tool_arguments('{"a": 1}') == ({"a": 1}, None)
    assert parse_tool_arguments("") == ({}, None)
    arguments, error = parse_tool_arguments('{"a": ')
    assert arguments is None and error is not None and "not valid JSON" in error
    arguments, error = parse_tool_arguments("[1, 2]")
    assert arguments is None and error == "the arguments must be a JSON object, not an array"


def test_validate_tool_arguments_accepts_a_matching_call() -> None:
    call = make_tool_call("c1", "create_plan", '{"tasks": [{"title": "Load data"}]}')
    assert call.error is None
    assert validate_tool_arguments(PLAN_SPEC, call) is None


def test_validate_tool_arguments_explains_bad_json() -> None:
    call = make_tool_call("c1", "create_plan", '{"tasks": [')
    message = validate_tool_arguments(PLAN_SPEC, call)
    assert message is not None
    assert "`create_plan`" in message and "not valid JSON" in message
    assert "again" in message


def test_validate_tool_arguments_lists_schema_problems_with_paths() -> None:
    call = make_tool_call("c1", "create_plan", '{"tasks": [{"description": 3}], "extra": 1}')
    message = validate_tool_arguments(PLAN_SPEC, call)
    assert message is not None
    assert "do not match the schema" in message
    assert "'title' is a required property" in message
    assert "`tasks[0]`" in message and "`tasks[0].description`" in message
    assert "'extra' was unexpected" in message


def test_validate_tool_arguments_with_missing_arguments() -> None:
    call = ToolCall(id="c", name="create_plan", arguments=None, raw_arguments="")
    message = validate_tool_arguments(PLAN_SPEC, call)
    assert message is not None and "missing" in message


# --- prices ---------------------------------------------------------------------------


def test_cost_for_known_models_and_snapshots() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_for("gpt-4o-mini", usage) == pytest.approx(0.75)
    assert cost_for("gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.75)
    assert cost_for("claude-haiku-4-5-20251001", usage) == pytest.approx(6.0)
    assert cost_for("llama3.1", usage) is None


# --- retry policy -------------------------------------------------------------------


def test_retry_delays_grow_with_jitter_and_respect_caps() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert policy.delay(0, rand=lambda: 0.0) == 0.5
    assert policy.delay(0, rand=lambda: 1.0) == 1.0
    assert policy.delay(2, rand=lambda: 1.0) == 4.0
    assert policy.delay(10, rand=lambda: 1.0) == 5.0
    assert 2.5 <= policy.delay(10) <= 5.0
    assert policy.delay(0, retry_after=7.0) == 7.0
    assert RetryPolicy(max_retry_after=3.0).delay(0, retry_after=100.0) == 3.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    seconds = parse_retry_after({"retry-after": format_datetime(when, usegmt=True)})
    assert seconds is not None and 25 <= seconds <= 31


# --- redaction ----------------------------------------------------------------------


def test_scrub_hides_secrets_and_their_masked_ends() -> None:
    key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
    assert scrub(f"bad key {key}!", [key]) == f"bad key {REDACTED}!"
    masked = f"Incorrect API key provided: {key[:8]}****{key[-8:]}."
    assert key[:8] not in scrub(masked, [key]) and key[-8:] not in scrub(masked, [key])
    assert scrub("nothing here", ["", key]) == "nothing here"


def test_display_url_drops_credentials() -> None:
    assert display_url("http://user:pw@example.com:8080/v1") == "http://example.com:8080/v1"
    assert display_url("http://localhost:11434/v1") == "http://localhost:11434/v1"


# --- message mapping ----------------------------------------------------------------

CONVERSATION = (
    SystemMessage(content="You are a coder."),
    UserMessage(content="Plot it."),
    AssistantMessage(
        content="Two things first.",
        tool_calls=(
            make_tool_call("call_1", "list_variables", "{}"),
            make_tool_call("call_2", "inspect_variable", '{"name": "df"}'),
        ),
    ),
    ToolResultMessage(tool_call_id="call_1", name="list_variables", content="df"),
    ToolResultMessage(
        tool_call_id="call_2", name="inspect_variable", content="no such", is_error=True
    ),
    UserMessage(content="Go on."),
)


def test_openai_message_mapping() -> None:
    assert to_openai_messages(CONVERSATION) == [
        {"role": "system", "content": "You are a coder."},
        {"role": "user", "content": "Plot it."},
        {
            "role": "assistant",
            "content": "Two things first.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "list_variables", "arguments": "{}"},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "inspect_variable", "arguments": '{"name": "df"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "df"},
        {"role": "tool", "tool_call_id": "call_2", "content": "[error] no such"},
        {"role": "user", "content": "Go on."},
    ]
    assert to_openai_tools([PLAN_SPEC])[0]["function"]["parameters"] == PLAN_SPEC.parameters


def test_anthropic_message_mapping_merges_tool_results() -> None:
    system, messages = to_anthropic_messages(CONVERSATION)
    assert system == "You are a coder."
    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Plot it."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Two things first."},
                {"type": "tool_use", "id": "call_1", "name": "list_variables", "input": {}},
                {
                    "type": "tool_use",
                    "id": "call_2",
                    "name": "inspect_variable",
                    "input": {"name": "df"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "df"},
                {
                    "type": "tool_result",
                    "tool_use_id": "call_2",
                    "content": "no such",
                    "is_error": True,
                },
                {"type": "text", "text": "Go on."},
            ],
        },
    ]
    assert to_anthropic_tools([PLAN_SPEC])[0]["input_schema"] == PLAN_SPEC.parameters


def test_malformed_calls_are_replayed_with_empty_arguments() -> None:
    bad = AssistantMessage(tool_calls=(make_tool_call("c", "finish", "{oops"),))
    assert to_openai_messages([bad])[0]["tool_calls"][0]["function"]["arguments"] == "{}"
    assert to_anthropic_messages([bad])[1][0]["content"][0]["input"] == {}


# --- readiness and factory ------------------------------------------------------------


def test_unconfigured_reason_says_exactly_what_to_set() -> None:
    readiness = check_configuration(ModelSettings())
    assert readiness == Readiness(ready=False, provider="", model="", reason=readiness.reason)
    reason = readiness.reason or ""
    for name in (
        "CODEAGENT_PROVIDER",
        "CODEAGENT_MODEL",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL=http://localhost:11434/v1",
    ):
        assert name in reason


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (ModelSettings(provider="mistral", model="m"), "Unknown CODEAGENT_PROVIDER 'mistral'"),
        (ModelSettings(provider="openai", openai_api_key="k"), "CODEAGENT_MODEL is not set"),
        (ModelSettings(provider="openai", model="gpt-4o"), "OPENAI_API_KEY is not set"),
        (ModelSettings(provider="anthropic", model="c"), "ANTHROPIC_API_KEY is not set"),
        (
            ModelSettings(provider="openai", model="m", openai_base_url="localhost:11434"),
            "OPENAI_BASE_URL must be an http:// or https:// URL",
        ),
    ],
)
def test_not_ready_reasons(settings: ModelSettings, expected: str) -> None:
    readiness = check_configuration(settings)
    assert not readiness.ready
    assert readiness.reason is not None and expected in readiness.reason


@pytest.mark.parametrize(
    "settings",
    [
        ModelSettings(provider="openai", model="gpt-4o", openai_api_key="k"),
        ModelSettings(provider="openai", model="llama3", openai_base_url="http://localhost:1/v1"),
        ModelSettings(provider="anthropic", model="c", anthropic_api_key="k"),
        ModelSettings(provider="anthropic", model="c", anthropic_base_url="http://proxy:8080"),
        ModelSettings(provider=" OpenAI ", model="gpt-4o", openai_api_key="k"),
        ModelSettings(
            provider="openai",
            openai_api_key="k",
            role_models={"planner": "a", "coder": "b", "reviewer": "c", "summarizer": "d"},
        ),
    ],
)
def test_ready_configurations(settings: ModelSettings) -> None:
    readiness = check_configuration(settings)
    assert readiness.ready and readiness.reason is None


@pytest.mark.asyncio
async def test_build_chat_model_per_role() -> None:
    settings = ModelSettings(
        provider="openai",
        model="gpt-4.1",
        role_models={"summarizer": "gpt-4.1-mini"},
        openai_api_key="k",
    )
    coder = build_chat_model(settings, "coder")
    summarizer = build_chat_model(settings, "summarizer")
    try:
        assert isinstance(coder, OpenAIChatModel) and coder.model == "gpt-4.1"
        assert coder.provider == "openai"
        assert summarizer.model == "gpt-4.1-mini"
    finally:
        await coder.aclose()
        await summarizer.aclose()
    claude = build_chat_model(
        ModelSettings(provider="anthropic", model="claude-haiku-4-5", anthropic_api_key="k"),
        "reviewer",
    )
    assert isinstance(claude, AnthropicChatModel)
    assert "claude-haiku-4-5" in repr(claude)
    await claude.aclose()


def test_build_chat_model_refuses_bad_configuration() -> None:
    with pytest.raises(ConfigurationError) as info:
        build_chat_model(ModelSettings(), "coder")
    assert "CODEAGENT_PROVIDER" in info.value.message
    assert info.value.code == "not_configured"
    with pytest.raises(ConfigurationError, match="Unknown agent role"):
        build_chat_model(ModelSettings(provider="openai", model="m", openai_api_key="k"), "boss")


# --- probe ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
async def test_probe_reports_an_unreachable_base_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    settings = ModelSettings(provider="openai", model="m", openai_base_url=url)
    reason = await probe_base_url(settings, timeout=2.0)
    assert reason is not None
    assert f"cannot reach {url} (connection refused)" in reason
    assert "OPENAI_BASE_URL" in reason


@pytest.mark.asyncio
async def test_probe_hides_credentials_in_the_url() -> None:
    url = f"http://user:hunter2@127.0.0.1:{_free_port()}"
    settings = ModelSettings(provider="anthropic", model="m", anthropic_base_url=url)
    reason = await probe_base_url(settings)
    assert reason is not None and "hunter2" not in reason and "ANTHROPIC_BASE_URL" in reason


@pytest.mark.asyncio
async def test_probe_accepts_a_running_server_and_skips_default_urls() -> None:
    with FakeModelServer() as server:
        settings = ModelSettings(
            provider="openai", model="m", openai_base_url=server.openai_base_url
        )
        assert await probe_base_url(settings) is None
        assert server.requests == []  # a TCP connect only: nothing is sent
    assert await probe_base_url(ModelSettings(provider="openai", model="m")) is None
    assert await probe_base_url(ModelSettings()) is None


@pytest.mark.asyncio
async def test_model_label_hides_url_credentials() -> None:
    settings = ModelSettings(
        provider="openai", model="m", openai_base_url="http://me:hunter2@localhost:8000/v1"
    )
    model = build_chat_model(settings, "coder")
    try:
        assert isinstance(model, OpenAIChatModel)
        assert "hunter2" not in model.label and "localhost:8000/v1" in model.label
    finally:
        await model.aclose()
