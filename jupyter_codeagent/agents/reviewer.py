"""The reviewer: a second model that reads every proposed cell before anyone runs it."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import AssistantMessage, Message, SystemMessage, UserMessage
from ..safety import RiskReport
from ..tools import RunContext, submit_review
from ..tools.review import NO_REVIEW, CellReview, ReviewRequest
from . import prompts
from .loop import AgentTurn, Nudge, Role, run_agent

REVIEWER = Role(
    name="reviewer", instructions=prompts.REVIEWER, tools=(submit_review,), stream=False
)
MAX_REVIEWER_CALLS = 2
REMINDER = "Call `submit_review` with verdict, risk and comments; no other answer."


def findings_text(report: RiskReport) -> str:
    if not report.findings:
        return "The static analyzer found nothing of note."
    lines = [f"- [{f.severity}] {f.message}" for f in report.findings]
    return "Static analyzer findings:\n" + "\n".join(lines)


async def review_cell(run: RunContext, request: ReviewRequest) -> CellReview:
    """Ask the reviewer; one reminder if it forgets to call ``submit_review``."""
    opening: list[Message] = [
        SystemMessage(content=REVIEWER.instructions),
        UserMessage(
            content=(
                f"User request: {run.request}\n"
                f"Task: {request.task_title or '(none given)'}\n"
                f"Coder's explanation: {request.explanation}\n\n"
                f"Proposed cell:\n```python\n{request.code}\n```\n\n"
                f"{findings_text(request.report)}"
            )
        ),
    ]
    run.submitted_review = None

    def prompt(exchange: Sequence[Message]) -> list[Message]:
        return [*opening, *exchange]

    def on_text(reply: AssistantMessage) -> Nudge | None:
        return Nudge(text=REMINDER)

    await run_agent(
        run,
        REVIEWER,
        AgentTurn(),
        prompt=prompt,
        done=lambda: run.submitted_review is not None,
        on_text=on_text,
        max_calls=MAX_REVIEWER_CALLS,
    )
    review, run.submitted_review = run.submitted_review, None
    return review or NO_REVIEW
