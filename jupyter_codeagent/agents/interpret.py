"""What a model meant, when it wrote it instead of calling the tool.

Small models often answer the coder's task with a ```python block in the text, or a
review with a bare "approve" or ``{"verdict": "block"}``. Thrown away, that is a run
that ends "done" with nothing computed; so the block becomes a ``propose_cell`` call
(through the same analyzer, reviewer and approval as any cell) and a bare verdict a
``submit_review`` call. Each interpreter returns the reply unchanged when it has
native tool calls or nothing to take.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from dataclasses import replace

from ..models import AssistantMessage, ToolCall

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_PYTHON_TAGS = ("", "python", "py", "python3", "ipython", "ipython3")
_VERDICTS = ("approve", "revise", "block")
_RISKS = ("low", "medium", "high")
_WORD = re.compile(r"\b(approve[sd]?|revise|block(?:ed)?)\b", re.IGNORECASE)
_RISK_WORD = re.compile(r"\b(low|medium|high)\b(?:\s+risk)?", re.IGNORECASE)


def _call(name: str, arguments: dict[str, object]) -> ToolCall:
    return ToolCall(
        id=f"text-{uuid.uuid4().hex[:8]}",
        name=name,
        arguments=arguments,
        raw_arguments=json.dumps(arguments),
    )


def python_block_as_proposal(reply: AssistantMessage) -> AssistantMessage:
    """A reply whose text holds a Python code block: that block, proposed as a cell."""
    if reply.tool_calls:
        return reply
    for match in _FENCE.finditer(reply.content):
        tag, code = match.group(1).lower(), match.group(2).strip("\n")
        if tag not in _PYTHON_TAGS or not code.strip() or not _is_python(code):
            continue
        rest = (reply.content[: match.start()] + reply.content[match.end() :]).strip()
        explanation = " ".join(rest.split())[:300] or "The code from my reply, as a cell."
        call = _call("propose_cell", {"code": code, "explanation": explanation})
        return replace(reply, content=rest, tool_calls=(call,))
    return reply


def bare_verdict_as_review(reply: AssistantMessage) -> AssistantMessage:
    """A review written as text ("approve", ``{"verdict": "block", ...}``): submitted."""
    if reply.tool_calls:
        return reply
    text = reply.content.strip()
    arguments = _verdict_object(text) or _verdict_words(text)
    if arguments is None:
        return reply
    return replace(reply, content="", tool_calls=(_call("submit_review", arguments),))


def _verdict_object(text: str) -> dict[str, object] | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    value = value.get("arguments", value.get("parameters", value))
    if not isinstance(value, dict) or value.get("verdict") not in _VERDICTS:
        return None
    risk = value.get("risk") if value.get("risk") in _RISKS else _default_risk(value["verdict"])
    comments = value.get("comments")
    return {
        "verdict": value["verdict"],
        "risk": risk,
        "comments": comments if isinstance(comments, str) else "",
    }


def _verdict_words(text: str) -> dict[str, object] | None:
    """Short text that starts with a verdict ("Approve.", "block: deletes files")."""
    if len(text) > 600:
        return None
    match = _WORD.search(text[:40])
    if match is None:
        return None
    word = match.group(1).lower()
    verdict = (
        "approve"
        if word.startswith("approve")
        else "block"
        if word.startswith("block")
        else "revise"
    )
    risk_match = _RISK_WORD.search(text)
    risk = risk_match.group(1).lower() if risk_match else _default_risk(verdict)
    return {"verdict": verdict, "risk": risk, "comments": text}


def _default_risk(verdict: str) -> str:
    # Unknown risk is never "low": a bare "approve" must not let a cell run unattended.
    return "high" if verdict == "block" else "medium"


def _is_python(code: str) -> bool:
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("!", "%"))]
    try:
        ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return False
    return True
