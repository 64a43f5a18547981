"""Tool calls a model wrote into its text instead of sending them as tool calls.

Small local models often do: a server without a tool-call template (or a model it
cannot parse) returns the call as text — a fenced ```json block, a bare JSON object,
Qwen/Hermes ``<tool_call>{...}</tool_call>``, or a list of them. ``recover_tool_calls``
turns such text into ``ToolCall`` objects when, and only when:

- tools were offered and the reply has no native tool call;
- the JSON names one of the offered tools (``{"name", "arguments"|"parameters"|
  "input"|"args"}``, ``{"function": {"name", "arguments"}}``, ``{"tool"|"tool_name": ...}``),
  or, when a single tool was offered, it is exactly that tool's arguments (a reviewer's
  bare ``{"verdict": ..., "risk": ..., "comments": ...}``).

Unknown names are not calls: that text stays as it was. The text that was a call is
removed from the content; each recovered call gets a fresh id. A fenced or tagged call
to an offered tool whose JSON is broken (a small model's unterminated string) becomes a
call whose ``error`` says so, and goes back to the model like any malformed call.

Applied by the caller (the agent loop), not inside ``ChatModel``: only the caller knows
which tools this step offered and whether a reply in plain text is acceptable, and it
has already shown the streamed text, so it is the one that must present the change.
The function is pure, cheap and provider-independent, so calling it on every reply of
a step that offered tools is safe.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from jupyter_codeagent.models.base import make_tool_call, tool_call_from_value
from jupyter_codeagent.models.messages import AssistantMessage, ModelResponse, ToolCall, ToolSpec

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_JSON_FENCES = {"", "json", "json5", "tool_call", "tool_code", "javascript", "js"}
_ARGUMENT_KEYS = ("arguments", "parameters", "input", "args")
_NAME_KEYS = ("name", "tool", "tool_name", "function")
# ``{"name": "<tool>", "arguments": <anything>}`` - the arguments without the final brace.
_BROKEN_CALL = re.compile(
    r'\{\s*"(?:name|tool|tool_name|function)"\s*:\s*"([\w.-]+)"\s*,\s*'
    r'"(?:arguments|parameters|input|args)"\s*:\s*(.*)\}\s*\Z',
    re.DOTALL,
)
# strict=False: models write code with raw newlines and tabs inside JSON strings.
_decoder = json.JSONDecoder(strict=False)

Span = tuple[int, int]


def recover_tool_calls(message: AssistantMessage, tools: Sequence[ToolSpec]) -> AssistantMessage:
    """``message`` with the tool calls written in its text made real (see the module doc)."""
    text = message.content
    if message.tool_calls or not tools or not text.strip():
        return message
    specs = {tool.name: tool for tool in tools}
    found: list[tuple[Span, list[ToolCall]]] = []
    taken: list[Span] = []
    for span, value in _candidates(text):
        if any(_overlaps(span, other) for other in taken):
            continue
        calls = _calls_from(value, specs)
        if calls:
            found.append((span, calls))
            taken.append(span)
    if not found:
        return message
    found.sort(key=lambda item: item[0])
    calls = [call for _span, group in found for call in group]
    return AssistantMessage(content=_without(text, [s for s, _ in found]), tool_calls=tuple(calls))


def recover_in_response(response: ModelResponse, tools: Sequence[ToolSpec]) -> ModelResponse:
    """``recover_tool_calls`` on a whole response; a recovered call makes it ``tool_use``."""
    message = recover_tool_calls(response.message, tools)
    if message is response.message:
        return response
    return replace(response, message=message, stop_reason="tool_use")


# --- finding JSON in the text ---------------------------------------------------------


def _candidates(text: str) -> list[tuple[Span, object]]:
    """JSON values in ``text`` with the span of text each one came from, best forms first.

    A tagged or fenced block that is not valid JSON but plainly starts a call
    (``{"name": "<tool>", "arguments": ...``) yields a ``_Broken`` value: the call is
    made with its raw arguments, so the model is told they are malformed.
    """
    found: list[tuple[Span, object]] = []
    fenced: list[Span] = []
    for match in _TAGGED.finditer(text):
        value = _loads(match.group(1))
        value = _Broken.parse(match.group(1)) if value is None else value
        if value is not None:
            found.append((match.span(), value))
    for match in _FENCE.finditer(text):
        fenced.append(match.span())
        if match.group(1).lower() in _JSON_FENCES:
            value = _loads(match.group(2))
            value = _Broken.parse(match.group(2)) if value is None else value
            if value is not None:
                found.append((match.span(), value))
    # Bare JSON anywhere else; code fences of other languages are not searched (a dict
    # literal in a Python cell is code, not a call).
    position = 0
    while True:
        start = _next_json_start(text, position)
        if start < 0:
            break
        if any(a <= start < b for a, b in fenced) or any(a <= start < b for (a, b), _ in found):
            position = start + 1
            continue
        try:
            value, end = _decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        found.append(((start, end), value))
        position = end
    return found


@dataclass(frozen=True)
class _Broken:
    """A call whose JSON does not parse: its tool name and raw argument text."""

    name: str
    raw_arguments: str

    @classmethod
    def parse(cls, raw: str) -> _Broken | None:
        match = _BROKEN_CALL.match(raw.strip())
        return cls(match.group(1), match.group(2).strip()) if match else None


def _next_json_start(text: str, position: int) -> int:
    starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
    return min(starts) if starts else -1


def _loads(raw: str) -> object:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value, end = _decoder.raw_decode(raw)
    except ValueError:
        return None
    # A block holding one JSON value and nothing else (or several JSON lines).
    rest = raw[end:].strip()
    if not rest:
        return value
    values = [value]
    while rest:
        try:
            value, end = _decoder.raw_decode(rest)
        except ValueError:
            return None
        values.append(value)
        rest = rest[end:].strip()
    return values


# --- JSON to calls --------------------------------------------------------------------


def _calls_from(value: object, specs: dict[str, ToolSpec]) -> list[ToolCall]:
    """Calls for a JSON value, or [] unless *every* item in it is a call to an offered tool."""
    items = value if isinstance(value, list) else [value]
    calls = [_call_from(item, specs) for item in items]
    if not calls or any(call is None for call in calls):
        return []
    return [call for call in calls if call is not None]


def _call_from(item: object, specs: dict[str, ToolSpec]) -> ToolCall | None:
    if isinstance(item, _Broken):
        if item.name not in specs:
            return None
        return make_tool_call(_new_id(), item.name, item.raw_arguments)
    if not isinstance(item, dict):
        return None
    function = item.get("function")
    if isinstance(function, dict):  # the Chat Completions wire shape
        item = function
    name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
    if name in specs:
        arguments: object = next((item[k] for k in _ARGUMENT_KEYS if k in item), {})
        call_id = _new_id()
        if isinstance(arguments, str):
            return make_tool_call(call_id, str(name), arguments)
        return tool_call_from_value(call_id, str(name), arguments)
    if len(specs) == 1:  # e.g. ``{"name": "df"}`` when only inspect_variable is offered
        (spec,) = specs.values()
        if _fits(item, spec):
            return tool_call_from_value(_new_id(), spec.name, item)
    return None


def _fits(arguments: dict[str, Any], spec: ToolSpec) -> bool:
    """Whether ``arguments`` are plainly this tool's: only its properties, all it requires."""
    properties = spec.parameters.get("properties")
    if not isinstance(properties, dict) or not arguments:
        return False
    required = set(spec.parameters.get("required") or ())
    keys = set(arguments)
    return keys <= set(properties) and required <= keys


def _new_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


# --- text without the calls -----------------------------------------------------------


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _without(text: str, spans: list[Span]) -> str:
    pieces = []
    position = 0
    for start, end in sorted(spans):
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    rest = "".join(pieces)
    return re.sub(r"\n{3,}", "\n\n", rest).strip()
