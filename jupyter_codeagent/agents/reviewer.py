"""The reviewer: a second model that reads every proposed cell before anyone runs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from jupyter_codeagent.models import SystemMessage, ToolCall, ToolResultMessage, UserMessage
from jupyter_codeagent.models.base import validate_tool_arguments

from . import prompts
from .calls import call_model
from .runtime import RunContext
from .toolspecs import REVIEWER_TOOLS, SUBMIT_REVIEW

Verdict = Literal["approve", "revise", "block"]
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, kw_only=True)
class Review:
    verdict: Verdict | None  # None: the reviewer gave no usable review
    risk: str
    comments: str

    def to_json(self, analyzer: dict[str, Any]) -> dict[str, Any]:
        """The contract's ``review`` object: the verdict with the analyzer's findings."""
        return {
            "verdict": self.verdict or "none",
            "risk": higher_risk(self.risk, analyzer["risk"]),
            "comments": self.comments,
            "findings": analyzer["findings"],
            "blocking": analyzer["blocking"],
        }


def higher_risk(a: str, b: str) -> str:
    return a if _RISK_ORDER.get(a, 2) >= _RISK_ORDER.get(b, 2) else b


def _findings_text(analyzer: dict[str, Any]) -> str:
    findings = analyzer["findings"]
    if not findings:
        return "The static analyzer found nothing of note."
    lines = [f"- [{f['severity']}] {f['message']}" for f in findings]
    return "Static analyzer findings:\n" + "\n".join(lines)


async def review_cell(
    ctx: RunContext, *, code: str, explanation: str, task_title: str, analyzer: dict[str, Any]
) -> Review:
    """Ask the reviewer; one reminder if it forgets to call ``submit_review``."""
    messages: list[Any] = [
        SystemMessage(content=prompts.REVIEWER),
        UserMessage(
            content=(
                f"User request: {ctx.request}\n"
                f"Task: {task_title or '(none given)'}\n"
                f"Coder's explanation: {explanation}\n\n"
                f"Proposed cell:\n```python\n{code}\n```\n\n{_findings_text(analyzer)}"
            )
        ),
    ]
    for _attempt in range(2):
        reply = await call_model(ctx, "reviewer", messages, REVIEWER_TOOLS, stream=False)
        call = next((c for c in reply.tool_calls if c.name == SUBMIT_REVIEW.name), None)
        review = _parse(call)
        if review is not None:
            return review
        # Every tool call needs a result before the next turn, or providers refuse it.
        unanswered = [
            ToolResultMessage(
                tool_call_id=c.id,
                name=c.name,
                content=validate_tool_arguments(SUBMIT_REVIEW, c) or "Not a review tool.",
                is_error=True,
            )
            for c in reply.tool_calls
        ]
        messages = [
            *messages,
            reply,
            *unanswered,
            UserMessage(
                content="Call `submit_review` with verdict, risk and comments; no other answer."
            ),
        ]
    return Review(
        verdict=None,
        risk="medium",
        comments="The reviewer did not submit a usable review; the user decides.",
    )


def _parse(call: ToolCall | None) -> Review | None:
    if call is None or validate_tool_arguments(SUBMIT_REVIEW, call) is not None:
        return None
    args = call.arguments or {}
    return Review(verdict=args["verdict"], risk=args["risk"], comments=args["comments"].strip())
