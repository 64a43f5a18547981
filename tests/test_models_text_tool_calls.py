"""Tool calls written into the text, made real: the forms models use, checked against
the offered tools, and the replies a real small model gave (tests/fixtures/real_replies)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.models import (
    AssistantMessage,
    ModelResponse,
    ToolSpec,
    Usage,
    make_tool_call,
    recover_in_response,
    recover_tool_calls,
    validate_tool_arguments,
)

FIXTURES = Path(__file__).parent / "fixtures" / "real_replies"
INSPECT = ToolSpec(
    name="inspect_variable",
    description="Describe a variable.",
    parameters={
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    },
)
FINISH = ToolSpec(
    name="finish",
    description="End the task.",
    parameters={
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
    },
)
REVIEW = ToolSpec(
    name="submit_review",
    description="Submit the review.",
    parameters={
        "type": "object",
        "properties": {
            "verdict": {"type": "string"},
            "risk": {"type": "string"},
            "comments": {"type": "string"},
        },
        "required": ["verdict", "risk"],
    },
)
TOOLS = (INSPECT, FINISH)


def recovered(text: str, tools: tuple[ToolSpec, ...] = TOOLS) -> AssistantMessage:
    return recover_tool_calls(AssistantMessage(content=text), tools)


def calls_of(message: AssistantMessage) -> list[tuple[str, Any]]:
    return [(call.name, call.arguments) for call in message.tool_calls]


# --- the forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'Let me look.\n```json\n{"name": "inspect_variable", "arguments": {"name": "df"}}\n```',
        'Let me look.\n{"name": "inspect_variable", "arguments": {"name": "df"}}',
        'Let me look.\n<tool_call>\n{"name": "inspect_variable", "arguments": {"name": "df"}}\n'
        "</tool_call>",
        'Let me look. {"name": "inspect_variable", "parameters": {"name": "df"}}',
        'Let me look.\n```\n{"type": "function", "function": {"name": "inspect_variable", '
        '"arguments": "{\\"name\\": \\"df\\"}"}}\n```',
        'Let me look. {"tool": "inspect_variable", "args": {"name": "df"}}',
        'Let me look.\n```json\n{"function": "inspect_variable", "input": {"name": "df"}}\n```',
    ],
)
def test_each_form_becomes_a_call(text: str) -> None:
    message = recovered(text)
    assert calls_of(message) == [("inspect_variable", {"name": "df"})]
    assert message.content == "Let me look."
    (call,) = message.tool_calls
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)  # valid for both APIs
    assert validate_tool_arguments(INSPECT, call) is None


def test_several_calls_in_a_list_tags_or_lines() -> None:
    listed = recovered(
        '[{"name": "inspect_variable", "arguments": {"name": "a"}},'
        ' {"name": "inspect_variable", "arguments": {"name": "b"}}]'
    )
    tagged = recovered(
        '<tool_call>{"name": "inspect_variable", "arguments": {"name": "a"}}</tool_call>\n'
        '<tool_call>{"name": "inspect_variable", "arguments": {"name": "b"}}</tool_call>'
    )
    lines = recovered(
        "```json\n"
        '{"name": "inspect_variable", "arguments": {"name": "a"}}\n'
        '{"name": "inspect_variable", "arguments": {"name": "b"}}\n'
        "```"
    )
    for message in (listed, tagged, lines):
        assert calls_of(message) == [
            ("inspect_variable", {"name": "a"}),
            ("inspect_variable", {"name": "b"}),
        ]
        assert message.content == ""
        assert len({call.id for call in message.tool_calls}) == 2


def test_an_unclosed_tool_call_tag() -> None:
    message = recovered('<tool_call>\n{"name": "finish", "arguments": {"summary": "done"}}')
    assert calls_of(message) == [("finish", {"summary": "done"})]


def test_a_bare_verdict_when_only_that_tool_was_offered() -> None:
    text = 'My review: {"verdict": "approve", "risk": "low", "comments": "fine"}'
    message = recovered(text, (REVIEW,))
    assert calls_of(message) == [
        ("submit_review", {"verdict": "approve", "risk": "low", "comments": "fine"})
    ]
    assert message.content == "My review:"
    # With several tools offered, nameless arguments are ambiguous: no call.
    assert recovered(text, (REVIEW, FINISH)).tool_calls == ()
    # Keys the tool does not have, or a required one missing: not its arguments.
    assert recovered('{"verdict": "approve", "mood": "good"}', (REVIEW,)).tool_calls == ()
    assert recovered('{"comments": "fine"}', (REVIEW,)).tool_calls == ()


def test_a_broken_fenced_call_is_a_call_with_an_error() -> None:
    text = 'Here:\n```json\n{"name": "finish", "arguments": {"summary": "it\'s done}\n}\n```'
    message = recovered(text)
    (call,) = message.tool_calls
    assert call.name == "finish" and call.error is not None
    assert message.content == "Here:"
    unknown = text.replace('"finish"', '"read_csv"')
    assert recovered(unknown).tool_calls == ()


def test_malformed_string_arguments_stay_a_call_with_an_error() -> None:
    message = recovered('{"name": "finish", "arguments": "{\\"summary\\": "}')
    (call,) = message.tool_calls
    assert call.name == "finish" and call.arguments is None
    assert call.error is not None and "not valid JSON" in call.error


# --- what is not a call -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"name": "read_csv", "arguments": {"file_path": "titanic.csv"}}\n```',
        'Here is the schema: {"name": "df", "columns": ["a", "b"]}',
        '```python\nconfig = {"name": "finish", "arguments": {"summary": "x"}}\n```',
        '[{"name": "finish", "arguments": {"summary": "x"}}, {"name": "rm_rf", "arguments": {}}]',
        "The answer is 42. {not json}",
        '"finish"',
    ],
)
def test_text_that_is_not_a_call_to_an_offered_tool_stays(text: str) -> None:
    message = AssistantMessage(content=text)
    assert recover_tool_calls(message, TOOLS) is message


def test_nothing_changes_without_tools_or_with_native_calls() -> None:
    text = '{"name": "finish", "arguments": {"summary": "x"}}'
    message = AssistantMessage(content=text)
    assert recover_tool_calls(message, ()) is message
    native = AssistantMessage(
        content=text, tool_calls=(make_tool_call("c1", "inspect_variable", '{"name": "df"}'),)
    )
    assert recover_tool_calls(native, TOOLS) is native


def test_recover_in_response_marks_a_tool_use() -> None:
    response = ModelResponse(
        message=AssistantMessage(content='{"name": "finish", "arguments": {"summary": "s"}}'),
        usage=Usage(),
        model="m",
        stop_reason="end_turn",
    )
    changed = recover_in_response(response, TOOLS)
    assert changed.stop_reason == "tool_use" and changed.message.tool_calls[0].name == "finish"
    plain = ModelResponse(
        message=AssistantMessage(content="hi"), usage=Usage(), model="m", stop_reason="end_turn"
    )
    assert recover_in_response(plain, TOOLS) is plain


# --- real replies of a small model ------------------------------------------------------


def load(mode: str) -> list[dict[str, Any]]:
    records = json.loads((FIXTURES / f"{mode}.json").read_text(encoding="utf-8"))
    assert records, f"no recorded replies in {mode}.json"
    return list(records)


def offered(record: dict[str, Any]) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(
            name=tool["function"]["name"],
            description=tool["function"]["description"],
            parameters=tool["function"]["parameters"],
        )
        # Hermes-style cases describe the tools in the prompt and send no "tools" field.
        for tool in record.get("offered_specs") or record["request"]["tools"]
    )


def reply_of(record: dict[str, Any]) -> AssistantMessage:
    message = record["response"]["choices"][0]["message"]
    calls = tuple(
        make_tool_call(call["id"], call["function"]["name"], call["function"]["arguments"])
        for call in message.get("tool_calls") or ()
    )
    return AssistantMessage(content=message.get("content") or "", tool_calls=calls)


# What Qwen2.5-Coder-0.5B wrote without a tool-call template, case by case (temperature 0):
# the call it meant, or None where it named a tool that was not offered.
EXPECTED_TEXT_CALLS: dict[str, tuple[str, dict[str, Any]] | None] = {
    "inspect_df": ("inspect_variable", {"name": "df"}),
    "two_variables": ("inspect_variable", {"name": "train"}),
    "review_cell": None,  # it "called" read_csv, which no one offered
}


@pytest.mark.parametrize(
    "record", load("no_template"), ids=lambda r: f"{r['case']}-{r['temperature']}"
)
def test_real_replies_written_as_text(record: dict[str, Any]) -> None:
    tools = offered(record)
    reply = reply_of(record)
    assert reply.tool_calls == ()  # without the template the server parsed no call
    message = recover_tool_calls(reply, tools)
    names = {tool.name for tool in tools}
    mentioned = set(re.findall(r'"name"\s*:\s*"([\w.-]+)"', reply.content))
    if mentioned & names:
        assert message.tool_calls, f"no call recovered from {reply.content!r}"
        assert {call.name for call in message.tool_calls} <= names
        assert '"arguments"' not in message.content  # the call's text was removed
    else:
        assert message is reply
    expected = EXPECTED_TEXT_CALLS.get(record["case"], "any")
    if record["temperature"] == 0.0 and expected != "any":
        got = message.tool_calls[0] if message.tool_calls else None
        assert (None if got is None else (got.name, got.arguments)) == expected


def test_real_propose_cell_written_as_text() -> None:
    (record,) = [
        r
        for r in load("no_template")
        if r["case"] == "propose_row_count" and r["temperature"] == 0.0
    ]
    message = recover_tool_calls(reply_of(record), offered(record))
    # The model ended the code string with ' instead of ": a call, with broken arguments
    # the agent loop sends back as an error, rather than text that is silently ignored.
    (call,) = message.tool_calls
    assert call.name == "propose_cell" and call.arguments is None
    assert call.error is not None and "not valid JSON" in call.error
    assert "read_csv('titanic.csv')" in call.raw_arguments
    assert message.content == ""


@pytest.mark.parametrize("record", load("with_template"), ids=lambda r: r["case"])
def test_real_native_calls_are_left_alone(record: dict[str, Any]) -> None:
    reply = reply_of(record)
    assert reply.tool_calls, "with the template the server parses the call"
    assert recover_tool_calls(reply, offered(record)) is reply
